package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A step runs with the submitter's own settings, as a session of that role would: ALTER ROLE
 * ... SET, and ALTER ROLE ... IN DATABASE ... SET for this database (which wins), including
 * statement_timeout, which bounds the step. Never role or session_authorization (the runner
 * applying them could switch to any role), and nothing of it reaches the next role's step.
 */
@ClusterExtension.WithCluster
class RoleSettingsTest {
    static final String WORKFLOWS = """
            CREATE WORKFLOW rs_settings AS
                'SELECT current_setting(''dfc_rs.everywhere'', true) AS everywhere,
                        current_setting(''dfc_rs.here'', true) AS here,
                        current_setting(''work_mem'') AS work_mem,
                        current_setting(''role'') AS role,
                        current_user AS who';
            CREATE WORKFLOW rs_sleep AS 'SELECT pg_sleep(30) AS slept';
            CREATE TABLE IF NOT EXISTS rs_locked (n int);
            GRANT SELECT ON rs_locked TO rs_submitter;
            CREATE WORKFLOW rs_lock AS 'SELECT count(*) AS n FROM rs_locked';
            """;

    @Test
    void stepsRunWithTheSubmittersRoleSettings(TestCluster db) throws Exception {
        String role = db.createRole("rs_submitter");
        String other = db.createRole("rs_other");
        db.deploy("role_settings.dfsql", WORKFLOWS);
        try (Connection su = db.connect(); Statement s = su.createStatement();
                Connection c = db.connectAs(role); Connection o = db.connectAs(other)) {
            try {
                s.execute("ALTER ROLE rs_submitter SET dfc_rs.everywhere = 'role'");
                s.execute("ALTER ROLE rs_submitter SET dfc_rs.here = 'role'");
                s.execute("ALTER ROLE rs_submitter IN DATABASE " + scalar(su, "SELECT current_database()")
                        + " SET dfc_rs.here = 'role in this database'");
                s.execute("ALTER ROLE rs_submitter SET work_mem = '7MB'");
                s.execute("ALTER ROLE rs_submitter SET role = 'postgres'");

                String id = TestCluster.start(c, "rs_settings");
                assertEquals("completed", TestCluster.awaitInstance(c, id));
                assertEquals("role|role in this database|7MB|none|rs_submitter", row(c, id));

                // another role's step (on the same workers) has none of it
                String id2 = TestCluster.start(o, "rs_settings");
                assertEquals("completed", TestCluster.awaitInstance(o, id2));
                String otherRow = row(o, id2);
                assertTrue(otherRow.startsWith("||") && otherRow.endsWith("|none|rs_other") && !otherRow.contains("7MB"),
                        "another role's step saw the submitter's settings: " + otherRow);

                // lock_timeout: a step waiting for a lock longer fails as a lock timeout
                s.execute("ALTER ROLE rs_submitter SET lock_timeout = '300ms'");
                try (Connection holder = db.connect(); Statement h = holder.createStatement()) {
                    holder.setAutoCommit(false);
                    h.execute("LOCK TABLE rs_locked IN ACCESS EXCLUSIVE MODE");
                    String locked = TestCluster.start(c, "rs_lock");
                    assertEquals("failed", TestCluster.awaitInstance(c, locked));
                    assertEquals("55P03|canceling statement due to lock timeout",
                            scalar(c, "SELECT (error ->> 'sqlstate') || '|' || (error ->> 'message') FROM df.instances WHERE id = '" + locked + "'"));
                    holder.rollback();
                }

                // statement_timeout bounds the step: it fails as a statement that timed out (the
                // ALTER ROLE's commit makes the workers read the settings again)
                s.execute("ALTER ROLE rs_submitter SET statement_timeout = '300ms'");
                String id3 = TestCluster.start(c, "rs_sleep");
                assertEquals("failed", TestCluster.awaitInstance(c, id3));
                assertEquals("57014|canceling statement due to statement timeout",
                        scalar(c, "SELECT (error ->> 'sqlstate') || '|' || (error ->> 'message') FROM df.instances WHERE id = '" + id3 + "'"));
            } finally {
                s.execute("ALTER ROLE rs_submitter RESET ALL");
                s.execute("ALTER ROLE rs_submitter IN DATABASE " + scalar(su, "SELECT current_database()") + " RESET ALL");
            }
        }
    }

    /** The rs_settings result's row as everywhere|here|work_mem|role|who (NULL as empty). */
    private static String row(Connection c, String id) throws SQLException {
        return scalar(c, "SELECT concat_ws('|', coalesce(r ->> 'everywhere', ''), coalesce(r ->> 'here', ''), r ->> 'work_mem', r ->> 'role', r ->> 'who')"
                + " FROM (SELECT df.result('" + id + "')::jsonb -> 'rows' -> 0 AS r) x");
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
