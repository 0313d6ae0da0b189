package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A step worker keeps the plan of a step's SQL once the same text has run before in its session
 * (bgworker/dfc.c, "Plans of step SQL"). A text run many times must still see each submitter's
 * row security and {@code "$user"} schema, tables dropped and created again, privileges revoked,
 * the time of each run ({@code 'now'}), and texts of several statements, which are never prepared.
 * (As with PL/pgSQL, a table created later that shadows one a kept plan reads is not seen until the
 * plan is invalidated: docs/internals.md.) Each instance loops over one constant text until a sequence reaches a multiple of
 * its {@code n}, so one worker runs the same text several times in a row.
 */
@ClusterExtension.WithCluster
class StepPlanTest {
    static final String A = "plan_a";
    static final String B = "plan_b";

    @BeforeAll
    static void setUp(TestCluster db) throws Exception {
        db.createRole(A);
        db.createRole(B);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS public.plan_shared, public.plan_ddl, public.plan_grant, public.plan_times");
            s.execute("CREATE TABLE public.plan_times (t timestamptz, k bigint)");
            s.execute("DROP SEQUENCE IF EXISTS public.plan_runs, public.plan_now_runs");
            s.execute("CREATE SEQUENCE public.plan_runs");
            s.execute("CREATE SEQUENCE public.plan_now_runs");
            s.execute("CREATE TABLE public.plan_shared (owner name NOT NULL, v integer NOT NULL)");
            s.execute("ALTER TABLE public.plan_shared ENABLE ROW LEVEL SECURITY");
            s.execute("CREATE POLICY own ON public.plan_shared USING (owner = current_user)");
            s.execute("INSERT INTO public.plan_shared VALUES ('" + A + "', 1), ('" + A + "', 2), ('" + B + "', 10)");
            s.execute("CREATE TABLE public.plan_ddl (v integer)");
            s.execute("INSERT INTO public.plan_ddl VALUES (1)");
            s.execute("CREATE TABLE public.plan_grant (v integer)");
            s.execute("INSERT INTO public.plan_grant VALUES (7)");
            for (String role : new String[] {A, B}) {
                s.execute("GRANT USAGE ON SEQUENCE public.plan_runs, public.plan_now_runs TO " + role);
                s.execute("GRANT SELECT ON public.plan_shared, public.plan_grant TO " + role);
                s.execute("GRANT SELECT, INSERT ON public.plan_times TO " + role);
                s.execute("DROP SCHEMA IF EXISTS " + role + " CASCADE");
                s.execute("CREATE SCHEMA " + role + " AUTHORIZATION " + role);
                s.execute("CREATE TABLE " + role + ".plan_mine (v integer)");
                s.execute("INSERT INTO " + role + ".plan_mine VALUES (" + (role.equals(A) ? 100 : 200) + ")");
                s.execute("ALTER TABLE " + role + ".plan_mine OWNER TO " + role);
            }
            s.execute("GRANT SELECT ON public.plan_ddl TO " + A);
        }
        db.deploy("plans.dfsql", """
                CREATE WORKFLOW plan_rows (n integer)
                AS df.loop('SELECT (SELECT string_agg(v::text, '','' ORDER BY v) FROM plan_shared) AS shared,
                                   (SELECT string_agg(v::text, '','' ORDER BY v) FROM plan_mine) AS mine,
                                   current_user::text AS who, nextval(''plan_runs'') AS k' |=> 'r',
                           'SELECT $r.k % $n <> 0');

                CREATE WORKFLOW plan_ddl (n integer)
                AS df.loop('SELECT (SELECT string_agg(v::text, '','' ORDER BY v) FROM plan_ddl) AS v, nextval(''plan_runs'') AS k' |=> 'r',
                           'SELECT $r.k % $n <> 0');

                CREATE WORKFLOW plan_grant (n integer)
                AS df.loop('SELECT (SELECT v FROM plan_grant) AS v, nextval(''plan_runs'') AS k' |=> 'r',
                           'SELECT $r.k % $n <> 0');

                CREATE WORKFLOW plan_now (n integer)
                AS df.loop('INSERT INTO plan_times SELECT ''now''::timestamptz, nextval(''plan_now_runs'') RETURNING k' |=> 'r',
                           'SELECT $r.k % $n <> 0');

                CREATE WORKFLOW plan_statements (n integer)
                AS df.loop('CREATE TEMP TABLE plan_tmp AS SELECT nextval(''plan_runs'') AS k; SELECT k FROM plan_tmp' |=> 'r',
                           'SELECT $r.k % $n <> 0');
                """);
    }

    @Test
    void eachSubmitterSeesItsOwnRowsAndSchema(TestCluster db) throws Exception {
        for (int round = 0; round < 3; round++) {
            assertEquals("{\"who\": \"plan_a\", \"mine\": \"100\", \"shared\": \"1,2\"}", run(db, A, "plan_rows", "shared", "mine", "who"));
            assertEquals("{\"who\": \"plan_b\", \"mine\": \"200\", \"shared\": \"10\"}", run(db, B, "plan_rows", "shared", "mine", "who"));
        }
    }

    @Test
    void droppedAndRecreatedTablesAreSeen(TestCluster db) throws Exception {
        assertEquals("{\"v\": \"1\"}", run(db, A, "plan_ddl", "v"));
        assertEquals("{\"v\": \"1\"}", run(db, A, "plan_ddl", "v"));
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE public.plan_ddl");
            s.execute("CREATE TABLE public.plan_ddl (note text, v integer)");
            s.execute("INSERT INTO public.plan_ddl VALUES ('x', 5), ('y', 6)");
            s.execute("GRANT SELECT ON public.plan_ddl TO " + A);
        }
        assertEquals("{\"v\": \"5,6\"}", run(db, A, "plan_ddl", "v"));
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE public.plan_ddl");
        }
        assertEquals("failed 42P01 relation \"plan_ddl\" does not exist", failure(db, A, "plan_ddl"));
    }

    @Test
    void revokedPrivilegesAreChecked(TestCluster db) throws Exception {
        assertEquals("{\"v\": 7}", run(db, B, "plan_grant", "v"));
        assertEquals("{\"v\": 7}", run(db, B, "plan_grant", "v"));
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("REVOKE SELECT ON public.plan_grant FROM " + B);
        }
        try {
            assertEquals("failed 42501 permission denied for table plan_grant", failure(db, B, "plan_grant"));
            assertEquals("{\"v\": 7}", run(db, A, "plan_grant", "v"));
        } finally {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("GRANT SELECT ON public.plan_grant TO " + B);
            }
        }
    }

    @Test
    void nowIsReadAtEachRun(TestCluster db) throws Exception {
        // a kept plan would hold 'now' as the constant it was when planned
        String id = start(db, A, "plan_now");
        assertEquals("completed", db.awaitInstance(id), () -> error(db, id));
        assertEquals("6 6", scalar(db, "SELECT count(*) || ' ' || count(DISTINCT t) FROM plan_times"));
    }

    @Test
    void textsOfSeveralStatementsRunAfreshEachTime(TestCluster db) throws Exception {
        // prepared as a whole, the SELECT would be analysed before the CREATE had run
        for (int i = 0; i < 3; i++) {
            String id = start(db, A, "plan_statements");
            assertEquals("completed", db.awaitInstance(id), () -> error(db, id));
        }
    }

    /** Starts {@code workflow} as {@code role} with n = 6, awaits completion; the chosen columns of its last result row. */
    private static String run(TestCluster db, String role, String workflow, String... columns) throws SQLException {
        String id = start(db, role, workflow);
        assertEquals("completed", db.awaitInstance(id), () -> error(db, id));
        StringBuilder keys = new StringBuilder();
        for (String column : columns) keys.append(keys.length() == 0 ? "" : ", ").append("'").append(column).append("', r -> '").append(column).append("'");
        return scalar(db, "SELECT jsonb_build_object(" + keys + ")::text FROM (SELECT df.result('" + id + "')::json -> 'rows' -> 0 AS r) x");
    }

    /** Starts {@code workflow} as {@code role}; "status sqlstate message" once it has ended. */
    private static String failure(TestCluster db, String role, String workflow) throws SQLException {
        String id = start(db, role, workflow);
        db.awaitInstance(id);
        return scalar(db, "SELECT status || ' ' || (error ->> 'sqlstate') || ' ' || (error ->> 'message') FROM df.instances WHERE id = '" + id + "'");
    }

    private static String start(TestCluster db, String role, String workflow) throws SQLException {
        try (Connection c = db.connectAs(role); PreparedStatement s = c.prepareStatement("SELECT df.start(?, args => '{\"n\": 6}')")) {
            s.setString(1, workflow);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String error(TestCluster db, String id) {
        try {
            return scalar(db, "SELECT error::text FROM df.instances WHERE id = '" + id + "'");
        } catch (SQLException e) {
            return e.toString();
        }
    }

    private static String scalar(TestCluster db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
