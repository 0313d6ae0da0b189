package dev.dfc.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs dfc in-process with captured streams. */
final class CliTesting {
    record Run(int exitCode, String out, String err) {}

    private CliTesting() {}

    static Run dfc(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }
}
