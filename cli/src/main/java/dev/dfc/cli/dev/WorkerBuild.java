package dev.dfc.cli.dev;

import dev.dfc.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Builds the C worker ({@code make -C bgworker}) when {@code dfc.so} is missing or older than its sources. */
final class WorkerBuild {
    private WorkerBuild() {}

    static Path ensureBuilt(Path repoRoot, Consumer<String> progress) {
        Path dir = repoRoot.resolve("bgworker");
        Path library = dir.resolve("dfc.so");
        if (!Files.isRegularFile(dir.resolve("Makefile"))) {
            throw CliException.usage("cannot build the worker: " + dir.resolve("Makefile") + " not found");
        }
        if (Files.isRegularFile(library) && !olderThanSources(library, dir)) return library;
        progress.accept("building the worker (make -C bgworker)");
        Exec.Result r = Exec.run(List.of("make", "-C", dir.toString()), repoRoot, Duration.ofMinutes(5));
        if (!r.ok() || !Files.isRegularFile(library)) {
            throw CliException.usage("building the worker failed (make -C bgworker, exit " + r.exitCode() + "):\n" + r.tail(30));
        }
        return library;
    }

    /** Whether {@link #ensureBuilt} would run make. */
    static boolean needsBuild(Path repoRoot) {
        Path dir = repoRoot.resolve("bgworker");
        Path library = dir.resolve("dfc.so");
        return !Files.isRegularFile(library) || olderThanSources(library, dir);
    }

    private static boolean olderThanSources(Path library, Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            FileTime built = Files.getLastModifiedTime(library);
            return files.filter(Files::isRegularFile)
                    .filter(WorkerBuild::isSource)
                    .anyMatch(f -> modified(f).compareTo(built) > 0);
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean isSource(Path f) {
        String name = f.getFileName().toString();
        return name.endsWith(".c") || name.endsWith(".h") || name.equals("Makefile");
    }

    private static FileTime modified(Path f) {
        try {
            return Files.getLastModifiedTime(f);
        } catch (IOException e) {
            return FileTime.fromMillis(Long.MAX_VALUE);
        }
    }
}
