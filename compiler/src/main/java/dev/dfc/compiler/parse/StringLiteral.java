package dev.dfc.compiler.parse;

/**
 * Decodes a PostgreSQL string literal token ({@code '..'}, {@code E'..'}, {@code U&'..'},
 * {@code $$..$$}, {@code $tag$..$tag$}) into its value, remembering for every character of the
 * value where it came from in the raw token, so a later pass can point a caret at {@code $name}
 * inside a literal written with escapes.
 *
 * <p>Decoding is lenient: malformed escapes are kept as written and an unterminated literal is
 * decoded up to the end of the raw text. The lexer reports unterminated literals; this class never
 * throws.
 */
public final class StringLiteral {
    private StringLiteral() {}

    /**
     * A decoded literal.
     *
     * @param value      the string value
     * @param rawOffsets for each char of {@code value}, the offset in the raw token of the character
     *                   or escape sequence it was decoded from (same length as {@code value})
     */
    public record Decoded(String value, int[] rawOffsets) {
        /** Offset in the raw token of the value character at {@code index}; the end of the body for index == length. */
        public int rawOffset(int index) {
            if (index < rawOffsets.length) return rawOffsets[index];
            return rawOffsets.length == 0 ? 0 : rawOffsets[rawOffsets.length - 1] + 1;
        }
    }

    public static Decoded decode(String raw) {
        if (raw.isEmpty()) return new Decoded("", new int[0]);
        char first = raw.charAt(0);
        if (first == '$') return dollarQuoted(raw);
        if ((first == 'e' || first == 'E') && raw.length() > 1 && raw.charAt(1) == '\'') return escaped(raw);
        if ((first == 'u' || first == 'U') && raw.startsWith("&'", 1)) return unicodeEscaped(raw);
        int open = raw.indexOf('\'');
        return standard(raw, open < 0 ? raw.length() : open + 1);
    }

    private static final class Builder {
        final StringBuilder value = new StringBuilder();
        int[] offsets = new int[16];

        void add(char c, int rawOffset) {
            if (value.length() == offsets.length) offsets = java.util.Arrays.copyOf(offsets, offsets.length * 2);
            offsets[value.length()] = rawOffset;
            value.append(c);
        }

        void addCodePoint(int cp, int rawOffset) {
            if (Character.isBmpCodePoint(cp)) {
                add((char) cp, rawOffset);
            } else {
                add(Character.highSurrogate(cp), rawOffset);
                add(Character.lowSurrogate(cp), rawOffset);
            }
        }

        Decoded build() {
            return new Decoded(value.toString(), java.util.Arrays.copyOf(offsets, value.length()));
        }
    }

