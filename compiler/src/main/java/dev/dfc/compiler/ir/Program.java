package dev.dfc.compiler.ir;

import java.util.List;

/** Everything one compilation deploys: one unit per source file, in input order. */
public record Program(List<Unit> units) {
    public Program {
        units = List.copyOf(units);
    }

    /** One source file: its workflows and pass-through statements in source order. */
    public record Unit(String sourcePath, List<Item> items) {
        public Unit {
            items = List.copyOf(items);
        }

        public boolean hasPassThrough() {
            return items.stream().anyMatch(i -> i instanceof PassThrough);
        }
    }

    public sealed interface Item permits Workflow, PassThrough {}

    /**
     * A SQL statement copied to the output as written (without its terminating ';'), except for
     * its rewrites: the expressions of script-mode calls, replaced by their workflows' names.
     * {@code copyData}: what follows the ';' of a {@code COPY … FROM STDIN} (see
     * {@link dev.dfc.compiler.ast.Statement.PassThrough}), ending with the line {@code \.}; else null.
     */
    public record PassThrough(String sql, List<Rewrite> rewrites, String copyData) implements Item {
        public PassThrough {
            rewrites = List.copyOf(rewrites);
        }

        public PassThrough(String sql) {
            this(sql, List.of(), null);
        }
    }

    /** {@code sql[start, end)} becomes {@code workflow} as a string literal. */
    public record Rewrite(int start, int end, String workflow) {}
}
