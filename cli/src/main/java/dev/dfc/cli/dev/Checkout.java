package dev.dfc.cli.dev;

import dev.dfc.cli.CliException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The dfc source checkout the dev commands work in (they build bgworker/ and keep the cluster
 * in .dfc/dev). Found from {@code -Ddfc.root}, {@code $DFC_ROOT} (the ./dfc launcher sets it),
 * or by walking up from the current directory.
 */
public final class Checkout {
    private Checkout() {}

    public static Path root() {
        String configured = System.getProperty("dfc.root");
        if (configured == null || configured.isBlank()) configured = System.getenv("DFC_ROOT");
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured).toAbsolutePath().normalize();
            if (isCheckout(p)) return p;
            throw CliException.usage(p + " is not a dfc checkout (no bgworker/ and runtime-sql/ there)");
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (isCheckout(p)) return p;
        }
        throw CliException.usage("not inside a dfc checkout: run from the repository (or set DFC_ROOT)");
    }

    static boolean isCheckout(Path p) {
        return Files.isDirectory(p.resolve("bgworker")) && Files.isDirectory(p.resolve("runtime-sql"));
    }

    /**
     * The directory of the checkout's dev cluster: {@code .dfc/dev}. As root the server runs as
     * postgres, who may not be able to reach the checkout (under /root, say), so .dfc/dev is then
     * a symlink to a postgres-owned directory /tmp/dfc-dev-HASH (hash of the checkout's path).
     * Returns the real directory.
     */
    public static Path devClusterDir(Path root) {
        Path link = root.resolve(".dfc").resolve("dev");
        try {
            if (!ServerUser.current().isRoot() || Files.isDirectory(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(link);
                return link;
            }
            Path target = Path.of("/tmp", "dfc-dev-" + hash(root.toRealPath().toString()));
            if (Files.isSymbolicLink(link)) {
                if (Files.readSymbolicLink(link).equals(target)) return target;
                Files.delete(link);
            }
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, target);
            return target;
        } catch (IOException e) {
            throw CliException.usage("cannot prepare " + link + ": " + e.getMessage(), e);
        }
    }

    private static String hash(String s) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
