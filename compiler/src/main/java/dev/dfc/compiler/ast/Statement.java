package dev.dfc.compiler.ast;

import dev.dfc.compiler.source.Span;
import java.util.List;

/** A top-level statement of a .dfsql file. */
public sealed interface Statement {
    Span span();

    /**
     * {@code CREATE WORKFLOW name (params) AS body;}
     *
     * @param name       canonical name: identifier parts folded as PostgreSQL does (unquoted to lower
     *                   case, quoted kept), joined with '.', e.g. "etl.ingest_documents"; a part
     *                   holding '.' or '"' is quoted ("\"a.b\"") (see parse.WorkflowName)
     * @param scriptMode true for an anonymous workflow made from a script-mode call's expression
     *                   (its span is the expression's, inside a pass-through statement)
     */
    record WorkflowDef(Span span, String name, Span nameSpan, List<Param> params, Expr body, boolean scriptMode)
            implements Statement {
        public WorkflowDef {
            params = List.copyOf(params);
        }

        public WorkflowDef(Span span, String name, Span nameSpan, List<Param> params, Expr body) {
            this(span, name, nameSpan, params, body, false);
        }
    }

    /**
     * Any other SQL statement, copied to the output as written (without its terminating ';'),
     * except that the first argument of each script-mode call is replaced by its anonymous
     * workflow's name.
     *
     * @param rewrites in source order, not overlapping
     * @param copyData   for {@code COPY … FROM STDIN}, what follows its ';' in the source as psql reads
     *                   it: the rest of that line, then the data lines up to and including the line
     *                   {@code \.} (or the end of the file); copied as written. Null for any other statement.
     */
    record PassThrough(Span span, String sql, List<Rewrite> rewrites, String copyData) implements Statement {
        public PassThrough {
            rewrites = List.copyOf(rewrites);
        }

        public PassThrough(Span span, String sql, List<Rewrite> rewrites) {
            this(span, sql, rewrites, null);
        }

        public PassThrough(Span span, String sql) {
            this(span, sql, List.of(), null);
        }
    }

    /** {@code sql[start, end)} is replaced by {@code workflow} as a string literal. */
    record Rewrite(int start, int end, String workflow) {}
}
