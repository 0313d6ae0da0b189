package dev.dfc.cli.dbcheck;

import dev.dfc.cli.db.Database;
import dev.dfc.cli.db.DbUrl;
import dev.dfc.compiler.SqlSteps;
import dev.dfc.compiler.check.SqlRef;
import dev.dfc.compiler.check.SqlScanner;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.Span;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * {@code dfc check --db}: asks a server to parse and plan the SQL steps of workflows that passed
 * the static checks (docs/cli.md, "Checking against a database"). Everything happens in one
 * transaction that is always rolled back: first the files' pass-through DDL, each in a savepoint
 * with failures ignored, so steps see the tables the files create; then, per workflow and in
 * state order, each step with its references replaced by {@link Placeholders}: described (parse
 * and analysis, which also gives the result's columns for later steps' references) and, for
 * statements EXPLAIN accepts, planned with EXPLAIN. Nothing a step would do is executed, except
 * DDL steps, run in a savepoint so later steps see their tables. A server error becomes a DF7001
 * diagnostic at the source position the error points to.
 */
public final class ServerCheck {
    /** Statements run (inside the rolled-back transaction) so that later statements see their objects. */
    private static final Set<String> DDL = Set.of("CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE");
    /** Statements EXPLAIN plans (besides DECLARE, EXECUTE and CREATE TABLE AS, which steps do not need). */
    private static final Set<String> EXPLAINABLE = Set.of("SELECT", "INSERT", "UPDATE", "DELETE", "VALUES", "WITH", "TABLE", "MERGE");
    private static final String EXPLAIN = "EXPLAIN ";
    private static final String READ_ONLY = "25006";

    /** The diagnostics found, and notes about steps that could not be checked (one line each, without prefix). */
    public record Result(List<Diagnostic> diagnostics, List<String> notes) {}

    private final Connection connection;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private ServerCheck(Connection connection) {
        this.connection = connection;
    }

    /** Connects (exit 2 when that fails), checks, rolls back. */
    public static Result run(DbUrl url, SqlSteps steps) {
        try (Connection c = Database.connect(url)) {
            ServerCheck check = new ServerCheck(c);
            check.check(steps);
            return new Result(List.copyOf(check.diagnostics), List.copyOf(check.notes));
        } catch (SQLException e) {
            throw Database.error("checking against " + url.redacted() + " failed", e);
        }
    }

    private void check(SqlSteps steps) throws SQLException {
        connection.setAutoCommit(false);
        try {
            try (Statement s = connection.createStatement()) {
                // a check must not hang behind a lock, nor plan or build for long on a busy server
                s.execute("SET LOCAL lock_timeout = '5s'");
                s.execute("SET LOCAL statement_timeout = '30s'");
            }
            for (SqlSteps.Item item : steps.items()) {
                if (item instanceof SqlSteps.PassThrough p && runsAsDdl(p.sql())) {
                    try {
                        inSavepoint(() -> execute(p.sql()));
                    } catch (SQLException ignored) {
                        // the deploy script reports it; here it only means later steps may not see an object
                        if (!isServerError(ignored)) throw ignored;
                    }
                }
            }
            for (SqlSteps.Item item : steps.items()) {
                if (item instanceof SqlSteps.Workflow w) workflow(w);
            }
        } finally {
            connection.rollback();
        }
    }

    /** DDL worth running for what it creates: not CREATE INDEX, which only costs time on a big table. */
    private static boolean runsAsDdl(String sql) {
        if (!DDL.contains(SqlLexer.firstKeyword(sql))) return false;
        return !sql.strip().toUpperCase(java.util.Locale.ROOT).replaceAll("\\s+", " ").matches("(?s)CREATE (UNIQUE )?INDEX\\b.*");
    }

