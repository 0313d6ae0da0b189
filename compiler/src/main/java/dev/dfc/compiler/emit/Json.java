package dev.dfc.compiler.emit;

import java.util.ArrayList;
import java.util.List;

/**
 * A tiny JSON writer with fixed key order, so generated catalog data is byte-identical run to run
 * (no map iteration anywhere).
 */
final class Json {
    private Json() {}

    /** An object built field by field, in the order fields are added. */
    static final class Obj {
        private final StringBuilder out = new StringBuilder("{");

        Obj field(String key, String value) {
            return raw(key, value == null ? "null" : string(value));
        }

        Obj field(String key, Integer value) {
            return raw(key, value == null ? "null" : value.toString());
        }

        Obj field(String key, List<Integer> values) {
            if (values == null) return raw(key, "null");
            StringBuilder out = new StringBuilder("[");
            for (int i = 0; i < values.size(); i++) out.append(i == 0 ? "" : ",").append(values.get(i));
            return raw(key, out.append(']').toString());
        }

        /** A field of already-rendered JSON, left out when {@code json} is null. */
        Obj optional(String key, String json) {
            return json == null ? this : raw(key, json);
        }

        private Obj raw(String key, String json) {
            if (out.length() > 1) out.append(',');
            out.append(string(key)).append(':').append(json);
            return this;
        }

        String build() {
            return out + "}";
        }
    }

    static Obj object() {
        return new Obj();
    }

    /** An array of already-rendered JSON values, with {@code separator} between elements. */
    static String array(List<String> values, String separator) {
        return "[" + String.join(separator, new ArrayList<>(values)) + "]";
    }

    static String string(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('"').toString();
    }
}
