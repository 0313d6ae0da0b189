package dev.dfc.it.harness;

import dev.dfc.cli.CliException;
import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.db.ScriptRunner;
import dev.dfc.cli.dev.DevCluster;
import dev.dfc.compiler.Compilation;
import dev.dfc.compiler.Compiler;
import dev.dfc.compiler.diag.TextRenderer;
import dev.dfc.compiler.source.SourceFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The one PostgreSQL cluster of a test run: started on first use (in /tmp/dfc-it-PID) with the
 * dfc worker loaded, database dfc holding the runtime and plpgsql_check, and stopped and
 * deleted when the JVM exits. Built on the same {@link DevCluster} as {@code dfc dev start}.
 *
 * <p>Set {@code -Ddfc.it.url=postgresql://...} to run against an existing database instead
 * (a {@code dfc dev start} cluster, say); it needs the runtime, the worker and plpgsql_check.
 *
 * <p>Tests get it with {@link #get()} or as a parameter through {@link ClusterExtension}.
 */
public final class TestCluster {
    private static final Pattern ROLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    /** Step workers of the test cluster (dfc.workers): three, so a join of three branches runs them all at once. */
    public static final int WORKERS = 3;
    private static TestCluster instance;
    /** Why the cluster could not be started: every later test fails with it instead of trying again. */
    private static RuntimeException startFailure;

    private final DevCluster cluster;
    private final DbUrl url;
    private final Path root;

    private TestCluster(DevCluster cluster, DbUrl url, Path root) {
        this.cluster = cluster;
        this.url = url;
        this.root = root;
    }

    /** The cluster, started on the first call. */
    public static synchronized TestCluster get() {
        if (startFailure != null) throw new IllegalStateException("the test cluster could not be started (see the first failing test)", startFailure);
        if (instance == null) {
            try {
                instance = start();
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
        }
        return instance;
    }

    private static TestCluster start() {
        Path root = checkoutRoot();
        String external = System.getProperty("dfc.it.url");
        if (external != null && !external.isBlank()) {
            TestCluster c = new TestCluster(null, DbUrl.parse(external), root);
            c.installPlpgsqlCheck();
            return c;
        }
        removeAbandonedClusters(root);
        Path dir = Path.of("/tmp", "dfc-it-" + ProcessHandle.current().pid());
        DevCluster cluster = new DevCluster(dir, root, new DevCluster.Options(0, WORKERS, Map.of()),
                line -> System.err.println("[dfc-it] " + line));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.destroy();
            } catch (RuntimeException e) {
                System.err.println("[dfc-it] could not remove the test cluster in " + dir + ": " + e.getMessage());
            }
        }, "dfc-it-cluster-shutdown"));
        String url;
        try {
            url = cluster.start();
        } catch (CliException e) {
            throw new IllegalStateException("cannot start the test cluster: " + e.getMessage(), e);
        }
        TestCluster c = new TestCluster(cluster, DbUrl.parse(url), root);
        c.installPlpgsqlCheck();
        c.awaitWorkers(WORKERS, 30_000);
        return c;
    }

    /** Polls until the step workers run in database dfc, so no test races their start-up. */
    private void awaitWorkers(int expected, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        try (Connection c = connect(); Statement s = c.createStatement()) {
            while (true) {
                try (ResultSet rs = s.executeQuery(
                        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND datname = current_database()")) {
                    rs.next();
                    int running = rs.getInt(1);
                    if (running >= expected) return;
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(running + " of " + expected + " dfc step workers running after " + millis
                                + " ms; see the server log in " + (cluster == null ? "the external cluster" : cluster.logFile()));
                    }
                }
                Thread.sleep(50);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot check the step workers: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the step workers", e);
        }
    }

    /** Clusters of test JVMs that were killed before their shutdown hook ran. */
    private static void removeAbandonedClusters(Path root) {
        try (Stream<Path> dirs = Files.list(Path.of("/tmp"))) {
            for (Path dir : dirs.filter(p -> p.getFileName().toString().matches("dfc-it-\\d+")).toList()) {
                long pid = Long.parseLong(dir.getFileName().toString().substring("dfc-it-".length()));
                if (ProcessHandle.of(pid).isPresent()) continue;
                try {
                    new DevCluster(dir, root, DevCluster.Options.defaults(), line -> { }).destroy();
                } catch (RuntimeException e) {
                    System.err.println("[dfc-it] could not remove abandoned cluster " + dir + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            // nothing to clean up
        }
    }

    private static Path checkoutRoot() {
        String configured = System.getProperty("dfc.root");
        Path root = configured != null ? Path.of(configured) : Path.of("..");
        return root.toAbsolutePath().normalize();
    }

    private void installPlpgsqlCheck() {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create extension plpgsql_check (is postgresql-15-plpgsql-check installed?): " + e.getMessage(), e);
        }
    }

    /** The checkout's root directory (for examples/, test-corpus/). */
    public Path root() { return root; }

    /** {@code postgresql://postgres@127.0.0.1:PORT/dfc}, for psql and the dfc CLI. */
    public String url() { return url.original(); }

    public String jdbcUrl() { return url.jdbcUrl(); }

    /** A new superuser connection to database dfc (autocommit). */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url.jdbcUrl(), url.properties());
    }

    /** A new connection as {@code role} (trust authentication: no password). */
    public Connection connectAs(String role) throws SQLException {
        Properties p = new Properties();
        p.putAll(url.properties());
        p.setProperty("user", role);
        p.remove("password");
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }

    /**
     * Creates (if needed) a non-superuser login role that may use dfc: {@code df.grant_usage},
     * plus USAGE and CREATE on schema public for the tables its workflows touch. Returns the name.
     */
    public String createRole(String name) throws SQLException {
        if (!ROLE_NAME.matcher(name).matches()) throw new IllegalArgumentException("role names in tests are plain lowercase identifiers: " + name);
        try (Connection c = connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + name + "'")) {
                if (!rs.next()) s.execute("CREATE ROLE " + name + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
            }
            s.execute("GRANT USAGE, CREATE ON SCHEMA public TO " + name);
            try (PreparedStatement grant = c.prepareStatement("SELECT df.grant_usage(?::regrole)")) {
                grant.setString(1, name);
                grant.execute();
            }
        }
        return name;
    }

    /** Compiles .dfsql text (as file {@code test.dfsql}) and applies it like {@code dfc deploy}. */
    public void deploy(String dfsqlText) {
        deploy("test.dfsql", dfsqlText);
    }

    /** Compiles one .dfsql file's text and applies the script with psql -v ON_ERROR_STOP=1; fails the test on any problem. */
    public void deploy(String path, String dfsqlText) {
        Compilation compilation = Compiler.compile(List.of(new SourceFile(path, dfsqlText)));
        if (compilation.hasErrors() || compilation.sql() == null) {
            StringBuilder msg = new StringBuilder("compiling " + path + " failed:\n");
            compilation.diagnostics().forEach(d -> msg.append(TextRenderer.render(d)));
            throw new AssertionError(msg.toString());
        }
        applySql(compilation.sql(), "deploy of " + path);
    }

    /** Compiles and deploys a file of the checkout, e.g. {@code examples/quickstart.dfsql}. */
    public void deployFile(String relativePath) throws IOException {
        deploy(relativePath, Files.readString(root.resolve(relativePath), StandardCharsets.UTF_8));
    }

    /** Applies a SQL script as psql -v ON_ERROR_STOP=1 would; fails the test with psql's messages. */
    public void applySql(String sql, String what) {
        StringWriter messages = new StringWriter();
        try {
            ScriptRunner.withDefaultClient(new PrintWriter(messages, true)).apply(url, sql, what);
        } catch (CliException e) {
            throw new AssertionError(e.getMessage() + "\n" + messages, e);
        }
    }

    /** {@code df.start(workflow, args => ...)} as superuser; returns the instance id. */
    public String start(String workflow, String argsJson) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("SELECT df.start(?, args => ?::jsonb)")) {
            s.setString(1, workflow);
            s.setString(2, argsJson);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** {@code df.start(workflow)} on a given connection (as its role); returns the instance id. */
    public static String start(Connection c, String workflow) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.start(?)")) {
            s.setString(1, workflow);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** Waits (at most 30 s, in the server) for the instance to end; returns its status. */
    public String awaitInstance(String id) throws SQLException {
        try (Connection c = connect()) {
            return awaitInstance(c, id);
        }
    }

    /** The same on a given connection, which must see the instance (its submitter, or a superuser). */
    public static String awaitInstance(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT df.await_instance(?, 30)")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** {@code df.result(id)} as superuser: the root node's result JSON, or null. */
    public String result(String id) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("SELECT df.result(?)")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** One problem plpgsql_check found in a function. */
    public record PlpgsqlProblem(String level, Integer line, String sqlstate, String message, String detail, String hint, String statement) {
        @Override
        public String toString() {
            return level + (line == null ? "" : " at line " + line) + (statement == null ? "" : " (" + statement + ")")
                    + ": " + message + (detail == null ? "" : " DETAIL: " + detail) + (hint == null ? "" : " HINT: " + hint);
        }
    }

    /** Lints a function with plpgsql_check (its default checks); an empty list means clean. */
    public List<PlpgsqlProblem> plpgsqlCheck(String regprocedure) throws SQLException {
        List<PlpgsqlProblem> problems = new ArrayList<>();
        try (Connection c = connect();
             PreparedStatement s = c.prepareStatement(
                     "SELECT level, lineno, sqlstate, message, detail, hint, statement FROM plpgsql_check_function_tb(?::regprocedure)")) {
            s.setString(1, regprocedure);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    int line = rs.getInt(2);
                    problems.add(new PlpgsqlProblem(rs.getString(1), rs.wasNull() ? null : line, rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7)));
                }
            }
        }
        return problems;
    }

    /** The underlying cluster (null with -Ddfc.it.url), for tests that stop or restart the server. */
    public DevCluster devCluster() { return cluster; }
}
