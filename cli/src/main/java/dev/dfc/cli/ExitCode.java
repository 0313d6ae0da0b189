package dev.dfc.cli;

/** The process exit codes of every dfc command; documented in docs/cli.md. */
public final class ExitCode {
    /** The command did what was asked; warnings may have been printed. */
    public static final int OK = 0;
    /** The input has errors (diagnostics, a failed deploy), or the workflow failed or was cancelled. */
    public static final int FAILED = 1;
    /** Bad command line, unreadable file, unreachable database, missing tool. */
    public static final int USAGE = 2;
    /** A bug in dfc: an exception escaped. */
    public static final int INTERNAL = 3;

    private ExitCode() {}
}
