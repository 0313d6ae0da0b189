package dev.dfc.cli.dev;

import dev.dfc.cli.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Finds the PostgreSQL 15 programs: {@code $DFC_PG_BINDIR}, then {@code pg_config --bindir},
 * then Debian's {@code /usr/lib/postgresql/15/bin}. A directory counts only if it has initdb.
 */
public final class PgBinaries {
    static final Path DEBIAN_BINDIR = Path.of("/usr/lib/postgresql/15/bin");

    private PgBinaries() {}

    public static Optional<Path> findBindir() {
        String env = System.getenv("DFC_PG_BINDIR");
        if (env != null && !env.isBlank() && hasServer(Path.of(env))) return Optional.of(Path.of(env));
        Optional<Path> pgConfig = onPath("pg_config");
        if (pgConfig.isPresent()) {
            try {
                Exec.Result r = Exec.run(List.of(pgConfig.get().toString(), "--bindir"), Path.of("/"), Duration.ofSeconds(10));
                if (r.ok()) {
                    Path dir = Path.of(r.output().strip());
                    if (hasServer(dir)) return Optional.of(dir);
                }
            } catch (CliException e) {
                // a broken pg_config is not fatal: try the Debian location
            }
        }
        return hasServer(DEBIAN_BINDIR) ? Optional.of(DEBIAN_BINDIR) : Optional.empty();
    }

    /** The server binaries directory, or a user error saying how to install them. */
    public static Path requireBindir() {
        return findBindir().orElseThrow(() -> CliException.usage(
                "PostgreSQL 15 server programs not found (looked at $DFC_PG_BINDIR, pg_config --bindir, "
                        + DEBIAN_BINDIR + "); install them with scripts/install-deps.sh"));
    }

    /** psql beside the server programs, else the first one on PATH. */
    public static Optional<Path> findPsql() {
        Optional<Path> bindir = findBindir();
        if (bindir.isPresent() && Files.isExecutable(bindir.get().resolve("psql"))) return Optional.of(bindir.get().resolve("psql"));
        return onPath("psql");
    }

    static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    private static boolean hasServer(Path dir) {
        return Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"));
    }
}