    private void workflow(SqlSteps.Workflow w) throws SQLException {
        Map<String, Integer> binders = new HashMap<>(); // looked up only
        for (SqlSteps.Step s : w.steps()) for (String name : s.binds()) binders.merge(name, 1, Integer::sum);
        for (SqlSteps.OtherBind b : w.otherBinds()) binders.merge(b.name(), 1, Integer::sum);
        Map<String, String> params = new HashMap<>();
        for (SqlSteps.Param p : w.params()) params.put(p.name(), p.type());
        Map<String, List<Placeholders.Column>> shapes = new HashMap<>();
        // a wait's or a break's result has columns known before it runs (used when it is the name's only binder)
        for (SqlSteps.OtherBind b : w.otherBinds()) {
            if (b.columns() != null) {
                shapes.put(b.name(), b.columns().stream().map(c -> new Placeholders.Column(c.name(), c.type())).toList());
            }
        }

        for (SqlSteps.Step step : w.steps()) {
            List<Placeholders.Column> shape = step(step, binders, params, shapes);
            if (shape != null) for (String name : step.binds()) shapes.put(name, shape);
        }
    }

    /** Checks one step; returns its result's columns, or null when unknown (an error, or not checked). */
    private List<Placeholders.Column> step(SqlSteps.Step step, Map<String, Integer> binders, Map<String, String> params,
            Map<String, List<Placeholders.Column>> shapes) throws SQLException {
        if (!SqlScanner.variables(step.sql()).isEmpty()) {
            note(step, "it uses a {variable}, whose text is known only at run time");
            return null;
        }
        List<String> placeholders = new ArrayList<>();
        for (SqlRef ref : step.refs()) {
            boolean result = binders.containsKey(ref.name());
            List<Placeholders.Column> columns = result && binders.get(ref.name()) == 1 ? shapes.get(ref.name()) : null;
            if (ref.kind() == SqlRef.Kind.ROWS) {
                if (columns == null) {
                    note(step, "the columns of $" + ref.name() + ".* are not known before it runs");
                    return null;
                }
                placeholders.add(Placeholders.relation(ref.name(), columns));
            } else if (columns != null && ref.column() == null) {
                placeholders.add(Placeholders.scalar(columns.isEmpty() ? null : columns.get(0).type()));
            } else if (columns != null) {
                Placeholders.Column column = columns.stream().filter(c -> c.name().equals(ref.column())).findFirst().orElse(null);
                if (column == null) diagnostics.add(missingColumn(step, ref, columns));
                placeholders.add(Placeholders.scalar(column == null ? null : column.type()));
            } else if (!result && params.containsKey(ref.name()) && ref.column() == null) {
                placeholders.add(Placeholders.scalar(params.get(ref.name())));
            } else {
                placeholders.add("NULL");
            }
        }
        Placeholders.Substituted sub = Placeholders.substitute(step.sql(), step.refs(), placeholders);
        List<Placeholders.Column> shape = List.of();
        for (int[] range : SqlLexer.statements(sub.text())) {
            String statement = sub.text().substring(range[0], range[1]);
            String keyword = SqlLexer.firstKeyword(statement);
            try {
                shape = inSavepoint(() -> describe(statement));
            } catch (SQLException e) {
                diagnostics.add(serverError(step, sub, range[0], "", statement, e));
                return null;
            }
            if (EXPLAINABLE.contains(keyword)) {
                try {
                    inSavepoint(() -> execute(EXPLAIN + statement));
                } catch (SQLException e) {
                    diagnostics.add(serverError(step, sub, range[0], EXPLAIN, statement, e));
                    return null;
                }
            } else if (runsAsDdl(statement)) {
                try {
                    inSavepoint(() -> execute(statement));
                } catch (SQLException e) {
                    // on a read-only standby DDL cannot run; the statement parsed, which is all this can say
                    if (READ_ONLY.equals(e.getSQLState())) continue;
                    diagnostics.add(serverError(step, sub, range[0], "", statement, e));
                    return null;
                }
            }
        }
        return shape;
    }

