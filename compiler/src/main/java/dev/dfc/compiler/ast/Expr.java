package dev.dfc.compiler.ast;

import dev.dfc.compiler.source.Span;
import java.util.List;

/**
 * A workflow expression. Operators are desugared to the node function they stand for, so
 * every later pass sees one shape: {@code x ~> y} is {@code df.seq(x, y)}, {@code x |=> 'n'}
 * is {@code df.as(x, 'n')}, {@code &} is df.join, {@code |} is df.race, {@code c ?> x !> y} is
 * df.if(c, x, y), {@code @> x} is df.loop(x), {@code x <-> y} is df.with_undo(x, y).
 * A bare string where a node is expected stays a {@link Str}; the checker decides it means df.sql.
 */
public sealed interface Expr {
    Span span();

    /**
     * A node-function call or a desugared operator.
     *
     * @param function lower-case qualified name, e.g. "df.seq"
     * @param nameSpan the function name as written, or the operator token
     * @param operator the operator as written ("~>", "~", "|=>", "|=", "&", "|", "?>", "@>", "<->"),
     *                 or null when written as a function call
     */
    record Call(Span span, String function, Span nameSpan, List<Arg> args, String operator) implements Expr {
        public Call {
            args = List.copyOf(args);
        }
    }

    /** A string literal of any PostgreSQL form ('..', E'..', $$..$$, $tag$..$tag$, U&'..'), decoded. */
    record Str(Span span, String value) implements Expr {}

    /** A numeric literal as written (may carry a leading minus). */
    record Num(Span span, String text) implements Expr {}

    record Bool(Span span, boolean value) implements Expr {}

    record Null(Span span) implements Expr {}

    /** {@code value::type}, e.g. '{"a":1}'::jsonb. */
    record Cast(Span span, Expr value, String type) implements Expr {}
}
