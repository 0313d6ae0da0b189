package dev.dfc.compiler.ast;

import dev.dfc.compiler.source.Span;

/** An argument of a node-function call; {@code name} is null for a positional argument. */
public record Arg(Span span, String name, Expr value) {}
