package dev.dfc.cli.db;

import dev.dfc.cli.CliException;
import dev.dfc.cli.ExitCode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Opens JDBC connections and turns server errors into one-line user errors. */
public final class Database {
    private Database() {}

    public static Connection connect(DbUrl url) {
        try {
            return DriverManager.getConnection(url.jdbcUrl(), url.properties());
        } catch (SQLException e) {
            throw CliException.usage("cannot connect to " + url.redacted() + ": " + firstLine(e.getMessage()), e);
        }
    }

    /**
     * Exit code for a server error: 2 when we could not talk to the server or the database
     * does not exist (SQLSTATE classes 08, 28, 3D), 1 when it refused what we asked.
     */
    public static CliException error(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        int code = state.startsWith("08") || state.startsWith("28") || state.startsWith("3D") ? ExitCode.USAGE : ExitCode.FAILED;
        return new CliException(code, what + ": " + describe(e), e);
    }

    /** The server's message without pgjdbc's "ERROR: " prefix, with its detail and hint when it sent them. */
    public static String describe(SQLException e) {
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage m = p.getServerErrorMessage();
            StringBuilder s = new StringBuilder(firstLine(m.getMessage()));
            if (m.getDetail() != null) s.append(" (").append(firstLine(m.getDetail())).append(')');
            if (m.getHint() != null) s.append("; hint: ").append(firstLine(m.getHint()));
            return s.toString();
        }
        return firstLine(e.getMessage());
    }

    static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
