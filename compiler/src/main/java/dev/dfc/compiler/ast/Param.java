package dev.dfc.compiler.ast;

import dev.dfc.compiler.source.Span;

/**
 * A workflow parameter {@code name type [DEFAULT expr]}.
 *
 * @param type        the type name as written (e.g. "int", "timestamp with time zone", "text[]")
 * @param defaultSql  the default expression's SQL text as written, or null
 */
public record Param(Span span, String name, Span nameSpan, String type, Span typeSpan, String defaultSql) {}
