package dev.dfc.cli.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dfc.cli.CliException;
import dev.dfc.cli.ExitCode;
import org.junit.jupiter.api.Test;

class DbUrlTest {
    @Test
    void libpqUrlBecomesJdbcWithUserAsProperty() {
        DbUrl u = DbUrl.parse("postgresql://postgres@127.0.0.1:54329/dfc");

        assertEquals("jdbc:postgresql://127.0.0.1:54329/dfc", u.jdbcUrl());
        assertEquals("postgres", u.properties().getProperty("user"));
        assertNull(u.properties().getProperty("password"));
        assertEquals("postgresql://postgres@127.0.0.1:54329/dfc", u.forPsql());
    }

    @Test
    void postgresSchemeAndPercentEncodedPassword() {
        DbUrl u = DbUrl.parse("postgres://app:p%40ss%2Bw@db.example/app?sslmode=require&application_name=x");

        assertEquals("jdbc:postgresql://db.example/app", u.jdbcUrl());
        assertEquals("app", u.properties().getProperty("user"));
        assertEquals("p@ss+w", u.properties().getProperty("password"));
        assertEquals("require", u.properties().getProperty("sslmode"));
        assertEquals("x", u.properties().getProperty("ApplicationName"));
    }

    @Test
    void passwordIsRedactedInMessages() {
        DbUrl u = DbUrl.parse("postgresql://app:secret@db/app");

        assertEquals("postgresql://app:***@db/app", u.redacted());
        assertFalse(u.toString().contains("secret"));
    }

    @Test
    void jdbcUrlIsKeptAsIs() {
        DbUrl u = DbUrl.parse("jdbc:postgresql://h:5/d?user=x");

        assertEquals("jdbc:postgresql://h:5/d?user=x", u.jdbcUrl());
        CliException e = assertThrows(CliException.class, u::forPsql);
        assertEquals(ExitCode.USAGE, e.exitCode());
    }

    @Test
    void multipleHostsAndIpv6PassThrough() {
        assertEquals("jdbc:postgresql://a:1,b:2/d", DbUrl.parse("postgresql://u@a:1,b:2/d").jdbcUrl());
        assertEquals("jdbc:postgresql://[::1]:5432/d", DbUrl.parse("postgresql://[::1]:5432/d").jdbcUrl());
    }

    @Test
    void rejectsOtherSchemesAndMissingDatabase() {
        assertEquals(ExitCode.USAGE, assertThrows(CliException.class, () -> DbUrl.parse("mysql://h/d")).exitCode());
        assertEquals(ExitCode.USAGE, assertThrows(CliException.class, () -> DbUrl.parse("postgresql://h:5432")).exitCode());
        assertEquals(ExitCode.USAGE, assertThrows(CliException.class, () -> DbUrl.parse("")).exitCode());
    }
}
