package dev.dfc.compiler.golden;

import java.util.ArrayList;
import java.util.List;

/** A small line diff (LCS) printed in unified style with 3 lines of context. */
final class UnifiedDiff {
    private static final int CONTEXT = 3;

    private UnifiedDiff() {}

    static String diff(String expected, String actual, String expectedName, String actualName) {
        String[] a = expected.split("\n", -1);
        String[] b = actual.split("\n", -1);
        int[][] lcs = new int[a.length + 1][b.length + 1];
        for (int i = a.length - 1; i >= 0; i--) {
            for (int j = b.length - 1; j >= 0; j--) {
                lcs[i][j] = a[i].equals(b[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        // edit script: ' ' keep, '-' expected only, '+' actual only
        List<String> lines = new ArrayList<>();
        List<int[]> pos = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
            if (i < a.length && j < b.length && a[i].equals(b[j])) {
                lines.add(" " + a[i]);
                pos.add(new int[] {i++, j++});
            } else if (j < b.length && (i == a.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
                lines.add("+" + b[j]);
                pos.add(new int[] {i, j++});
            } else {
                lines.add("-" + a[i]);
                pos.add(new int[] {i++, j});
            }
        }
        StringBuilder out = new StringBuilder("--- " + expectedName + "\n+++ " + actualName + "\n");
        int k = 0;
        while (k < lines.size()) {
            if (lines.get(k).charAt(0) == ' ') {
                k++;
                continue;
            }
            int from = Math.max(0, k - CONTEXT);
            int to = k;
            int lastChange = k;
            while (to < lines.size() && to - lastChange <= 2 * CONTEXT) {
                if (lines.get(to).charAt(0) != ' ') lastChange = to;
                to++;
            }
            to = Math.min(lines.size(), lastChange + CONTEXT + 1);
            out.append("@@ -").append(pos.get(from)[0] + 1).append(" +").append(pos.get(from)[1] + 1).append(" @@\n");
            for (int m = from; m < to; m++) out.append(lines.get(m)).append('\n');
            k = to;
        }
        return out.toString();
    }
}
