package dev.dfc.cli.worker;

import dev.dfc.cli.db.DbUrl;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes idle step threads when work is committed: a connection of its own LISTENs on df_wake
 * (df._wake() notifies it when a start, a signal or a fork commits). A step thread reads
 * {@link #generation()} before it claims and, finding nothing, waits in {@link #await} for a newer
 * one or its deadline, so a notification between its claim and its wait is not lost. Also runs
 * the retention sweep (df._expire_instances) once a minute, as the C worker does.
 */
final class Waker implements Runnable {
    private final DbUrl url;
    private final PrintWriter log;
    private final Worker.Stop stop;
    private long generation;

    Waker(DbUrl url, PrintWriter log, Worker.Stop stop) {
        this.url = url;
        this.log = log;
        this.stop = stop;
    }

    synchronized long generation() {
        return generation;
    }

    /** Waits until a wake-up newer than {@code seen}, a stop, or {@code millis} have passed. */
    synchronized void await(long seen, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (generation == seen && !stop.requested()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) return;
            wait(left);
        }
    }

    synchronized void wakeAll() {
        generation++;
        notifyAll();
    }

    @Override
    public void run() {
        long nextExpiry = 0;
        while (!stop.requested()) {
            try (Connection c = Worker.connect(url, "dfc worker: wake-ups")) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN df_wake");
                }
                c.commit();
                wakeAll(); // anything committed while not listening
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!stop.requested()) {
                    PGNotification[] got = pg.getNotifications(500);
                    if (got != null && got.length > 0) wakeAll();
                    if (System.nanoTime() - nextExpiry > 0) {
                        try (Statement s = c.createStatement()) {
                            s.execute("SELECT df._expire_instances()");
                        }
                        c.commit();
                        nextExpiry = System.nanoTime() + 60_000_000_000L;
                    }
                }
            } catch (SQLException e) {
                if (stop.requested()) return;
                log.println("dfc worker: wake-up connection: " + Worker.describe(e) + "; reconnecting in 1 s");
                log.flush();
                wakeAll(); // the step threads poll meanwhile
                Worker.sleepQuietly(1000);
            }
        }
    }
}
