package dev.dfc.cli.dev;

import dev.dfc.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;

/**
 * The OS user the dev server runs as. PostgreSQL refuses to run as root, so when dfc runs
 * as root the server runs as {@code postgres} (through {@code runuser}) and owns its files;
 * otherwise it runs as the invoking user.
 */
final class ServerUser {
    static final String POSTGRES = "postgres";

    private final boolean root;

    private ServerUser(boolean root) { this.root = root; }

    static ServerUser current() {
        return new ServerUser(new com.sun.security.auth.module.UnixSystem().getUid() == 0);
    }

    boolean isRoot() { return root; }

    /** The command as the server user: prefixed with {@code runuser -u postgres --} when root. */
    List<String> command(List<String> cmd) {
        if (!root) return cmd;
        List<String> full = new ArrayList<>(List.of("runuser", "-u", POSTGRES, "--"));
        full.addAll(cmd);
        return full;
    }

    /** Creates a directory (mode 700) the server user owns, or checks that an existing one is its own. */
    void ensureOwnedDirectory(Path dir) {
        try {
            if (Files.isSymbolicLink(dir)) dir = dir.toRealPath();
            if (!Files.exists(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                if (root) chown(dir);
            } else if (!Files.isDirectory(dir)) {
                throw CliException.usage(dir + " exists and is not a directory");
            } else if (root) {
                String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
                // a directory someone else made (in /tmp, say) is not ours to take over
                if (!owner.equals(POSTGRES) && !owner.equals("root")) {
                    throw CliException.usage("refusing to use " + dir + ": it belongs to OS user '" + owner + "'");
                }
                if (!owner.equals(POSTGRES)) chown(dir);
            }
        } catch (IOException e) {
            throw CliException.usage("cannot prepare " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Hands a file or directory to the server user (no-op unless root). */
    void chown(Path path) throws IOException {
        if (!root) return;
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user;
        GroupPrincipal group;
        try {
            user = lookup.lookupPrincipalByName(POSTGRES);
            group = lookup.lookupPrincipalByGroupName(POSTGRES);
        } catch (IOException e) {
            throw CliException.usage("running as root, but there is no '" + POSTGRES
                    + "' OS user to run PostgreSQL as (install postgresql-15: scripts/install-deps.sh)", e);
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(user);
        view.setGroup(group);
    }
}
