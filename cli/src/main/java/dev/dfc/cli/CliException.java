package dev.dfc.cli;

/**
 * A problem the user can fix (missing file, bad URL, database refused the script).
 * Main prints its message as one line and exits with its code, without a stack trace
 * unless {@code --stacktrace} was given.
 */
public final class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Bad usage or an I/O problem: exit 2. */
    public static CliException usage(String message) { return new CliException(ExitCode.USAGE, message); }

    public static CliException usage(String message, Throwable cause) { return new CliException(ExitCode.USAGE, message, cause); }

    /** The user's input or workflow failed: exit 1. */
    public static CliException failed(String message) { return new CliException(ExitCode.FAILED, message); }

    public int exitCode() { return exitCode; }
}
