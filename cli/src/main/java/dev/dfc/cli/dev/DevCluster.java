package dev.dfc.cli.dev;

import dev.dfc.cli.CliException;
import dev.dfc.cli.db.DbUrl;
import dev.dfc.cli.db.RuntimeScript;
import dev.dfc.cli.db.ScriptRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL 15 cluster with the dfc worker loaded and the runtime installed,
 * living entirely in one directory:
 *
 * <pre>
 *   dir/data/              PGDATA (postgresql.conf includes dfc.conf)
 *   dir/data/dfc.conf      the settings below; rewritten on every start (the port may change)
 *   dir/lib/dfc.so         a copy of bgworker/dfc.so, found through dynamic_library_path
 *   dir/sock/              the unix socket
 *   dir/log/postgres.log   the server log
 * </pre>
 *
 * Used by {@code dfc dev} (dir = .dfc/dev in the checkout) and by the integration tests
 * (their own dir). Not for production: trust authentication, fsync off, and instances
 * submitted by superusers are allowed.
 */
public final class DevCluster {
    public static final String DATABASE = "dfc";
    public static final String SUPERUSER = "postgres";
    /** The port dev clusters try first; tests pass 0 for any free port. */
    public static final int DEFAULT_PORT = 54329;

    private static final Pattern PORT_SETTING = Pattern.compile("(?m)^port\\s*=\\s*(\\d+)");
    private static final Duration SERVER_TIMEOUT = Duration.ofSeconds(90);

    /** What differs between a developer's cluster and a test run's. */
    public record Options(int preferredPort, int workers, Map<String, String> extraSettings) {
        public static Options defaults() { return new Options(DEFAULT_PORT, 2, Map.of()); }
    }

    public enum State { NOT_CREATED, STOPPED, RUNNING }

    private final Path dir;
    private final Path repoRoot;
    private final Options options;
    private final Consumer<String> progress;
    private final ServerUser serverUser = ServerUser.current();

    public DevCluster(Path dir, Path repoRoot, Options options, Consumer<String> progress) {
        this.dir = dir.toAbsolutePath().normalize();
        this.repoRoot = repoRoot;
        this.options = options;
        this.progress = progress;
    }

    public Path dir() { return dir; }

    public Path dataDir() { return dir.resolve("data"); }

    public Path logFile() { return dir.resolve("log").resolve("postgres.log"); }

    /** Whether the server runs as another OS user (postgres, because we are root). */
    public boolean runsAsPostgresUser() { return serverUser.isRoot(); }

    public State state() {
        if (!Files.isRegularFile(dataDir().resolve("PG_VERSION"))) return State.NOT_CREATED;
        Path bindir = PgBinaries.requireBindir();
        Exec.Result r = pgCtl(bindir, List.of("status"));
        return r.ok() ? State.RUNNING : State.STOPPED;
    }

    /** The port in dfc.conf; meaningful while the server runs. */
    public OptionalInt port() {
        try {
            Matcher m = PORT_SETTING.matcher(Files.readString(dataDir().resolve("dfc.conf")));
            return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
        } catch (IOException e) {
            return OptionalInt.empty();
        }
    }

    /** {@code postgresql://postgres@127.0.0.1:PORT/dfc} */
    public String url() { return url(DATABASE); }

    public String url(String database) {
        int port = port().orElseThrow(() -> CliException.usage("the dev cluster in " + dir + " has not been started"));
        return "postgresql://" + SUPERUSER + "@127.0.0.1:" + port + "/" + database;
    }

    public DbUrl dbUrl() { return DbUrl.parse(url()); }

    /**
     * Makes sure the cluster exists, runs, has database dfc and the runtime; returns its URL.
     * Idempotent: a running cluster is reused.
     */
    public String start() {
        Path bindir = PgBinaries.requireBindir();
        State state = state();
        if (state == State.RUNNING) {
            progress.accept("dev cluster already running in " + dir);
            warnIfWorkerIsStale();
        } else {
            Path library = WorkerBuild.ensureBuilt(repoRoot, progress);
            serverUser.ensureOwnedDirectory(dir);
            for (String sub : List.of("lib", "sock", "log")) serverUser.ensureOwnedDirectory(dir.resolve(sub));
            if (state == State.NOT_CREATED) initdb(bindir);
            installLibrary(library);
            writeSettings(pickPort());
            if (state == State.NOT_CREATED) {
                // The workers connect to database dfc as soon as the server is up; create it
                // (and the runtime they poll) first, so they start into a ready database.
                try {
                    startServer(bindir, false);
                    ensureDatabase();
                    ensureRuntime();
                    stopServer(bindir);
                } catch (RuntimeException e) {
                    // half-made clusters would be reused as if complete: start from scratch next time
                    discardAfterFailedSetup();
                    throw e;
                }
            }
            startServer(bindir, true);
        }
        ensureDatabase();
        ensureRuntime();
        return url();
    }

