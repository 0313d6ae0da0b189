package dev.dfc.compiler.parse;

/**
 * Decodes a PostgreSQL string literal token ({@code '..'}, {@code E'..'}, {@code U&'..'},
 * {@code $$..$$}, {@code $tag$..$tag$}) into its value, remembering for every character of the
 * value where it came from in the raw token, so a later pass can point a caret at {@code $name}
 * inside a literal written with escapes.
 *
 * <p>Decoding is lenient: it never throws, an unterminated literal is decoded up to the end of the
 * raw text (the lexer reports it), and an escape PostgreSQL refuses is reported as the literal's
 * {@link Problem} while decoding goes on (a bad byte as U+FFFD).
 */
public final class StringLiteral {
    private StringLiteral() {}

    /**
     * A decoded literal.
     *
     * @param value      the string value
     * @param rawOffsets for each char of {@code value}, the offset in the raw token of the character
     *                   or escape sequence it was decoded from (same length as {@code value})
     * @param problem    the error PostgreSQL raises reading this literal (the first one), or null
     */
    public record Decoded(String value, int[] rawOffsets, Problem problem) {
        public Decoded(String value, int[] rawOffsets) {
            this(value, rawOffsets, null);
        }

        /** Offset in the raw token of the value character at {@code index}; the end of the body for index == length. */
        public int rawOffset(int index) {
            if (index < rawOffsets.length) return rawOffsets[index];
            return rawOffsets.length == 0 ? 0 : rawOffsets[rawOffsets.length - 1] + 1;
        }
    }

    /**
     * Why PostgreSQL refuses a literal: an invalid escape, or escapes that do not make UTF-8 text.
     * {@code start} and {@code end} are offsets in the raw token.
     */
    public record Problem(String message, String hint, int start, int end) {}

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

