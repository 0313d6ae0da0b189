package dev.dfc.cli.db;

import dev.dfc.cli.CliException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * A database address as users write it for psql ({@code postgresql://user@host:port/db},
 * {@code postgres://...}) or for JDBC ({@code jdbc:postgresql://...}), turned into what
 * each client needs: the libpq URL for psql, and a JDBC URL plus properties for pgjdbc.
 * User and password travel as properties so percent-encoding in them means the same to both.
 */
public record DbUrl(String original, String libpqUrl, String jdbcUrl, Properties properties) {

    public static DbUrl parse(String url) {
        if (url == null || url.isBlank()) throw CliException.usage("missing database URL");
        if (url.startsWith("jdbc:postgresql:")) return new DbUrl(url, null, url, new Properties());
        String rest;
        if (url.startsWith("postgresql://")) rest = url.substring("postgresql://".length());
        else if (url.startsWith("postgres://")) rest = url.substring("postgres://".length());
        else throw CliException.usage("not a PostgreSQL URL: '" + url + "' (expected postgresql://user@host:port/database)");

        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        Properties props = new Properties();
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            String user = colon >= 0 ? userInfo.substring(0, colon) : userInfo;
            if (!user.isEmpty()) props.setProperty("user", decode(url, user));
            if (colon >= 0) props.setProperty("password", decode(url, userInfo.substring(colon + 1)));
        }
        String hosts = rest.isEmpty() ? "localhost" : rest;
        String database = decode(url, path);
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(hosts).append('/');
        jdbc.append(path); // pgjdbc decodes the database part itself
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                String key = decode(url, eq >= 0 ? pair.substring(0, eq) : pair);
                String value = eq >= 0 ? decode(url, pair.substring(eq + 1)) : "";
                // libpq spells a few parameters differently from pgjdbc
                switch (key) {
                    case "user", "password", "sslmode", "sslcert", "sslkey", "sslrootcert", "options" -> props.setProperty(key, value);
                    case "application_name" -> props.setProperty("ApplicationName", value);
                    case "connect_timeout" -> props.setProperty("connectTimeout", value);
                    case "dbname" -> {
                        database = value;
                        jdbc.setLength(jdbc.lastIndexOf("/") + 1);
                        jdbc.append(pair.substring(eq + 1));
                    }
                    default -> props.setProperty(key, value);
                }
            }
        }
        if (database.isEmpty()) throw CliException.usage("database URL names no database: '" + url + "'");
        return new DbUrl(url, url, jdbc.toString(), props);
    }

    private static String decode(String url, String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("bad percent-encoding in database URL '" + url + "'");
        }
    }

    /** The URL to hand to psql: the user's own when it was a libpq URL. */
    public String forPsql() {
        if (libpqUrl == null) throw CliException.usage("psql cannot use a jdbc: URL; give a postgresql:// URL");
        return libpqUrl;
    }

    /** The URL with any password replaced by ***, for messages. */
    public String redacted() { return original.replaceFirst("^([a-z:]*//[^/@:]*:)[^/@]*@", "$1***@").replaceFirst("([?&]password=)[^&]*", "$1***"); }

    @Override
    public String toString() { return redacted(); }
}
