package dev.dfc.compiler.check;

import java.util.regex.Pattern;

/** Name rules and "did you mean" suggestions. */
public final class Names {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private Names() {}

    /** A result or parameter name usable in a reference: {@code [A-Za-z_][A-Za-z0-9_]*}. */
    public static boolean isIdentifier(String s) {
        return IDENTIFIER.matcher(s).matches();
    }

    /** The candidate with the smallest edit distance to {@code name}, if at most {@code max}; ties: first. */
    public static String closest(String name, Iterable<String> candidates, int max) {
        String best = null;
        int bestDistance = max + 1;
        for (String c : candidates) {
            int d = distance(name, c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