    /** {@code '..'} with {@code ''} for a quote; {@code start} is the first body offset. */
    private static Decoded standard(String raw, int start) {
        Builder b = new Builder();
        int i = start;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '\'') {
                if (i + 1 < raw.length() && raw.charAt(i + 1) == '\'') {
                    b.add('\'', i);
                    i += 2;
                    continue;
                }
                break;
            }
            b.add(c, i++);
        }
        return b.build();
    }

    private static Decoded dollarQuoted(String raw) {
        int tagEnd = raw.indexOf('$', 1);
        if (tagEnd < 0) return new Builder().build();
        String delimiter = raw.substring(0, tagEnd + 1);
        int start = tagEnd + 1;
        int end = raw.length();
        if (raw.length() >= start + delimiter.length() && raw.endsWith(delimiter)) end = raw.length() - delimiter.length();
        Builder b = new Builder();
        for (int i = start; i < end; i++) b.add(raw.charAt(i), i);
        return b.build();
    }

    /** {@code E'..'}: C-style backslash escapes as PostgreSQL defines them. */
    private static Decoded escaped(String raw) {
        Builder b = new Builder();
        int i = 2;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '\'') {
                if (i + 1 < raw.length() && raw.charAt(i + 1) == '\'') {
                    b.add('\'', i);
                    i += 2;
                    continue;
                }
                break;
            }
            if (c != '\\' || i + 1 >= raw.length()) {
                b.add(c, i++);
                continue;
            }
            int at = i;
            char e = raw.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'b' -> b.add('\b', at);
                case 'f' -> b.add('\f', at);
                case 'n' -> b.add('\n', at);
                case 'r' -> b.add('\r', at);
                case 't' -> b.add('\t', at);
                case 'x' -> {
                    int n = hexDigits(raw, i, 2);
                    if (n == 0) {
                        b.add('x', at);
                    } else {
                        b.add((char) Integer.parseInt(raw.substring(i, i + n), 16), at);
                        i += n;
                    }
                }
                case 'u', 'U' -> {
                    int want = e == 'u' ? 4 : 8;
                    if (hexDigits(raw, i, want) == want) {
                        long cp = Long.parseLong(raw.substring(i, i + want), 16);
                        i += want;
                        if (cp <= Character.MAX_CODE_POINT) {
                            b.addCodePoint((int) cp, at);
                        } else {
                            b.add('\uFFFD', at);
                        }
                    } else {
                        b.add(e, at);
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        int n = 1;
                        while (n < 3 && i < raw.length() && raw.charAt(i) >= '0' && raw.charAt(i) <= '7') {
                            v = v * 8 + (raw.charAt(i++) - '0');
                            n++;
                        }
                        b.add((char) (v & 0xFF), at);
                    } else {
                        b.add(e, at);
                    }
                }
            }
        }
        return b.build();
    }

    /**
     * {@code U&'..' [UESCAPE 'c']}: {@code cXXXX}, {@code c+XXXXXX} and {@code cc}, where the escape
     * character c is a backslash unless a UESCAPE clause names another.
     */
    private static Decoded unicodeEscaped(String raw) {
        char escape = uescape(raw);
        Builder b = new Builder();
        int i = 3;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '\'') {
                if (i + 1 < raw.length() && raw.charAt(i + 1) == '\'') {
                    b.add('\'', i);
                    i += 2;
                    continue;
                }
                break;
            }
            if (c != escape || i + 1 >= raw.length()) {
                b.add(c, i++);
                continue;
            }
            int at = i;
            char e = raw.charAt(i + 1);
            if (e == escape) {
                b.add(escape, at);
                i += 2;
            } else if (e == '+' && hexDigits(raw, i + 2, 6) == 6) {
                int cp = Integer.parseInt(raw.substring(i + 2, i + 8), 16);
                b.addCodePoint(cp <= Character.MAX_CODE_POINT ? cp : 0xFFFD, at);
                i += 8;
            } else if (hexDigits(raw, i + 1, 4) == 4) {
                b.add((char) Integer.parseInt(raw.substring(i + 1, i + 5), 16), at);
                i += 5;
            } else {
                b.add(c, i++);
            }
        }
        return b.build();
    }

    /** The escape character named by a trailing {@code UESCAPE 'c'} clause, or a backslash. */
    private static char uescape(String raw) {
        int i = 3;
        while (i < raw.length()) {
            if (raw.charAt(i) == '\'') {
                if (i + 1 < raw.length() && raw.charAt(i + 1) == '\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            i++;
        }
        String rest = raw.substring(Math.min(i + 1, raw.length())).strip();
        if (rest.regionMatches(true, 0, "uescape", 0, 7)) {
            String quoted = rest.substring(7).strip();
            if (quoted.length() == 3 && quoted.charAt(0) == '\'' && quoted.charAt(2) == '\'') return quoted.charAt(1);
        }
        return '\\';
    }

    /** Number of hex digits (at most {@code max}) starting at {@code from}. */
    private static int hexDigits(String s, int from, int max) {
        int n = 0;
        while (n < max && from + n < s.length() && Character.digit(s.charAt(from + n), 16) >= 0
                && s.charAt(from + n) < 128) {
            n++;
        }
        return n;
    }
}
