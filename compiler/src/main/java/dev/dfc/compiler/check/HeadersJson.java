package dev.dfc.compiler.check;

/**
 * Validates the headers argument of df.http: a JSON object whose keys are HTTP header names and
 * whose values are strings. Reports the first problem with its offsets in the text. Iterative (a
 * value nested a million levels deep is skipped without recursion) and never throws.
 */
final class HeadersJson {
    /** A problem at text[start, end). */
    record Problem(String message, int start, int end) {}

    private final String text;
    private int pos;

    private HeadersJson(String text) {
        this.text = text;
    }

    /** The first problem in a headers object, or null when it is well-formed. */
    static Problem check(String text) {
        return new HeadersJson(text).object();
    }

    private Problem object() {
        space();
        if (pos >= text.length()) return problem("malformed headers json: empty text, expected an object", 0, text.length());
        if (text.charAt(pos) != '{') {
            int end = valueEnd(pos);
            return problem("headers must be a JSON object, found " + kind(text.charAt(pos)), pos, end);
        }
        pos++;
        space();
        if (peek() == '}') {
            pos++;
            return trailing();
        }
        while (true) {
            space();
            if (peek() != '"') return expected("a header name in double quotes");
            int keyStart = pos;
            String key = string();
            if (key == null) return problem("malformed headers json: unterminated or invalid string", keyStart, pos);
            if (!isToken(key)) {
                return problem("'" + key + "' is not a valid http header name", keyStart, pos);
            }
            space();
            if (peek() != ':') return expected("':' after the header name");
            pos++;
            space();
            int valueStart = pos;
            if (pos >= text.length()) return expected("a value");
            if (peek() != '"') {
                int end = valueEnd(pos);
                if (end == pos) return expected("a value");
                return problem("header '" + key + "' must have a string value, found " + kind(text.charAt(valueStart)),
                        valueStart, end);
            }
            String value = string();
            if (value == null) return problem("malformed headers json: unterminated or invalid string", valueStart, pos);
            if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                return problem("header '" + key + "' contains a line break", valueStart, pos);
            }
            space();
            if (peek() == ',') {
                pos++;
                continue;
            }
            if (peek() == '}') {
                pos++;
                return trailing();
            }
            return expected("',' or '}'");
        }
    }

    private Problem trailing() {
        space();
        return pos < text.length() ? problem("malformed headers json: text after the object", pos, text.length()) : null;
    }

    private Problem expected(String what) {
        if (pos >= text.length()) {
            return problem("malformed headers json: expected " + what + ", found the end", Math.max(0, text.length() - 1), text.length());
        }
        return problem("malformed headers json: expected " + what, pos, pos + 1);
    }

    private static Problem problem(String message, int start, int end) {
        return new Problem(message, start, Math.max(start, end));
    }

    /** Reads a JSON string at pos (on its opening quote); null when malformed (pos left at the culprit). */
    private String string() {
        StringBuilder out = new StringBuilder();
        pos++;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return out.toString();
            }
            if (c < 0x20) return null;
            if (c == '\\') {
                char e = pos + 1 < text.length() ? text.charAt(pos + 1) : '\0';
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (pos + 6 > text.length()) return null;
                        int code = 0;
                        for (int i = pos + 2; i < pos + 6; i++) {
                            int d = Character.digit(text.charAt(i), 16);
                            if (d < 0) return null;
                            code = code * 16 + d;
                        }
                        out.append((char) code);
                        pos += 4;
                    }
                    default -> {
                        return null;
                    }
                }
                pos += 2;
                continue;
            }
            out.append(c);
            pos++;
        }
        return null;
    }

    /** End of the (possibly malformed) value starting at p: brackets balanced, strings skipped. */
    private int valueEnd(int p) {
        int depth = 0;
        int i = p;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"') {
                i++;
                while (i < text.length() && text.charAt(i) != '"') i += text.charAt(i) == '\\' ? 2 : 1;
                i = Math.min(text.length(), i + 1);
                if (depth == 0) return i;
                continue;
            }
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
                if (depth == 0) return i;
                depth--;
                if (depth == 0) return i + 1;
            } else if (depth == 0 && (c == ',' || Character.isWhitespace(c))) {
                return i;
            }
            i++;
        }
        return text.length();
    }

    private static String kind(char c) {
        if (c == '{') return "an object";
        if (c == '[') return "an array";
        if (c == '"') return "a string";
        if (c == 't' || c == 'f') return "a boolean";
        if (c == 'n') return "null";
        if (c == '-' || (c >= '0' && c <= '9')) return "a number";
        return "'" + c + "'";
    }

    /** RFC 9110 token: the characters a header name may have. */
    private static boolean isToken(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) return false;
        }
        return true;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void space() {
        while (pos < text.length() && " \t\n\r".indexOf(text.charAt(pos)) >= 0) pos++;
    }
}
