package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * df.grant_usage(role, include_http => bool, with_grant => bool) and df.revoke_usage: what a
 * role may do after each, checked by doing it.
 */
@ClusterExtension.WithCluster
class GrantUsageTest {
    @Test
    void withGrantLetsARolePassAccessOnAndRevokeTakesItBackFromBoth(TestCluster db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String r : new String[] {"gu_lead", "gu_member"}) {
                try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + r + "'")) {
                    if (!rs.next()) s.execute("CREATE ROLE " + r + " LOGIN");
                }
            }
            s.execute("SELECT df.grant_usage('gu_lead', include_http => true, with_grant => true)");
            try (ResultSet rs = s.executeQuery("SELECT include_http FROM df._usage WHERE role = 'gu_lead'::regrole")) {
                assertTrue(rs.next() && rs.getBoolean(1), "include_http not recorded");
            }
        }
        // the lead passes access on with plain GRANTs, which only the grant option allows
        try (Connection lead = db.connectAs("gu_lead"); Statement s = lead.createStatement()) {
            s.execute("GRANT USAGE ON SCHEMA df TO gu_member");
            s.execute("GRANT EXECUTE ON FUNCTION df.status(text) TO gu_member");
        }
        try (Connection member = db.connectAs("gu_member"); Statement s = member.createStatement();
             ResultSet rs = s.executeQuery("SELECT df.status('00000000')")) {
            assertTrue(rs.next());
            assertEquals(null, rs.getString(1), "an unknown instance reads as absent");
        }

        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT df.revoke_usage('gu_lead')");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM df._usage WHERE role = 'gu_lead'::regrole")) {
                rs.next();
                assertEquals(0, rs.getInt(1));
            }
        }
        for (String r : new String[] {"gu_lead", "gu_member"}) {
            try (Connection conn = db.connectAs(r); Statement s = conn.createStatement()) {
                SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("SELECT df.status('00000000')"));
                assertEquals("42501", e.getSQLState(), r + ": " + e.getMessage());
            }
        }
    }

    @Test
    void withoutGrantOptionARoleCannotPassAccessOn(TestCluster db) throws Exception {
        String role = db.createRole("gu_plain");
        try (Connection c = db.connectAs(role); Statement s = c.createStatement()) {
            s.execute("SELECT df.status('00000000')");
            // GRANT without the grant option is a warning and changes nothing; the member stays out
            s.execute("GRANT EXECUTE ON FUNCTION df.status(text) TO PUBLIC");
        }
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT has_function_privilege('public', 'df.status(text)', 'EXECUTE')")) {
            rs.next();
            assertEquals(false, rs.getBoolean(1), "a role without the grant option gave PUBLIC access");
        }
    }
}