        Decoded build() {
            return new Decoded(value.toString(), java.util.Arrays.copyOf(offsets, value.length()));
        }
    }

    /** {@code '..'} with {@code ''} for a quote; {@code start} is the first body offset. */
    private static Decoded standard(String raw, int start) {
        int close = raw.indexOf('\'', start);
        if (close < 0 || close + 1 >= raw.length() || raw.charAt(close + 1) != '\'') {
            // no doubled quote (the usual case): the body as it is, offset for offset
            int end = close < 0 ? raw.length() : close;
            int[] offsets = new int[end - start];
            for (int i = 0; i < offsets.length; i++) offsets[i] = start + i;
            return new Decoded(raw.substring(start, end), offsets);
        }
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

    /**
     * {@code E'..'}: C-style backslash escapes as PostgreSQL's scanner reads them (scan.l). {@code \xNN}
     * and {@code \ooo} give bytes, {@code \\uXXXX} / {@code \\UXXXXXXXX} code points (a UTF-16 surrogate
     * pair written as two escapes is one), everything else UTF-8 as written; the bytes must form
     * UTF-8 without a zero byte, so {@code E'caf\xc3\xa9'} is {@code café}.
     */
    private static Decoded escaped(String raw) {
        Utf8 out = new Utf8();
        int i = 2;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '\'') {
                if (i + 1 < raw.length() && raw.charAt(i + 1) == '\'') {
                    out.codePoint('\'', i, i + 2);
                    i += 2;
                    continue;
                }
                break;
            }
            if (c != '\\' || i + 1 >= raw.length()) {
                int cp = raw.codePointAt(i);
                out.codePoint(cp, i, i + Character.charCount(cp));
                i += Character.charCount(cp);
                continue;
            }
            int at = i;
            char e = raw.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'b' -> out.codePoint('\b', at, i);
                case 'f' -> out.codePoint('\f', at, i);
                case 'n' -> out.codePoint('\n', at, i);
                case 'r' -> out.codePoint('\r', at, i);
                case 't' -> out.codePoint('\t', at, i);
                case 'x' -> {
                    int n = hexDigits(raw, i, 2);
                    if (n == 0) {
                        out.codePoint('x', at, i);
                    } else {
                        out.escapedByte(Integer.parseInt(raw.substring(i, i + n), 16), at, i + n);
                        i += n;
                    }
                }
                case 'u', 'U' -> i = unicodeEscape(raw, at, out);
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        int n = 1;
                        while (n < 3 && i < raw.length() && raw.charAt(i) >= '0' && raw.charAt(i) <= '7') {
                            v = v * 8 + (raw.charAt(i++) - '0');
                            n++;
                        }
                        out.escapedByte(v & 0xFF, at, i);
                    } else {
                        // any other character stands for itself (PostgreSQL has no \v); a backslash before
                        // a character outside the BMP escapes its first byte, which keeps the character
                        int cp = raw.codePointAt(at + 1);
                        i = at + 1 + Character.charCount(cp);
                        out.codePoint(cp, at, i);
                    }
                }
            }
        }
        return out.decode();
    }

    private static final String E_UNICODE_HINT = "Unicode escapes must be \\uXXXX or \\UXXXXXXXX";

    /** {@code \\u} or {@code \\U} at {@code at} in an E'' string (a high surrogate with its pair); returns the offset after it. */
    private static int unicodeEscape(String raw, int at, Utf8 out) {
        int end = escapeEnd(raw, at);
        if (end < 0) {
            out.problem("invalid Unicode escape", E_UNICODE_HINT, at, -end);
            return -end;
        }
        long cp = Long.parseLong(raw.substring(at + 2, end), 16);
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            out.problem("invalid Unicode surrogate pair", "a low surrogate (\\udc00-\\udfff) must follow a high one (\\ud800-\\udbff)", at, end);
            return end;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            boolean escape = end + 1 < raw.length() && raw.charAt(end) == '\\' && (raw.charAt(end + 1) == 'u' || raw.charAt(end + 1) == 'U');
            if (escape) {
                int end2 = escapeEnd(raw, end);
                if (end2 < 0) {
                    out.problem("invalid Unicode escape", E_UNICODE_HINT, end, -end2);
                    return -end2;
                }
                long low = Long.parseLong(raw.substring(end + 2, end2), 16);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    out.codePoint(Character.toCodePoint((char) cp, (char) low), at, end2);
                    return end2;
                }
            }
            out.problem("invalid Unicode surrogate pair", "a high surrogate (\\ud800-\\udbff) must be followed by a low one (\\udc00-\\udfff)", at, end);
            return end;
        }
        if (cp == 0 || cp > Character.MAX_CODE_POINT) {
            out.problem("invalid Unicode escape value",
                    cp == 0 ? "PostgreSQL text cannot contain a zero character" : "the largest code point is \\U0010FFFF", at, end);
            return end;
        }
        out.codePoint((int) cp, at, end);
        return end;
    }

    /**
     * The end of the {@code \\u} (four hex digits) or {@code \\U} (eight) escape at {@code at}, or
     * minus the end of its digits when there are fewer.
     */
    private static int escapeEnd(String raw, int at) {
        int want = raw.charAt(at + 1) == 'u' ? 4 : 8;
        int n = hexDigits(raw, at + 2, want);
        return n == want ? at + 2 + n : -(at + 2 + n);
    }

    /**
     * {@code U&'..' [UESCAPE 'c']}: {@code cXXXX}, {@code c+XXXXXX} and {@code cc}, where the escape
     * character c is a backslash unless a UESCAPE clause names another; as PostgreSQL reads them
     * (str_udeescape), a surrogate pair written as two escapes is one code point.
     */
    private static Decoded unicodeEscaped(String raw) {
        char escape = uescape(raw);
        String hint = "Unicode escapes must be " + escape + "XXXX or " + escape + "+XXXXXX";
        Utf8 out = new Utf8();
        int i = 3;
        int pairAt = -1; // the high surrogate waiting for its low one
        long high = 0;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '\'' && !(i + 1 < raw.length() && raw.charAt(i + 1) == '\'')) break;
            if (c != escape || i + 1 >= raw.length()) {
                if (pairAt >= 0) {
                    out.problem("invalid Unicode surrogate pair", null, pairAt, i);
                    pairAt = -1;
                }
                int n = c == '\'' ? 2 : Character.charCount(raw.codePointAt(i));
                out.codePoint(c == '\'' ? '\'' : raw.codePointAt(i), i, i + n);
                i += n;
                continue;
            }
            int at = i;
            char e = raw.charAt(i + 1);
            long cp;
            if (e == escape && pairAt < 0) {
                out.codePoint(escape, at, at + 2);
                i += 2;
                continue;
            } else if (e == '+' && hexDigits(raw, i + 2, 6) == 6) {
                cp = Long.parseLong(raw.substring(i + 2, i + 8), 16);
                i += 8;
            } else if (hexDigits(raw, i + 1, 4) == 4) {
                cp = Long.parseLong(raw.substring(i + 1, i + 5), 16);
                i += 5;
            } else {
                out.problem(pairAt >= 0 && e == escape ? "invalid Unicode surrogate pair" : "invalid Unicode escape",
                        hint, pairAt >= 0 && e == escape ? pairAt : at, at + 1);
                pairAt = -1;
                out.codePoint(c, at, at + 1);
                i++;
                continue;
            }
            if (cp == 0 || cp > Character.MAX_CODE_POINT) {
                out.problem("invalid Unicode escape value",
                        cp == 0 ? "PostgreSQL text cannot contain a zero character" : "the largest code point is " + escape + "+10FFFF", at, i);
            } else if (pairAt >= 0) {
                if (cp >= 0xDC00 && cp <= 0xDFFF) out.codePoint(Character.toCodePoint((char) high, (char) cp), pairAt, i);
                else out.problem("invalid Unicode surrogate pair", null, pairAt, i);
                pairAt = -1;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                out.problem("invalid Unicode surrogate pair", null, at, i);
            } else if (cp >= 0xD800 && cp <= 0xDBFF) {
                pairAt = at;
                high = cp;
            } else {
                out.codePoint((int) cp, at, i);
            }
        }
        if (pairAt >= 0) out.problem("invalid Unicode surrogate pair", null, pairAt, i);
        return out.decode();
    }

    /**
     * The bytes of a literal being decoded, each with the raw range it came from, decoded as UTF-8
     * at the end (as PostgreSQL verifies the bytes of an E'' string once it is read); and the first
     * problem found, PostgreSQL's error for it.
     */
    private static final class Utf8 {
        private byte[] bytes = new byte[32];
        private int[] starts = new int[32];
        private int[] ends = new int[32];
        private int length;
        private Problem problem;

        void problem(String message, String hint, int start, int end) {
            if (problem == null) problem = new Problem(message, hint, start, end);
        }

        void codePoint(int cp, int start, int end) {
            if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) cp = 0xFFFD; // a lone surrogate in the source
            byte[] b = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (byte x : b) add(x, start, end);
        }

        void escapedByte(int value, int start, int end) {
            add((byte) value, start, end);
        }

        private void add(byte b, int start, int end) {
            if (length == bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, length * 2);
                starts = java.util.Arrays.copyOf(starts, length * 2);
                ends = java.util.Arrays.copyOf(ends, length * 2);
            }
            bytes[length] = b;
            starts[length] = start;
            ends[length] = end;
            length++;
        }

        /** The value; a byte that starts no valid sequence becomes U+FFFD (and the problem, if it is the first). */
        Decoded decode() {
            Builder b = new Builder();
            int i = 0;
            while (i < length) {
                int n = sequenceLength(i);
                if (n > 0) {
                    String ch = new String(bytes, i, n, java.nio.charset.StandardCharsets.UTF_8);
                    for (int k = 0; k < ch.length(); k++) b.add(ch.charAt(k), starts[i]);
                    i += n;
                    continue;
                }
                // PostgreSQL names the bytes the first one claims (report_invalid_encoding)
                int lead = bytes[i] & 0xFF;
                int claimed = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
                claimed = Math.min(claimed, length - i);
                StringBuilder shown = new StringBuilder();
                for (int k = 0; k < claimed; k++) shown.append(k == 0 ? "" : " ").append(String.format("0x%02x", bytes[i + k] & 0xFF));
                problem("invalid byte sequence for encoding \"UTF8\": " + shown,
                        lead == 0 ? "PostgreSQL text cannot contain a zero byte"
                                : "\\x and \\ooo escapes are bytes that must form UTF-8 characters: E'caf\\xc3\\xa9' is 'caf\u00e9', "
                                        + "as is E'caf\\u00e9'",
                        starts[i], ends[i + claimed - 1]);
                b.add('\uFFFD', starts[i]);
                i++;
            }
            Decoded d = b.build();
            return new Decoded(d.value(), d.rawOffsets(), problem);
        }

        /** Length of the valid UTF-8 sequence at i (pg_utf8_islegal; a zero byte is not valid text), or 0. */
        private int sequenceLength(int i) {
            int b0 = bytes[i] & 0xFF;
            if (b0 == 0) return 0;
            if (b0 < 0x80) return 1;
            int n;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                n = 2;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                n = 3;
                if (b0 == 0xE0) lo = 0xA0;
                if (b0 == 0xED) hi = 0x9F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                n = 4;
                if (b0 == 0xF0) lo = 0x90;
                if (b0 == 0xF4) hi = 0x8F;
            } else {
                return 0;
            }
            if (i + n > length) return 0;
            int b1 = bytes[i + 1] & 0xFF;
            if (b1 < lo || b1 > hi) return 0;
            for (int k = 2; k < n; k++) if ((bytes[i + k] & 0xC0) != 0x80) return 0;
            return n;
        }
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
