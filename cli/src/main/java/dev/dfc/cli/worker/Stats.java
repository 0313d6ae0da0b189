package dev.dfc.cli.worker;

import java.time.Instant;

/**
 * The figures of one {@code dfc worker} process that df.stats shows (RUNTIME.md section 6): its
 * step threads report each step here, and {@link Worker} sends them to the database every few
 * seconds (df._external_heartbeat).
 */
final class Stats {
    /** Steps ended in each of the last 60 seconds: slot {@code s % 60} holds second {@code s}. */
    private final long[] perSecond = new long[60];
    private final long[] second = new long[60];
    private final Instant startedAt = Instant.now();
    private long steps;
    private long failures;
    private int busy;
    private Instant lastStepAt;

    /** What one report sends. */
    record Snapshot(Instant startedAt, int busy, long steps, long failures, long stepsLastMinute, Instant lastStepAt) {}

    synchronized void stepStarted() {
        busy++;
    }

    synchronized void stepEnded() {
        busy--;
        steps++;
        Instant now = Instant.now();
        lastStepAt = now;
        long s = now.getEpochSecond();
        int slot = (int) (s % 60);
        if (second[slot] != s) {
            second[slot] = s;
            perSecond[slot] = 0;
        }
        perSecond[slot]++;
    }

    synchronized void failed(long n) {
        failures += n;
    }

    synchronized Snapshot snapshot() {
        long now = Instant.now().getEpochSecond();
        long lastMinute = 0;
        for (int i = 0; i < 60; i++) {
            if (second[i] > now - 60) lastMinute += perSecond[i];
        }
        return new Snapshot(startedAt, busy, steps, failures, lastMinute, lastStepAt);
    }
}
