package dev.dfc.cli.worker;

import dev.dfc.cli.CliException;
import dev.dfc.cli.db.Database;
import dev.dfc.cli.db.DbUrl;
import dev.dfc.compiler.parse.Parser;
import dev.dfc.compiler.source.SourceFile;
import java.io.PrintWriter;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * {@code dfc worker}: runs steps from outside the server, over JDBC (RUNTIME.md section 4), the
 * loop of the C worker's step workers: in one transaction claim an item (df._claim) and run its
 * step (df._run), commit; a step that raised past df._run is recorded with df._fail in a new
 * transaction; an HTTP step's call is made after the commit and reported with df._http_done.
 * A step costs two round trips: BEGIN and the claim, then the step and COMMIT (the step threads'
 * sessions are in autocommit mode and open and end their transactions themselves).
 * Idle threads wait for df_wake notifications (a {@link Waker}) or the next due time
 * (df._next_due). Everything about a step is decided by the runtime; this class only loops.
 */
public final class Worker {
    /** A stop request (SIGTERM, SIGINT, the end of a test). */
    public static final class Stop {
        private volatile boolean requested;

        public boolean requested() { return requested; }

        public void request() { requested = true; }
    }

    /** Interrupts taken as such for one item before its step's cancel error counts as a failure. */
    static final int MAX_INTERRUPTS = 3;

    /** Milliseconds between two reports of this process to df.stats (which counts it for 15 s). */
    static final long REPORT_MILLIS = 2000;

    private final DbUrl url;
    private final int threads;
    private final AddressPolicy policy;
    private final PrintWriter log;
    private final Stop stop;
    private final Stats stats = new Stats();

    public Worker(DbUrl url, int threads, AddressPolicy policy, PrintWriter log, Stop stop) {
        this.url = url;
        this.threads = threads;
        this.policy = policy;
        this.log = log;
        this.stop = stop;
    }

    /** Checks the database, then runs until {@link Stop#request()}; returns when every thread has ended. */
    public void run() throws InterruptedException {
        try (Connection c = connect(url, "dfc worker")) {
            check(c);
        } catch (SQLException e) {
            throw Database.error("cannot run steps on " + url.redacted(), e);
        }
        Waker waker = new Waker(url, log, stop);
        HttpExecutor http = new HttpExecutor(policy);
        List<Thread> all = new ArrayList<>();
        Thread w = new Thread(waker, "dfc-worker-wake");
        w.setDaemon(true);
        w.start();
        for (int i = 1; i <= threads; i++) {
            Thread t = new Thread(new StepThread(waker, http), "dfc-worker-" + i);
            t.start();
            all.add(t);
        }
        log.println("dfc worker: " + threads + " step thread" + (threads == 1 ? "" : "s") + " on " + url.redacted()
                + " (http: loopback " + (policy.allowLoopback() ? "allowed" : "refused") + ", private "
                + (policy.allowPrivate() ? "allowed" : "refused") + ")");
        log.flush();
        Thread reporter = new Thread(this::report, "dfc-worker-stats");
        reporter.setDaemon(true);
        reporter.start();
        for (Thread t : all) t.join();
        waker.wakeAll();
        reporter.interrupt();
        reporter.join(5000);
    }

