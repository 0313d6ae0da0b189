grammar Dfsql;
script : EOF ;
WS : [ \t\r\n]+ -> skip ;
