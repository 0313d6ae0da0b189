package dev.dfc.it.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness itself: the cluster has what tests rely on, and its helpers do what they say. */
@ClusterExtension.WithCluster
class HarnessTest {
    @Test
    void workersRunInDatabaseDfc(TestCluster db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dfc step worker' AND datname = 'dfc'")) {
            rs.next();
            assertEquals(TestCluster.WORKERS, rs.getInt(1));
        }
    }

    @Test
    void plpgsqlCheckFindsProblemsAndPassesCleanFunctions(TestCluster db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE OR REPLACE FUNCTION public.harness_broken() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT nope FROM no_such_table); END $$");
            s.execute("CREATE OR REPLACE FUNCTION public.harness_clean(p int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN p + 1; END $$");
        }

        List<TestCluster.PlpgsqlProblem> broken = db.plpgsqlCheck("public.harness_broken()");
        List<TestCluster.PlpgsqlProblem> clean = db.plpgsqlCheck("public.harness_clean(int)");

        assertFalse(broken.isEmpty());
        assertTrue(broken.get(0).message().contains("no_such_table"), broken.toString());
        assertEquals(List.of(), clean);
    }

    @Test
    void deployedWorkflowRunsForANonSuperuser(TestCluster db) throws SQLException {
        db.deploy("harness.dfsql", "CREATE WORKFLOW harness_double (n int) AS 'SELECT $n * 2 AS doubled';\n");
        String role = db.createRole("harness_user");

        try (Connection c = db.connectAs(role)) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
                rs.next();
                assertFalse(rs.getBoolean(1));
            }
            String id;
            try (PreparedStatement s = c.prepareStatement("SELECT df.start('harness_double', args => '{\"n\": 21}')")) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    id = rs.getString(1);
                }
            }
            assertEquals("completed", TestCluster.awaitInstance(c, id));
            assertEquals("{\"rows\":[{\"doubled\":42}],\"row_count\":1}", db.result(id).replace(" ", ""));
        }
    }

    @Test
    void deployReportsCompileErrorsWithTheirPosition(TestCluster db) {
        AssertionError e = assertThrows(AssertionError.class,
                () -> db.deploy("typo.dfsql", "CREATE WORKFLOW t () AS 'SELECT 1' ~> ~> 'SELECT 2';\n"));

        assertTrue(e.getMessage().contains("typo.dfsql:1:"), e.getMessage());
    }

    @Test
    void applySqlStopsAtTheFirstError(TestCluster db) throws SQLException {
        AssertionError e = assertThrows(AssertionError.class, () -> db.applySql(
                "CREATE TABLE harness_first (x int);\nSELECT 1/0;\nCREATE TABLE harness_never (x int);\n", "a broken script"));

        assertTrue(e.getMessage().contains("division by zero"), e.getMessage());
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('harness_first') IS NOT NULL, to_regclass('harness_never') IS NOT NULL")) {
            rs.next();
            assertTrue(rs.getBoolean(1));
            assertFalse(rs.getBoolean(2));
        }
    }
}