    /**
     * Reports this process's step threads and figures (df._external_heartbeat) every
     * {@link #REPORT_MILLIS} on a connection of its own, and at the end that it ends. A database
     * that cannot be reached is tried again at the next report; the steps go on regardless.
     */
    private void report() {
        String id = host() + ":" + ProcessHandle.current().pid() + ":" + stats.snapshot().startedAt().getEpochSecond();
        Connection c = null;
        boolean complained = false;
        while (true) {
            boolean last = stop.requested();
            try {
                if (c == null) c = connect(url, "dfc worker: stats");
                Stats.Snapshot s = stats.snapshot();
                try (PreparedStatement p = c.prepareStatement("SELECT df._external_heartbeat(?, ?, ?, ?, ?, ?, ?, ?)")) {
                    p.setString(1, id);
                    if (last) p.setNull(2, java.sql.Types.INTEGER);
                    else p.setInt(2, threads);
                    p.setInt(3, s.busy());
                    p.setObject(4, java.time.OffsetDateTime.ofInstant(s.startedAt(), java.time.ZoneOffset.UTC));
                    p.setLong(5, s.steps());
                    p.setLong(6, s.failures());
                    p.setLong(7, s.stepsLastMinute());
                    p.setObject(8, s.lastStepAt() == null ? null : java.time.OffsetDateTime.ofInstant(s.lastStepAt(), java.time.ZoneOffset.UTC));
                    p.execute();
                }
                c.commit();
                complained = false;
            } catch (SQLException e) {
                if ("42883".equals(e.getSQLState())) {
                    // a runtime from before df._external_heartbeat: nothing to report to
                    log.println("dfc worker: this runtime has no df._external_heartbeat (installed by an earlier dfc):"
                            + " df.stats will not count this worker; dfc runtime --install updates it");
                    log.flush();
                    break;
                }
                if (!complained && !last) {
                    log.println("dfc worker: cannot report to df.stats: " + describe(e) + " (trying again)");
                    log.flush();
                    complained = true;
                }
                if (c != null) {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // gone already
                    }
                    c = null;
                }
            }
            if (last) break;
            try {
                Thread.sleep(REPORT_MILLIS);
            } catch (InterruptedException e) {
                // the step threads have ended: report that this process ends
                stop.request();
            }
        }
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // gone already
            }
        }
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** The runtime is installed and this role may run steps. */
    static void check(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT to_regprocedure('df._run(bigint)') IS NOT NULL,"
                     + " to_regprocedure('df._run(bigint)') IS NOT NULL AND has_function_privilege('df._run(bigint)', 'EXECUTE')"
                     + " AND has_table_privilege('df._queue', 'UPDATE'), current_user")) {
            r.next();
            if (!r.getBoolean(1)) {
                throw CliException.usage("the dfc runtime is not installed in this database (dfc runtime --install --db URL)");
            }
            if (!r.getBoolean(2)) {
                throw CliException.usage("role " + r.getString(3) + " cannot run steps: connect as the role that installed the runtime or as a superuser");
            }
        } finally {
            c.rollback();
        }
    }

    static Connection connect(DbUrl url, String applicationName) throws SQLException {
        Connection c = open(url, applicationName);
        c.setAutoCommit(false);
        return c;
    }

    /** A connection in autocommit mode: every statement sent alone is its own transaction. */
    static Connection open(DbUrl url, String applicationName) throws SQLException {
        Properties p = new Properties();
        p.putAll(url.properties());
        p.setProperty("ApplicationName", applicationName);
        // no server-side prepared statements: a step may DEALLOCATE ALL, and the worker does after each
        p.setProperty("prepareThreshold", "0");
        p.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }

    static String describe(SQLException e) {
        return Database.describe(e);
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The connection is gone (the server restarted, the backend died): SQLSTATE class 08 or 57P. */
    static boolean broken(SQLException e, Connection c) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P")) return true;
        try {
            return c.isClosed();
        } catch (SQLException ignored) {
            return true;
        }
    }

    /** One step thread: its own connection, claiming and running one step per transaction. */
    private final class StepThread implements Runnable {
        private final Waker waker;
        private final HttpExecutor http;
        private Connection c;
        /** The item whose step was running when the connection broke: reported once reconnected. */
        private Long ended;
        /** Items whose step was interrupted (see step()), with the times. */
        private final java.util.Map<Long, Integer> interrupted = new java.util.HashMap<>();
        /** Failures df._fail has counted in this connection's session (df.session_failures) so far. */
        private long sessionFailures;

        StepThread(Waker waker, HttpExecutor http) {
            this.waker = waker;
            this.http = http;
        }

        @Override
        public void run() {
            while (!stop.requested()) {
                try {
                    if (c == null) {
                        c = open(url, "dfc worker");
                        sessionFailures = 0;
                        if (ended != null) {
                            // as the C worker does for a step that ended its process
                            try (PreparedStatement s = c.prepareStatement("SELECT df._step_ended_worker(?)")) {
                                s.setLong(1, ended);
                                s.execute();
                            }
                            ended = null;
                        }
                    }
                    long seen = waker.generation();
                    if (!step()) idle(seen);
                } catch (SQLException e) {
                    if (stop.requested()) break;
                    log.println("dfc worker: " + describe(e) + "; reconnecting in 1 s");
                    log.flush();
                    close();
                    sleepQuietly(1000);
                } catch (InterruptedException e) {
                    break;
                }
            }
            close();
        }

        private void close() {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // gone already
                }
                c = null;
            }
        }

        /** Claims and runs one step; false when nothing was runnable. */
        private boolean step() throws SQLException, InterruptedException {
            Long item;
            // First what the last step may have left in the session (prepared statements, advisory
            // locks, and temporary tables without the C library, whose df._run_as drops them; none
            // is transactional), in the same round trip as the claim. The application name names
            // the item while its step runs, so that df._interrupt finds this session
            // (pg_stat_activity) when a cancel or a decided race stops the step.
            try (Statement s = c.createStatement()) {
                s.execute("BEGIN; DEALLOCATE ALL; SELECT pg_advisory_unlock_all(); DISCARD TEMP;"
                        + " SELECT i, CASE WHEN i IS NOT NULL THEN"
                        + " set_config('application_name', 'dfc worker: item ' || i, true) END,"
                        + " current_setting('df.session_failures', true) FROM df._claim() i");
                while (s.getResultSet() == null || s.getResultSet().getMetaData().getColumnCount() != 3) {
                    if (!s.getMoreResults() && s.getUpdateCount() == -1) throw new SQLException("no result from df._claim()");
                }
                try (ResultSet r = s.getResultSet()) {
                    r.next();
                    long v = r.getLong(1);
                    item = r.wasNull() ? null : v;
                    // the failures df._fail recorded in this session since the last claim
                    String failures = r.getString(3);
                    long now = sessionFailures;
                    try {
                        now = failures == null || failures.isEmpty() ? 0 : Long.parseLong(failures);
                    } catch (NumberFormatException e) {
                        // (set by something else than df._fail: not counted)
                    }
                    if (now > sessionFailures) stats.failed(now - sessionFailures);
                    sessionFailures = now;
                }
            }
            if (item == null) {
                execute("COMMIT");
                return false;
            }
            stats.stepStarted();
            try {
                return runAndCommit(item);
            } finally {
                stats.stepEnded();
            }
        }

        /** Runs the claimed item's step and commits (see step()). */
        private boolean runAndCommit(long item) throws SQLException, InterruptedException {
            Object call;
            try {
                call = runStep(item); // and COMMIT
            } catch (SQLException e) {
                if (broken(e, c)) {
                    ended = item;
                    throw e;
                }
                // (the COMMIT after a failed step was not run; a failed COMMIT ended the transaction)
                execute("ROLLBACK");
                if ("40P01".equals(e.getSQLState()) || "40001".equals(e.getSQLState())) {
                    // not the step's failure: df._run catches every error of the step's own SQL, so
                    // this came from the runtime's bookkeeping around it (two branches of one fork
                    // ending at once); rolled back, step included, the item is claimed again
                    return true;
                }
                if ("57014".equals(e.getSQLState()) && describe(e).startsWith("canceling statement due to user request")
                        && interrupted.merge(item, 1, Integer::sum) <= MAX_INTERRUPTS) {
                    // df._run gives up a step interrupted by a cancel that was not yet committed (or
                    // meant for the step before): rolled back, it is claimed again and sees why. Not
                    // forever: a step that raises that error itself fails like any other.
                    if (interrupted.size() > 10_000) interrupted.clear();
                    Thread.sleep(50);
                    return true;
                }
                interrupted.remove(item);
                fail(item, e);
                return true;
            }
            if (call instanceof HttpExecutor.Call http) makeCall(http);
            else if (call instanceof TopLevel run) runAlone(run);
            return true;
        }

        /**
         * Runs the claimed item's step and commits, in one round trip; what to do then, if anything:
         * an HTTP call to make, or a statement to run on its own ({@link TopLevel}).
         */
        private Object runStep(long item) throws SQLException {
            try (PreparedStatement s = c.prepareStatement("SELECT r.item, r.token::text, r.url, r.method, r.body, r.headers,"
                    + " r.timeout_ms, r.part_names, ARRAY(SELECT encode(d, 'base64') FROM unnest(r.part_data) d),"
                    + " r.part_filenames, r.part_types, r.bind, r.next, r.sql, r.submitter::regrole::text FROM df._run(?) r; COMMIT")) {
                s.setLong(1, item);
                s.execute();
                try (ResultSet r = s.getResultSet()) {
                    if (!r.next()) return null;
                    long callItem = r.getLong(1);
                    if (r.wasNull()) return null;
                    if (r.getString(14) != null) {
                        int next = r.getInt(13);
                        Integer nextState = r.wasNull() ? null : next;
                        return new TopLevel(callItem, r.getString(2), r.getString(12), nextState, r.getString(14), r.getString(15));
                    }
                    String[] encoded = strings(r.getArray(9));
                    byte[][] data = null;
                    if (encoded != null && r.getArray(8) != null) {
                        data = new byte[encoded.length][];
                        for (int i = 0; i < encoded.length; i++) {
                            data[i] = encoded[i] == null ? null : Base64.getMimeDecoder().decode(encoded[i]);
                        }
                    }
                    int next = r.getInt(13);
                    Integer nextState = r.wasNull() ? null : next;
                    return new HttpExecutor.Call(callItem, r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                            strings(r.getArray(6)), r.getInt(7), strings(r.getArray(8)), data, strings(r.getArray(10)),
                            strings(r.getArray(11)), r.getString(12), nextState);
                }
            }
        }

        private void execute(String sql) throws SQLException {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        private static String[] strings(Array a) throws SQLException {
            return a == null ? null : (String[]) a.getArray();
        }

        /** A step that raised past df._run: recorded in a new transaction, as the C worker does. */
        private void fail(long item, SQLException e) throws SQLException {
            StepError error = StepError.of(e);
            try (PreparedStatement s = c.prepareStatement("SELECT df._fail(?, ?, ?, ?, ?)")) {
                s.setLong(1, item);
                s.setString(2, error.sqlstate());
                s.setString(3, error.message());
                s.setString(4, error.detail());
                s.setString(5, error.hint());
                s.execute();
            }
        }

        private void idle(long seen) throws SQLException, InterruptedException {
            long millis = 1000;
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT extract(epoch FROM df._next_due() - clock_timestamp())")) {
                r.next();
                double secs = r.getDouble(1);
                if (!r.wasNull()) millis = Math.max(0, Math.min(millis, (long) Math.ceil(secs * 1000)));
            }
            if (millis > 0) waker.await(seen, millis);
        }

        /** Makes an HTTP step's call (no transaction open) and records its outcome in a new one. */
        private void makeCall(HttpExecutor.Call call) throws SQLException {
            HttpExecutor.Outcome out = http.perform(call, () -> stillWanted(call));
            if (out == null) return; // cancelled while in flight: nothing to record
            try (PreparedStatement s = c.prepareStatement("SELECT df._http_done(?, ?::timestamptz, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                s.setLong(1, call.item());
                s.setString(2, call.token());
                s.setString(3, call.bind());
                if (call.next() == null) s.setNull(4, java.sql.Types.INTEGER);
                else s.setInt(4, call.next());
                s.setInt(5, out.status());
                s.setArray(6, c.createArrayOf("text", out.headers().toArray()));
                s.setBytes(7, out.body());
                s.setDouble(8, out.durationMs());
                s.setString(9, out.error());
                s.setString(10, out.sqlstate());
                s.execute();
            } catch (SQLException e) {
                if (broken(e, c)) throw e;
                // not recorded: the item stays parked and the call is made again when it comes due
                log.println("dfc worker: could not record the outcome of the HTTP call of queue item " + call.item()
                        + " (it will be made again): " + describe(e));
                log.flush();
            }
        }

        /**
         * Runs a step's statement that cannot run inside a transaction block (VACUUM, CREATE INDEX
         * CONCURRENTLY: df._runs_alone) on its own, as the submitter (SET ROLE, so the worker's role
         * must be a superuser or a member of the submitter's), and records the outcome in a new
         * transaction (df._toplevel_done). Only a single statement: anything after it would run
         * with the role switched back by itself.
         */
        private void runAlone(TopLevel run) throws SQLException {
            long processed = 0;
            StepError error = null;
            try {
                if (!singleStatement(run.sql())) {
                    throw new SQLException("a statement that cannot run inside a transaction block must be alone in its step", "25001");
                }
                try (Statement s = c.createStatement()) {
                    try {
                        s.execute("SET ROLE " + run.role());
                    } catch (SQLException e) {
                        if (broken(e, c)) throw e;
                        throw new SQLException("dfc worker cannot run a statement as " + run.role() + " outside a transaction block: "
                                + describe(e), "42501");
                    }
                    try {
                        // named so that a cancel (df._interrupt) can interrupt it; no plan made
                        // for another submitter's step serves it (docs/security.md)
                        s.execute("SET application_name = 'dfc worker: item " + run.item() + "'");
                        s.execute("DISCARD PLANS");
                        s.execute(run.sql());
                        processed = Math.max(0, s.getUpdateCount());
                    } finally {
                        resetAfterAlone(s);
                    }
                }
            } catch (SQLException e) {
                if (broken(e, c)) throw e;
                error = StepError.of(e);
            }
            try (PreparedStatement s = c.prepareStatement("SELECT df._toplevel_done(?, ?::timestamptz, ?, ?, ?, ?, ?, ?, ?)")) {
                s.setLong(1, run.item());
                s.setString(2, run.token());
                s.setString(3, run.bind());
                if (run.next() == null) s.setNull(4, java.sql.Types.INTEGER);
                else s.setInt(4, run.next());
                s.setLong(5, processed);
                s.setString(6, error == null ? null : error.message());
                s.setString(7, error == null ? null : error.sqlstate());
                s.setString(8, error == null ? null : error.detail());
                s.setString(9, error == null ? null : error.hint());
                s.execute();
            } catch (SQLException e) {
                if (broken(e, c)) throw e;
                // not recorded: the item stays parked and the statement runs again when it comes due
                log.println("dfc worker: could not record the outcome of the statement of queue item " + run.item()
                        + " (it will run again): " + describe(e));
                log.flush();
            }
        }

        /**
         * Back to the worker's role and name after a statement that ran on its own. A cancel sent
         * just as the statement ended may interrupt this instead (57014): then again.
         */
        private void resetAfterAlone(Statement s) throws SQLException {
            for (int attempt = 1; ; attempt++) {
                try {
                    s.execute("RESET ROLE");
                    s.execute("RESET application_name");
                    s.execute("DISCARD PLANS");
                    return;
                } catch (SQLException e) {
                    if (attempt >= 3 || !"57014".equals(e.getSQLState()) || broken(e, c)) throw e;
                }
            }
        }

        /** The call's item still waits for this call (not cancelled, its race not decided). */
        private boolean stillWanted(HttpExecutor.Call call) {
            try (PreparedStatement s = c.prepareStatement("SELECT EXISTS (SELECT FROM df._queue q WHERE q.id = ? AND q.waiting = 'http'"
                    + " AND q.wait_until = ?::timestamptz)")) {
                s.setLong(1, call.item());
                s.setString(2, call.token());
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getBoolean(1);
                }
            } catch (SQLException e) {
                return true;
            }
        }
    }

    /** A step's error as the runtime records it (df._fail): the server's fields when it sent them. */
    record StepError(String sqlstate, String message, String detail, String hint) {
        static StepError of(SQLException e) {
            String state = e.getSQLState() == null ? "XX000" : e.getSQLState();
            if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
                ServerErrorMessage m = p.getServerErrorMessage();
                return new StepError(state, m.getMessage(), m.getDetail(), m.getHint());
            }
            return new StepError(state, describe(e), null, null);
        }
    }

    /** A statement df._run handed over to run on its own, as role (df._run's record, url NULL). */
    record TopLevel(long item, String token, String bind, Integer next, String sql, String role) {}

    /** Whether sql is one statement, by PostgreSQL's lexical rules (the compiler's pass-through splitting). */
    static boolean singleStatement(String sql) {
        Parser.ParseResult parsed = Parser.parse(new SourceFile("step", sql));
        return parsed.diagnostics().isEmpty() && parsed.script().statements().size() == 1
                && parsed.script().statements().get(0) instanceof dev.dfc.compiler.ast.Statement.PassThrough;
    }
}
