package dev.dfc.compiler.ast;

import dev.dfc.compiler.source.SourceFile;
import java.util.List;

/** One parsed .dfsql file: its statements in source order. */
public record Script(SourceFile file, List<Statement> statements) {
    public Script {
        statements = List.copyOf(statements);
    }
}
