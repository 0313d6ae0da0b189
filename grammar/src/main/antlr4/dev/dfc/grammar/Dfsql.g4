/*
 * The .dfsql language (docs: LANGUAGE.md §1-3): workflow definitions and pass-through SQL.
 *
 * The lexer follows PostgreSQL's lexical rules closely enough to find statement boundaries
 * (strings of every form, quoted identifiers, nested comments, dollar quotes with matching tags)
 * and never fails: every character belongs to some token, and unterminated literals become
 * UNTERMINATED_* tokens that the compiler reports. The parser is driven one statement at a time
 * by dev.dfc.compiler.parse.Parser so that errors are recovered at ';'.
 */
grammar Dfsql;

options { caseInsensitive = true; }

// Token types set by lexer actions (dollarQuotedBody, blockCommentBody) when the input ends first.
tokens { UNTERMINATED_DOLLAR_STRING, UNTERMINATED_COMMENT }

@lexer::members {
    /** Consumes a dollar-quoted body up to the same delimiter as the one just matched. */
    private void dollarQuotedBody() {
        String delimiter = getText();
        while (_input.LA(1) != EOF) {
            if (_input.LA(1) == '$' && delimiterAhead(delimiter)) {
                for (int i = 0; i < delimiter.length(); i++) getInterpreter().consume(_input);
                return;
            }
            getInterpreter().consume(_input);
        }
        setType(DfsqlParser.UNTERMINATED_DOLLAR_STRING);
    }

    private boolean delimiterAhead(String delimiter) {
        for (int i = 0; i < delimiter.length(); i++) {
            if (_input.LA(i + 1) != delimiter.charAt(i)) return false;
        }
        return true;
    }

    /** Consumes a block comment after its opening slash-star; comments nest as in PostgreSQL. */
    private void blockCommentBody() {
        int depth = 1;
        while (_input.LA(1) != EOF) {
            int c = _input.LA(1);
            if (c == '*' && _input.LA(2) == '/') {
                getInterpreter().consume(_input);
                getInterpreter().consume(_input);
                if (--depth == 0) {
                    setChannel(HIDDEN);
                    return;
                }
            } else if (c == '/' && _input.LA(2) == '*') {
                getInterpreter().consume(_input);
                getInterpreter().consume(_input);
                depth++;
            } else {
                getInterpreter().consume(_input);
            }
        }
        setType(DfsqlParser.UNTERMINATED_COMMENT);
    }
}

// ---------------------------------------------------------------------------------------------
// Statements

/** One statement with its terminator; the facade calls this until end of input. */
terminatedStatement
    : statement? (SEMI | EOF)
    ;

statement
    : workflowDef
    | passThrough
    ;

workflowDef
    : CREATE WORKFLOW name=qualifiedName (LPAREN (param (COMMA param)*)? RPAREN)? AS body=expr
    ;

param
    : name=identifier type=typeName (DEFAULT defaultValue=sqlFragment)?
    ;

/**
 * Any other statement: every token up to ';'. CREATE WORKFLOW never lands here. The compiler's
 * facade (dev.dfc.compiler.parse.Parser) finds where a pass-through statement ends itself, as
 * psql does (a ';' inside parentheses or a BEGIN ATOMIC body does not end it), and only parses
 * workflow definitions with this grammar.
 */
passThrough
    : CREATE (~(WORKFLOW | SEMI) ~SEMI*)?
    | ~(CREATE | SEMI) ~SEMI*
    ;

/** A PostgreSQL type name: int, double precision, varchar(10), timestamp(3) with time zone, text[], s."T". */
typeName
    : typeWord (typeWord | DOT typeWord | LPAREN typeModifier (COMMA typeModifier)* RPAREN)*
      (LBRACKET NUMBER? RBRACKET)*
    ;

typeWord
    : IDENT | QUOTED_IDENT | CREATE | WORKFLOW
    ;

typeModifier
    : MINUS? NUMBER | identifier | string
    ;

/** SQL text kept as written (a parameter default): balanced brackets, stops at a top-level ',' or ')'. */
sqlFragment
    : (~(LPAREN | RPAREN | LBRACKET | RBRACKET | COMMA | SEMI) | LPAREN sqlNested? RPAREN | LBRACKET sqlNested? RBRACKET)+
    ;

sqlNested
    : (~(LPAREN | RPAREN | LBRACKET | RBRACKET | SEMI) | LPAREN sqlNested? RPAREN | LBRACKET sqlNested? RBRACKET)+
    ;

// ---------------------------------------------------------------------------------------------
// Workflow expressions
//
// Precedence, tightest first (LANGUAGE.md §3). Binary operators are left-associative.
//
//   0  x::type          cast (postfix)
//   1  x <-> y          UNDO   df.with_undo(x, y)
//   2  x |=> 'name'     BIND   df.as(x, 'name')       also spelled |=
//   3  x & y            JOIN   df.join(x, y)
//   4  x | y            RACE   df.race(x, y)
//   5  x ~> y           SEQ    df.seq(x, y)           also spelled ~
//   6  c ?> x !> y      THEN/ELSE  df.if(c, x, y)     right-associative, '!> y' optional
//   7  @> x             LOOP   df.loop(x)             prefix, loosest: @> a ~> b is @> (a ~> b)

