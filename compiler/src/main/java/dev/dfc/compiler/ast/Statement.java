package dev.dfc.compiler.ast;

import dev.dfc.compiler.source.Span;
import java.util.List;

/** A top-level statement of a .dfsql file. */
public sealed interface Statement {
    Span span();

    /**
     * {@code CREATE WORKFLOW name (params) AS body;}
     *
     * @param name canonical name: identifier parts folded as PostgreSQL does (unquoted to lower case,
     *             quoted kept), joined with '.', e.g. "etl.ingest_documents"
     */
    record WorkflowDef(Span span, String name, Span nameSpan, List<Param> params, Expr body) implements Statement {
        public WorkflowDef {
            params = List.copyOf(params);
        }
    }

    /** Any other SQL statement, copied to the output as written (without its terminating ';'). */
    record PassThrough(Span span, String sql) implements Statement {}
}