    /** Stops the server (fast shutdown); false if it was not running. */
    public boolean stop() {
        if (state() != State.RUNNING) return false;
        stopServer(PgBinaries.requireBindir());
        return true;
    }

    private void stopServer(Path bindir) {
        Exec.Result r = pgCtl(bindir, List.of("stop", "-m", "fast", "-w", "-t", String.valueOf(SERVER_TIMEOUT.toSeconds())));
        if (!r.ok()) throw CliException.usage("pg_ctl stop failed:\n" + r.tail(10));
    }

    /** Stops the server if it runs and deletes the cluster directory. */
    public void destroy() {
        if (Files.isRegularFile(dataDir().resolve("PG_VERSION"))) stop();
        deleteTree(dir);
    }

    private void discardAfterFailedSetup() {
        try {
            destroy();
        } catch (RuntimeException cleanup) {
            progress.accept("could not remove the half-made cluster in " + dir + ": " + cleanup.getMessage());
        }
    }

    private void initdb(Path bindir) {
        progress.accept("creating a PostgreSQL cluster in " + dataDir());
        Exec.Result r = Exec.run(serverUser.command(List.of(bindir.resolve("initdb").toString(),
                "-D", dataDir().toString(), "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--auth=trust", "--no-sync")),
                dir, Duration.ofMinutes(2));
        if (!r.ok()) throw CliException.usage("initdb failed:\n" + r.tail(20));
        try {
            Files.writeString(dataDir().resolve("postgresql.conf"), "\n# dfc dev cluster settings\ninclude 'dfc.conf'\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw CliException.usage("cannot edit " + dataDir().resolve("postgresql.conf") + ": " + e.getMessage(), e);
        }
    }

    private void installLibrary(Path library) {
        Path target = dir.resolve("lib").resolve("dfc.so");
        try {
            Files.copy(library, target, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
            serverUser.chown(target);
        } catch (IOException e) {
            throw CliException.usage("cannot copy the worker library to " + target + ": " + e.getMessage(), e);
        }
    }

    private int pickPort() {
        if (options.preferredPort() > 0) {
            for (int p = options.preferredPort(); p < options.preferredPort() + 100 && p < 65536; p++) {
                if (isFree(p)) return p;
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw CliException.usage("cannot find a free TCP port: " + e.getMessage(), e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void writeSettings(int port) {
        Path socketDir = dir.resolve("sock");
        // unix socket paths are limited to 107 bytes; a deep checkout gets TCP only
        String sockets = socketDir.toString().length() + 20 < 100 ? socketDir.toString() : "";
        StringBuilder conf = new StringBuilder()
                .append("# Written by dfc on every start of this dev cluster; edits are lost.\n")
                .append("port = ").append(port).append('\n')
                .append("listen_addresses = '127.0.0.1'\n")
                .append("unix_socket_directories = ").append(literal(sockets)).append('\n')
                .append("shared_preload_libraries = 'dfc'\n")
                .append("dynamic_library_path = ").append(literal(dir.resolve("lib") + ":$libdir")).append('\n')
                .append("dfc.database = ").append(literal(DATABASE)).append('\n')
                .append("dfc.workers = ").append(options.workers()).append('\n')
                .append("# dev only: production refuses instances submitted by superusers\n")
                .append("dfc.allow_superuser = on\n")
                .append("# dev only: HTTP steps may call services on this machine (production refuses loopback addresses)\n")
                .append("dfc.http_allow_loopback = on\n")
                .append("# a throwaway cluster needs no durability\n")
                .append("fsync = off\n")
                .append("synchronous_commit = off\n")
                .append("full_page_writes = off\n");
        for (Map.Entry<String, String> e : options.extraSettings().entrySet()) {
            conf.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
        }
        Path file = dataDir().resolve("dfc.conf");
        try {
            Files.writeString(file, conf.toString(), StandardCharsets.UTF_8);
            serverUser.chown(file);
        } catch (IOException e) {
            throw CliException.usage("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String literal(String s) { return "'" + s.replace("'", "''") + "'"; }

    private void startServer(Path bindir, boolean withWorker) {
        List<String> args = new ArrayList<>(List.of("start", "-w", "-t", String.valueOf(SERVER_TIMEOUT.toSeconds()), "-l", logFile().toString()));
        if (withWorker) {
            progress.accept("starting PostgreSQL with the dfc worker on 127.0.0.1:" + port().orElse(0) + " (log: " + logFile() + ")");
            progress.accept("note: this dev cluster allows workflow instances submitted by superusers (dfc.allow_superuser = on)"
                    + " and HTTP steps to loopback addresses (dfc.http_allow_loopback = on); production does not");
        } else {
            progress.accept("starting PostgreSQL without step workers, to set up database " + DATABASE);
            args.addAll(List.of("-o", "-c dfc.workers=0"));
        }
        Exec.Result r = pgCtl(bindir, args);
        if (!r.ok()) {
            throw CliException.usage("the dev cluster did not start:\n" + r.tail(5) + "\nlast lines of " + logFile() + ":\n" + tailOfLog(20));
        }
    }

    private Exec.Result pgCtl(Path bindir, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(bindir.resolve("pg_ctl").toString(), "-D", dataDir().toString()));
        cmd.addAll(args);
        Path workDir = Files.isDirectory(dir) ? dir : Path.of("/");
        return Exec.run(serverUser.command(cmd), workDir, SERVER_TIMEOUT.plusSeconds(30));
    }

    private String tailOfLog(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read the log: " + e.getMessage() + ")";
        }
    }

    private void ensureDatabase() {
        try (Connection c = connect("postgres");
             PreparedStatement q = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            q.setString(1, DATABASE);
            try (ResultSet rs = q.executeQuery()) {
                if (rs.next()) return;
            }
            progress.accept("creating database " + DATABASE);
            try (Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + DATABASE);
            }
        } catch (SQLException e) {
            throw CliException.usage("cannot create database " + DATABASE + " in the dev cluster: " + e.getMessage(), e);
        }
    }

    /**
     * Installs the runtime when database dfc has none, and re-applies it when the bundled script
     * differs from the one installed last (the script is re-runnable), so runtime-sql/ edits
     * reach the dev cluster with the next {@code dev start}.
     */
    private void ensureRuntime() {
        boolean installed;
        try (Connection c = connect(DATABASE); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regnamespace('df') IS NOT NULL")) {
            rs.next();
            installed = rs.getBoolean(1);
        } catch (SQLException e) {
            throw CliException.usage("cannot reach database " + DATABASE + " in the dev cluster: " + e.getMessage(), e);
        }
        String script = RuntimeScript.text();
        String hash = sha256(script);
        Path marker = dir.resolve("runtime.sha256");
        if (installed && hash.equals(readQuietly(marker))) return;
        progress.accept(installed
                ? "the runtime script changed since it was installed: applying it again"
                : "installing the dfc runtime into database " + DATABASE);
        StringWriter messages = new StringWriter();
        try {
            ScriptRunner.withDefaultClient(new PrintWriter(messages, true)).apply(dbUrl(), script, "the runtime script");
        } catch (CliException e) {
            String hint = installed ? "\n(if the runtime changed incompatibly, start afresh: dfc dev destroy && dfc dev start)" : "";
            throw new CliException(e.exitCode(), e.getMessage() + "\n" + messages.toString().strip() + hint, e);
        }
        try {
            Files.writeString(marker, hash + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            progress.accept("could not record the runtime version in " + marker + ": " + e.getMessage());
        }
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** The worker library the running server loaded is older than bgworker/dfc.so or its sources. */
    private void warnIfWorkerIsStale() {
        Path running = dir.resolve("lib").resolve("dfc.so");
        Path built = repoRoot.resolve("bgworker").resolve("dfc.so");
        try {
            if (Files.isRegularFile(built) && Files.isRegularFile(running)
                    && (Files.getLastModifiedTime(built).compareTo(Files.getLastModifiedTime(running)) > 0
                        || WorkerBuild.needsBuild(repoRoot))) {
                progress.accept("note: bgworker/ changed since this server started; restart it to load the new worker: dfc dev stop && dfc dev start");
            }
        } catch (IOException e) {
            // only a hint
        }
    }

    /** A superuser connection to a database of this cluster. */
    public Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", SUPERUSER);
        p.setProperty("ApplicationName", "dfc dev");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port().orElseThrow() + "/" + database, p);
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw CliException.usage("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }

    /** The data directory's server PID while running. */
    public Optional<Long> serverPid() {
        try {
            List<String> lines = Files.readAllLines(dataDir().resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
