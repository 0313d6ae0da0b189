package dev.dfc.cli.dbcheck;

import dev.dfc.compiler.check.SqlRef;
import java.util.List;
import java.util.Locale;

/**
 * A step's SQL with each reference replaced by a placeholder the server can type-check, and for
 * every character of the result the index in the step's SQL it stands for (a placeholder's
 * characters all stand for its reference's '$'), so an error position maps back to the source.
 *
 * <p>The placeholders have the type of the literal the runtime will splice in (runtime-sql
 * 070_refs.sql): numbers are spliced bare, so integer types (bigint too: a literal that fits is an
 * int4, which converts implicitly to the wider types) give {@code NULL::int} and other numbers
 * {@code NULL::numeric}; booleans {@code NULL::boolean};
 * json, jsonb and arrays keep their type; every other value is spliced as a quoted string
 * literal, whose type the server infers from where it stands, so its placeholder is an untyped
 * {@code NULL} (a text parameter compared with a timestamp column is fine at run time, and must
 * be here too). {@code $name.*} becomes an empty relation with the result's columns and types, as
 * the runtime renders an empty result.
 */
final class Placeholders {
    /** The columns of an earlier step's result, in order; types as the server names them. */
    record Column(String name, String type) {}

    /** The substituted text; {@code origins[i]} is the index in the step's SQL of character i (length: text + 1, the end). */
    record Substituted(String text, int[] origins) {}

    private Placeholders() {}

    /** @param placeholders the text replacing each reference, in the order of {@code refs} */
    static Substituted substitute(String sql, List<SqlRef> refs, List<String> placeholders) {
        StringBuilder out = new StringBuilder();
        int[] origins = new int[sql.length() * 2 + 64];
        int at = 0;
        for (int r = 0; r < refs.size(); r++) {
            SqlRef ref = refs.get(r);
            for (int i = at; i < ref.start(); i++) origins = append(out, origins, sql.charAt(i), i);
            for (char c : placeholders.get(r).toCharArray()) origins = append(out, origins, c, ref.start());
            at = ref.end();
        }
        for (int i = at; i < sql.length(); i++) origins = append(out, origins, sql.charAt(i), i);
        origins = java.util.Arrays.copyOf(origins, out.length() + 1);
        origins[out.length()] = sql.length();
        return new Substituted(out.toString(), origins);
    }

    private static int[] append(StringBuilder out, int[] origins, char c, int origin) {
        if (out.length() + 1 >= origins.length) origins = java.util.Arrays.copyOf(origins, origins.length * 2);
        origins[out.length()] = origin;
        out.append(c);
        return origins;
    }

    /** The placeholder for a scalar reference ({@code $n}, {@code $n.c}, with or without '?') of a value of {@code type}. */
    static String scalar(String type) {
        if (type == null) return "NULL";
        String t = type.strip().toLowerCase(Locale.ROOT).replaceAll("\\s*\\([^)]*\\)", "").replaceAll("\\s+", " ");
        if (t.endsWith("[]") || t.startsWith("_")) return "NULL::" + type.strip();
        return switch (t) {
            // an integer is spliced as a bare literal, int4 when it fits: NULL::bigint would refuse repeat('x', $count)
            case "smallint", "int2", "integer", "int", "int4", "serial", "smallserial", "bigint", "int8", "bigserial", "oid" -> "NULL::int";
            case "numeric", "decimal", "real", "float4", "double precision", "float8", "float" -> "NULL::numeric";
            case "boolean", "bool" -> "NULL::boolean";
            case "json" -> "NULL::json";
            case "jsonb" -> "NULL::jsonb";
            default -> "NULL";
        };
    }

    /** {@code $name.*} of a result with these columns: an empty relation named {@code name}. */
    static String relation(String name, List<Column> columns) {
        StringBuilder s = new StringBuilder("(SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) s.append(", ");
            s.append("NULL::").append(columns.get(i).type()).append(" AS ").append(ident(columns.get(i).name()));
        }
        return s.append(" WHERE false) AS ").append(ident(name)).toString();
    }

    static String ident(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }
}