expr
    : primary                                           # atom
    | expr CAST typeName                                # cast
    | expr UNDO expr                                    # undo
    | expr BIND name=string                             # bind
    | expr JOIN expr                                    # join
    | expr RACE expr                                    # race
    | expr SEQ expr                                     # seq
    | <assoc=right> expr THEN expr (ELSE expr)?         # if
    | LOOP expr                                         # loop
    ;

primary
    : LPAREN expr RPAREN                                # parenthesized
    | string                                            # stringLiteral
    | callName LPAREN (arg (COMMA arg)*)? RPAREN        # nodeCall
    | (MINUS | PLUS)? NUMBER                            # number
    | NULL                                              # null
    | (TRUE | FALSE)                                    # boolean
    ;

arg
    : identifier ARROW expr                             # namedArg
    | expr                                              # positionalArg
    ;

string
    : STRING | ESCAPE_STRING | UNICODE_STRING | DOLLAR_STRING
    ;

/** An (optionally schema-qualified) name. */
qualifiedName
    : identifier (DOT identifier)*
    ;

identifier
    : IDENT | QUOTED_IDENT | CREATE | WORKFLOW
    ;

/** A node function's name: after a dot, keywords are names too ({@code df.as}). */
callName
    : identifier (DOT namePart)*
    ;

namePart
    : identifier | AS | DEFAULT | NULL | TRUE | FALSE
    ;

/** A whole input that must be exactly one expression (script-mode calls). */
standaloneExpr
    : expr EOF
    ;

// ---------------------------------------------------------------------------------------------
// Lexer

CREATE   : 'create' ;
WORKFLOW : 'workflow' ;
AS       : 'as' ;
DEFAULT  : 'default' ;
NULL     : 'null' ;
TRUE     : 'true' ;
FALSE    : 'false' ;

UNDO     : '<->' ;
BIND     : '|=>' | '|=' ;
JOIN     : '&' ;
RACE     : '|' ;
SEQ      : '~>' | '~' ;
THEN     : '?>' ;
ELSE     : '!>' ;
LOOP     : '@>' ;

ARROW    : '=>' ;
CAST     : '::' ;
MINUS    : '-' ;
PLUS     : '+' ;
DOT      : '.' ;
COMMA    : ',' ;
LPAREN   : '(' ;
RPAREN   : ')' ;
LBRACKET : '[' ;
RBRACKET : ']' ;
SEMI     : ';' ;

STRING         : '\'' ( ~'\'' | '\'\'' )* '\'' ;
ESCAPE_STRING  : 'e\'' ( ~['\\] | '\'\'' | '\\' . )* '\'' ;
UNICODE_STRING : 'u&\'' ( ~'\'' | '\'\'' )* '\'' ( [ \t\r\n]* 'uescape' [ \t\r\n]* '\'' ~'\'' '\'' )? ;
DOLLAR_STRING  : '$' DOLLAR_TAG? '$' { dollarQuotedBody(); } ;
QUOTED_IDENT   : '"' ( ~'"' | '""' )* '"' ;

// These only win (longest match) when the literal runs to the end of the input.
UNTERMINATED_STRING         : ( '\'' | 'u&\'' ) ( ~'\'' | '\'\'' )* ;
UNTERMINATED_ESCAPE_STRING  : 'e\'' ( ~['\\] | '\'\'' | '\\' . )* '\\'? ;
UNTERMINATED_QUOTED_IDENT   : '"' ( ~'"' | '""' )* ;

NUMBER
    : DIGIT+ ( '.' DIGIT* )? EXPONENT?
    | '.' DIGIT+ EXPONENT?
    ;

PARAM : '$' DIGIT+ ;

IDENT : IDENT_START IDENT_CHAR* ;

LINE_COMMENT  : '--' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' { blockCommentBody(); } ;
WS            : [ \t\r\n\u000B\u000C\uFEFF]+ -> channel(HIDDEN) ;

/** Characters PostgreSQL accepts in operators; meaningless to workflows, fine in pass-through SQL. */
OPERATOR_CHAR : [*/<>=!@#%^`?:] ;
/** Control characters that cannot appear in SQL outside a literal. */
CONTROL_CHAR  : [\u0000-\u0008\u000E-\u001F\u007F] ;
/** Anything else; pass-through SQL may still use it (PostgreSQL decides), a workflow may not. */
OTHER         : . ;

fragment DIGIT           : [0-9] ;
fragment EXPONENT        : 'e' [+-]? DIGIT+ ;
fragment IDENT_START     : [a-z_\u0080-\uFFFE] ;
fragment IDENT_CHAR      : [a-z0-9_$\u0080-\uFFFE] ;
fragment DOLLAR_TAG      : IDENT_START DOLLAR_TAG_CHAR* ;
fragment DOLLAR_TAG_CHAR : [a-z0-9_\u0080-\uFFFE] ;