    /** Parse and analysis only (the extended protocol's Describe): the result's columns, none for a statement without rows. */
    private List<Placeholders.Column> describe(String statement) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(SqlLexer.escapeJdbcPlaceholders(statement))) {
            ResultSetMetaData md = ps.getMetaData();
            List<Placeholders.Column> columns = new ArrayList<>();
            if (md != null) {
                for (int i = 1; i <= md.getColumnCount(); i++) columns.add(new Placeholders.Column(md.getColumnLabel(i), typeName(md.getColumnTypeName(i))));
            }
            return columns;
        }
    }

    /** pgjdbc names an auto-increment column's type serial or bigserial, which are not types (only CREATE TABLE shorthands). */
    static String typeName(String jdbcName) {
        return switch (jdbcName) {
            case "smallserial" -> "int2";
            case "serial" -> "int4";
            case "bigserial" -> "int8";
            default -> jdbcName;
        };
    }

    private Void execute(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.setEscapeProcessing(false);
            s.execute(sql);
        }
        return null;
    }

    private interface Work<T> {
        T run() throws SQLException;
    }

    /** Runs work in a savepoint, so a failure leaves the transaction usable; connection problems are rethrown. */
    private <T> T inSavepoint(Work<T> work) throws SQLException {
        Savepoint sp = connection.setSavepoint();
        try {
            T result = work.run();
            connection.releaseSavepoint(sp);
            return result;
        } catch (SQLException e) {
            if (!isServerError(e)) throw e;
            connection.rollback(sp);
            throw e;
        }
    }

    /** An error the server reported about a statement, as opposed to a lost connection. */
    private boolean isServerError(SQLException e) throws SQLException {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return e instanceof PSQLException p && p.getServerErrorMessage() != null && !state.startsWith("08")
                && !state.startsWith("57P") && !connection.isClosed();
    }

    private Diagnostic serverError(SqlSteps.Step step, Placeholders.Substituted sub, int statementStart, String prefix,
            String statement, SQLException e) throws SQLException {
        if (!isServerError(e)) throw e;
        ServerErrorMessage m = ((PSQLException) e).getServerErrorMessage();
        Span span = step.literal();
        if (m.getPosition() > 0) {
            String sent = prefix + statement;
            int index;
            try {
                index = sent.offsetByCodePoints(0, m.getPosition() - 1) - prefix.length();
            } catch (IndexOutOfBoundsException past) {
                index = statement.length();
            }
            index = Math.max(0, Math.min(index, statement.length()));
            span = sourceSpan(step, sub.origins()[statementStart + index]);
        }
        StringBuilder hint = new StringBuilder();
        if (m.getDetail() != null) hint.append(m.getDetail()).append(' ');
        if (m.getHint() != null) hint.append(m.getHint()).append(' ');
        hint.append(hint.length() == 0 ? "SQLSTATE " + m.getSQLState() : "(SQLSTATE " + m.getSQLState() + ")");
        return Diagnostic.error("DF7001", span, "error from the server: " + m.getMessage()).withHint(hint.toString());
    }

    /** The source span of what the server pointed at: a whole reference, a word, a quoted identifier, or one character. */
    private static Span sourceSpan(SqlSteps.Step step, int origin) {
        String sql = step.sql();
        int[] offsets = step.sourceOffsets();
        Span literal = step.literal();
        if (sql.isEmpty()) return literal;
        if (origin >= sql.length()) {
            int end = offsets[sql.length() - 1] + 1;
            return literal.file().span(end, end + 1);
        }
        for (SqlRef ref : step.refs()) {
            if (origin >= ref.start() && origin < ref.end()) return literal.file().span(offsets[ref.start()], offsets[ref.end() - 1] + 1);
        }
        int end = origin + 1;
        char c = sql.charAt(origin);
        if (Character.isLetterOrDigit(c) || c == '_') {
            while (end < sql.length() && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_' || sql.charAt(end) == '$')) end++;
        } else if (c == '"') {
            while (end < sql.length() && sql.charAt(end) != '"') end++;
            end = Math.min(sql.length(), end + 1);
        }
        return literal.file().span(offsets[origin], offsets[end - 1] + 1);
    }

    private static Diagnostic missingColumn(SqlSteps.Step step, SqlRef ref, List<Placeholders.Column> columns) {
        Span span = step.literal().file().span(step.sourceOffsets()[ref.start()], step.sourceOffsets()[ref.end() - 1] + 1);
        List<String> names = columns.stream().map(Placeholders.Column::name).toList();
        return Diagnostic.error("DF7002", span, "the result '" + ref.name() + "' has no column '" + ref.column() + "'")
                .withHint(names.isEmpty() ? "the statement bound to '" + ref.name() + "' returns no columns"
                        : "its columns are: " + String.join(", ", names));
    }

    private void note(SqlSteps.Step step, String why) {
        Span at = step.literal();
        notes.add(at.file().path() + ":" + at.line() + ":" + at.column() + ": step not checked against the database: " + why);
    }
}
