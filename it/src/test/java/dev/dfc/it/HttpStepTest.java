package dev.dfc.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.dfc.it.harness.ClusterExtension;
import dev.dfc.it.harness.TestCluster;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP steps (RUNTIME.md section 3, "HTTP") against a real HTTP server on loopback: the step
 * runner makes the call after the step's transaction commits and records the response as the
 * node's result ({@code status, body, encoding, headers, ok, duration_ms}); non-2xx responses
 * complete with {@code ok: false}; timeouts and refused destinations fail the node with a clear
 * message; only roles granted {@code include_http} may call. {@code dfc.http_allow_loopback} is
 * on for this class (as in dev clusters; one test turns it off), {@code dfc.http_allow_private}
 * off.
 */
@ClusterExtension.WithCluster
class HttpStepTest {
    static final String CALLER = "http_caller";
    static final String NO_HTTP = "http_denied";
    static HttpServer server;
    static String base;
    static final AtomicInteger slowCalls = new AtomicInteger();
    static final java.util.concurrent.CountDownLatch hanging = new java.util.concurrent.CountDownLatch(1);

    @BeforeAll
    static void setUp(TestCluster db) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/json", x -> reply(x, 200, "application/json", "{\"hello\":\"wörld\"}".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/echo", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String ct = String.valueOf(x.getRequestHeaders().getFirst("Content-Type"));
            String token = String.valueOf(x.getRequestHeaders().getFirst("X-Token"));
            x.getResponseHeaders().add("X-Seen", "a");
            x.getResponseHeaders().add("X-Seen", "b");
            reply(x, 201, "text/plain; charset=utf-8",
                    (x.getRequestMethod() + "|" + ct + "|" + token + "|" + body
                            + (x.getRequestURI().getPath().equals("/echo") ? "" : "|" + x.getRequestURI().getPath()))
                            .getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/form", x -> {
            byte[] body = x.getRequestBody().readAllBytes();
            String ct = String.valueOf(x.getRequestHeaders().getFirst("Content-Type"));
            String boundary = ct.substring(ct.indexOf("boundary=") + "boundary=".length());
            // the raw form with its boundary replaced, so that the test can compare it
            String form = new String(body, StandardCharsets.ISO_8859_1).replace(boundary, "B").replace("\r\n", "\n");
            reply(x, 200, "text/plain; charset=iso-8859-1",
                    (x.getRequestMethod() + " " + ct.substring(0, ct.indexOf(';')) + "\n" + form).getBytes(StandardCharsets.ISO_8859_1));
        });
        server.createContext("/key", x -> reply(x, 200, "text/plain",
                (x.getRequestURI().getRawPath() + " " + x.getRequestHeaders().getFirst("Idempotency-Key") + " "
                        + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
        server.createContext("/hang", x -> {
            hanging.countDown();
            try {
                Thread.sleep(20_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(x, 200, "text/plain", "late".getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/missing", x -> reply(x, 404, "text/plain", "nope".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/bin", x -> reply(x, 200, "application/octet-stream", new byte[] {0, (byte) 0xff, 16}));
        server.createContext("/slow", x -> {
            slowCalls.incrementAndGet();
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(x, 200, "text/plain", "late".getBytes(StandardCharsets.UTF_8));
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();

        db.createRole(CALLER);
        db.createRole(NO_HTTP);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("SELECT df.grant_usage('" + CALLER + "', include_http => true)");
        }
        db.deploy("http.dfsql", """
                CREATE WORKFLOW http_json AS df.http('%1$s/json', 'GET');
                CREATE WORKFLOW http_post AS df.http('%1$s/echo', 'POST', '{"n": 1}', '{"X-Token": "t-1"}');
                CREATE WORKFLOW http_put_text AS df.http('%1$s/echo', 'put', 'plain words');
                CREATE WORKFLOW http_missing AS df.http('%1$s/missing', 'GET');
                CREATE WORKFLOW http_bin AS df.http('%1$s/bin', 'GET');
                CREATE WORKFLOW http_slow AS df.http('%1$s/slow', 'GET', timeout_s => 0.5);
                CREATE WORKFLOW http_to (url text) AS df.http('{url}', 'GET');
                CREATE WORKFLOW http_header_injection (v text) AS df.http('%1$s/echo', 'GET', headers => '{"X-Token": "{v}x"}');
                CREATE WORKFLOW http_closed_port AS df.http('http://127.0.0.1:1/', 'GET', timeout_s => 5);
                CREATE WORKFLOW http_form (title text DEFAULT 'a "b"')
                AS df.http_multipart('%1$s/form', 'PUT', '[{"name": "title", "value": "{title}"},
                    {"name": "file", "filename": "a.bin", "content_type": "application/octet-stream", "value_base64": "QUI="}]');
                CREATE WORKFLOW http_data (p text, name text)
                AS 'SELECT $p AS p, $name AS name' |=> 'a'
                   ~> df.http('%1$s/key/$a.p', 'POST', '{"name": "$a.name", "again": $a.name}') |=> 'r'
                   ~> df.loop(df.http('%1$s/key/loop', 'GET') |=> 'l', 'SELECT false');
                CREATE WORKFLOW http_hang AS df.http('%1$s/hang', 'GET', timeout_s => 60);
                CREATE WORKFLOW http_smuggle AS df.http('%1$s/echo', 'POST', 'AAAAAAAA', '{"Content-Length": "4"}');
                CREATE WORKFLOW http_bad_parts AS df.http_multipart('%1$s/form', 'POST', '[{"name": "x"}]');
                CREATE WORKFLOW http_refs (who text DEFAULT 'O''Brien "the" 3rd')
                AS
                    'SELECT 7 AS id, ''a b'' AS label' |=> 'a'
                    ~> df.http('%1$s/echo/$a.id/{sys_instance_id}', 'POST', '{"id": $a.id, "rows": $a.*}', '{"X-Token": "{who}"}') |=> 'r'
                    ~> 'SELECT $r.status AS status, $r.ok AS ok, $r.body AS body';
                """.formatted(base));
        setAllowLoopback(db, true);
    }

    @AfterAll
    static void tearDown(TestCluster db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM RESET dfc.http_allow_loopback");
            s.execute("SELECT pg_reload_conf()");
        }
        if (server != null) server.stop(0);
    }

    @Test
    void getReturnsTheResponseAsTheNodesResult(TestCluster db) throws Exception {
        String id = run(db, CALLER, "http_json", "completed");
        assertEquals("200 true text {\"hello\":\"wörld\"} application/json t",
                scalar(db, "SELECT concat_ws(' ', r ->> 'status', r ->> 'ok', r ->> 'encoding', r ->> 'body', r -> 'headers' ->> 'content-type',"
                        + " (r ->> 'duration_ms')::numeric >= 0) FROM (SELECT df.result('" + id + "')::json AS r) x"));
        assertEquals("HTTP completed", scalar(db, "SELECT node_type || ' ' || status FROM df.instance_nodes('" + id + "') WHERE node_id = 1"));
    }

    @Test
    void postSendsTheBodyAndHeaders(TestCluster db) throws Exception {
        String id = run(db, CALLER, "http_post", "completed");
        assertEquals("201 true POST|application/json|t-1|{\"n\": 1} a, b",
                scalar(db, "SELECT concat_ws(' ', r ->> 'status', r ->> 'ok', r ->> 'body', r -> 'headers' ->> 'x-seen')"
                        + " FROM (SELECT df.result('" + id + "')::json AS r) x"));
        String put = run(db, CALLER, "http_put_text", "completed");
        assertEquals("PUT|text/plain; charset=utf-8|null|plain words",
                scalar(db, "SELECT df.result('" + put + "')::json ->> 'body'"));
    }

    @Test
    void multipartSendsEachPart(TestCluster db) throws Exception {
        String id = run(db, CALLER, "http_form", "completed");
        assertEquals("PUT multipart/form-data\n"
                + "--B\nContent-Disposition: form-data; name=\"title\"\n\na \"b\"\n"
                + "--B\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\nContent-Type: application/octet-stream\n\nAB\n"
                + "--B--\n", scalar(db, "SELECT df.result('" + id + "')::json ->> 'body'"));
        String bad = run(db, CALLER, "http_bad_parts", "failed");
        assertTrue(error(db, bad).startsWith("22023 HTTP multipart part {\"name\": \"x\"} is not "), error(db, bad));
    }

    @Test
    void dataCannotChangeTheUrlOrTheJsonAroundIt(TestCluster db) throws Exception {
        String id = runWith(db, CALLER, "http_data", "{\"p\": \"@127.0.0.1:1/x?y#z\", \"name\": \"x\\\", \\\"admin\\\": true\"}", "completed");
        assertEquals("/key/%40127.0.0.1%3A1%2Fx%3Fy%23z " + id + "-2-1 {\"name\": \"x\\\", \\\"admin\\\": true\", \"again\": \"x\\\", \\\"admin\\\": true\"}",
                scalar(db, "SELECT result ->> 'body' FROM df.instance_nodes('" + id + "') WHERE node_id = 2"));
        // the Idempotency-Key is instance-node-attempt: the looped call is its node's first attempt
        assertEquals("/key/loop " + id + "-3-1 ", scalar(db, "SELECT df.result('" + id + "')::json ->> 'body'"));
        String smuggle = run(db, CALLER, "http_smuggle", "failed");
        assertEquals("22023 HTTP header \"Content-Length\" is set by dfc, not by the workflow", error(db, smuggle));
    }

    @Test
    void cancelStopsACallInFlight(TestCluster db) throws Exception {
        String id;
        try (Connection c = db.connectAs(CALLER); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT df.start('http_hang')")) {
            rs.next();
            id = rs.getString(1);
        }
        assertTrue(hanging.await(20, java.util.concurrent.TimeUnit.SECONDS), "the call did not arrive");
        try (Connection c = db.connectAs(CALLER); Statement s = c.createStatement()) {
            s.execute("SELECT df.cancel('" + id + "')");
        }
        assertEquals("cancelled", scalar(db, "SELECT status FROM df.instances WHERE id = '" + id + "'"));
        // the worker gives up the call at once instead of waiting 20 s for the answer
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"0".equals(scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE query = 'dfc: making an HTTP call'"))) {
            if (System.nanoTime() > deadline) fail("a worker is still waiting for the cancelled call after 10 s");
            Thread.sleep(50);
        }
    }

    @Test
    void nonSuccessStatusCompletesWithOkFalse(TestCluster db) throws Exception {
        String id = run(db, CALLER, "http_missing", "completed");
        assertEquals("404 false nope", scalar(db, "SELECT concat_ws(' ', r ->> 'status', r ->> 'ok', r ->> 'body')"
                + " FROM (SELECT df.result('" + id + "')::json AS r) x"));
    }

    @Test
    void binaryBodiesAreBase64(TestCluster db) throws Exception {
        String id = run(db, CALLER, "http_bin", "completed");
        assertEquals("base64 AP8Q", scalar(db, "SELECT concat_ws(' ', r ->> 'encoding', r ->> 'body')"
                + " FROM (SELECT df.result('" + id + "')::json AS r) x"));
    }

    @Test
    void timeoutsAndNetworkErrorsFailTheNode(TestCluster db) throws Exception {
        String id = run(db, CALLER, "http_slow", "failed");
        assertEquals("57014 HTTP request timed out after 0.5 s", error(db, id));
        String closed = run(db, CALLER, "http_closed_port", "failed");
        String e = error(db, closed);
        assertTrue(e.startsWith("08000 HTTP request failed: "), e);
    }

    @Test
    void referencesAreSubstitutedInTheUrlBodyAndHeaders(TestCluster db) throws Exception {
        String id = run(db, CALLER, "http_refs", "completed");
        assertEquals("{\"rows\":[{\"status\":201,\"ok\":true,\"body\":\"POST|application/json|O'Brien \\\"the\\\" 3rd|"
                + "{\\\"id\\\": 7, \\\"rows\\\": [{\\\"id\\\":7,\\\"label\\\":\\\"a b\\\"}]}|/echo/7/" + id + "\"}],\"row_count\":1}",
                scalar(db, "SELECT df.result('" + id + "')"));
    }

    @Test
    void badRequestsAreRefusedBeforeAnythingIsSent(TestCluster db) throws Exception {
        String ftp = runWith(db, CALLER, "http_to", "{\"url\": \"ftp://127.0.0.1/x\"}", "failed");
        assertEquals("22023 HTTP URL must start with http:// or https:// and a host: ftp://127.0.0.1/x", error(db, ftp));
        String inj = runWith(db, CALLER, "http_header_injection", "{\"v\": \"a\\r\\nX-Evil: 1\"}", "failed");
        assertEquals("22023 HTTP header \"X-Token\" contains a line break", error(db, inj));
    }

    @Test
    void privateAndLinkLocalAddressesAreRefused(TestCluster db) throws Exception {
        // refused as the connection is opened: nothing is sent, and no time is spent waiting
        String metadata = runWith(db, CALLER, "http_to", "{\"url\": \"http://169.254.169.254/latest/meta-data/\"}", "failed");
        assertEquals("42501 HTTP destination 169.254.169.254 is a link-local address: refused (dfc.http_allow_private is off)", error(db, metadata));
        String mapped = runWith(db, CALLER, "http_to", "{\"url\": \"http://[::ffff:10.1.2.3]:8080/\"}", "failed");
        assertEquals("42501 HTTP destination ::ffff:10.1.2.3 is a private address: refused (dfc.http_allow_private is off)", error(db, mapped));
    }

    @Test
    void onlyRolesGrantedHttpMayCall(TestCluster db) throws Exception {
        String id = run(db, NO_HTTP, "http_json", "failed");
        assertEquals("42501 role " + NO_HTTP + " may not make HTTP calls", error(db, id));
    }

    @Test
    void loopbackIsRefusedUnlessAllowed(TestCluster db) throws Exception {
        setAllowLoopback(db, false);
        try {
            String id = run(db, CALLER, "http_json", "failed");
            assertEquals("42501 HTTP destination 127.0.0.1 is a loopback address: refused (dfc.http_allow_loopback is off)", error(db, id));
        } finally {
            setAllowLoopback(db, true);
        }
    }

    // ---------------------------------------------------------------------------------------

    static void reply(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().add("Content-Type", type);
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    /** Starts {@code workflow} as {@code role}, waits for it to end and checks its status; returns the id. */
    static String run(TestCluster db, String role, String workflow, String status) throws SQLException {
        return runWith(db, role, workflow, "{}", status);
    }

    static String runWith(TestCluster db, String role, String workflow, String args, String status) throws SQLException {
        String id;
        try (Connection c = db.connectAs(role); PreparedStatement s = c.prepareStatement("SELECT df.start(?, args => ?::jsonb)")) {
            s.setString(1, workflow);
            s.setString(2, args);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                id = rs.getString(1);
            }
        }
        String ended = db.awaitInstance(id);
        String why = error(db, id);
        assertEquals(status, ended, () -> workflow + ": " + why);
        return id;
    }

    /** "sqlstate message" of a failed instance. */
    static String error(TestCluster db, String id) throws SQLException {
        return scalar(db, "SELECT (error ->> 'sqlstate') || ' ' || (error ->> 'message') FROM df.instances WHERE id = '" + id + "'");
    }

    static String scalar(TestCluster db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * Sets dfc.http_allow_loopback and waits until the step workers have it: a probe call to the
     * server succeeds (on) or is refused (off), within 15 s.
     */
    static void setAllowLoopback(TestCluster db, boolean on) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("ALTER SYSTEM SET dfc.http_allow_loopback = " + (on ? "on" : "off"));
            s.execute("SELECT pg_reload_conf()");
        }
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            // every worker must have it: probe as many times as there are workers, in a row
            boolean all = true;
            for (int i = 0; i < 3 && all; i++) {
                String id;
                try (Connection c = db.connectAs(CALLER); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT df.start('http_json')")) {
                    rs.next();
                    id = rs.getString(1);
                }
                all = (on ? "completed" : "failed").equals(db.awaitInstance(id));
            }
            if (all) return;
            if (System.nanoTime() > deadline) fail("dfc.http_allow_loopback = " + on + " did not reach the step workers");
        }
    }
}
