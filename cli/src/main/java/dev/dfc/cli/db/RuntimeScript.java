package dev.dfc.cli.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The runtime install script: runtime-sql/*.sql concatenated in name order at build time (see cli/pom.xml). */
public final class RuntimeScript {
    public static final String RESOURCE = "/dev/dfc/runtime/dfc-runtime.sql";

    private RuntimeScript() {}

    public static String text() {
        try (InputStream in = RuntimeScript.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("runtime script " + RESOURCE + " missing from the dfc jar: the build is broken");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
