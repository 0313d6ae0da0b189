package dev.dfc.cli.worker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Makes the call of an HTTP step for {@code dfc worker}, as the C worker does with libcurl
 * (docs/runtime.md, "HTTP steps"): http and https only, no redirects, no proxy, at most 16 MB of
 * body, every address of the host checked against the {@link AddressPolicy} first. The outcome
 * goes back to the runtime through df._http_done.
 */
final class HttpExecutor {
    static final int MAX_BODY = 16 * 1024 * 1024;
    /** Headers java.net.http sets itself and refuses from callers; the runtime refuses most of them already. */
    private static final List<String> RESTRICTED = List.of("connection", "content-length", "expect", "host", "upgrade");

    private final AddressPolicy policy;
    private final HttpClient client;

    HttpExecutor(AddressPolicy policy) {
        this.policy = policy;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** A call as df._run returned it (type df._http_call). */
    record Call(long item, String token, String url, String method, String body, String[] headers, int timeoutMs,
            String[] partNames, byte[][] partData, String[] partFilenames, String[] partTypes, String bind, Integer next) {}

    /** What df._http_done records: a response, or an error with its SQLSTATE. */
    record Outcome(int status, List<String> headers, byte[] body, double durationMs, String error, String sqlstate) {
        static Outcome failed(String error, String sqlstate, long startNanos) {
            return new Outcome(0, List.of(), new byte[0], (System.nanoTime() - startNanos) / 1e6, error, sqlstate);
        }
    }

    /**
     * Makes the call; {@code stillWanted} is asked about once a second while it runs, and a false
     * answer (the step was cancelled, its race decided) abandons it: null is returned then.
     */
    Outcome perform(Call call, BooleanSupplier stillWanted) {
        long start = System.nanoTime();
        URI uri;
        try {
            uri = new URI(call.url());
        } catch (Exception e) {
            return Outcome.failed("HTTP request failed: malformed URL", "22023", start);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            return Outcome.failed("HTTP request failed: only http and https URLs with a host are allowed", "22023", start);
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(uri.getHost())) {
                String refusal = policy.refusal(a);
                if (refusal != null) return Outcome.failed(refusal, "42501", start);
            }
        } catch (UnknownHostException e) {
            return Outcome.failed("HTTP request failed: could not resolve host: " + uri.getHost(), "08000", start);
        }
        HttpRequest request;
        try {
            request = request(call, uri);
        } catch (IllegalArgumentException e) {
            return Outcome.failed("HTTP request refused by dfc worker: " + e.getMessage(), "22023", start);
        }
        CompletableFuture<HttpResponse<InputStream>> future = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response;
        try {
            while (true) {
                try {
                    response = future.get(1, TimeUnit.SECONDS);
                    break;
                } catch (TimeoutException e) {
                    if (!stillWanted.getAsBoolean()) {
                        future.cancel(true);
                        return null;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            return null;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                return Outcome.failed("HTTP request timed out after " + seconds(call.timeoutMs()) + " s", "57014", start);
            }
            return Outcome.failed("HTTP request failed: " + cause, "08000", start);
        }
        byte[] body;
        try (InputStream in = response.body()) {
            body = readAtMost(in, MAX_BODY);
        } catch (IOException e) {
            if (e instanceof HttpTimeoutException) {
                return Outcome.failed("HTTP request timed out after " + seconds(call.timeoutMs()) + " s", "57014", start);
            }
            return Outcome.failed("HTTP request failed: " + e, "08000", start);
        }
        if (body == null) {
            return Outcome.failed("HTTP response body larger than " + MAX_BODY / (1024 * 1024) + " MB", "54000", start);
        }
        return new Outcome(response.statusCode(), headerLines(response.headers()), body, (System.nanoTime() - start) / 1e6, null, null);
    }

    private static String seconds(int ms) {
        return ms % 1000 == 0 ? Integer.toString(ms / 1000) : Double.toString(ms / 1000.0);
    }

    private HttpRequest request(Call call, URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(Math.max(1, call.timeoutMs())));
        boolean userAgent = false;
        for (String line : call.headers() == null ? new String[0] : call.headers()) {
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("header " + name + " cannot be set");
            }
            userAgent |= name.equalsIgnoreCase("user-agent");
            b.header(name, value);
        }
        if (!userAgent) b.header("User-Agent", "dfc");
        String method = call.method() == null ? "POST" : call.method();
        HttpRequest.BodyPublisher publisher;
        if (call.partNames() != null) {
            String boundary = "dfc-" + UUID.randomUUID();
            b.header("Content-Type", "multipart/form-data; boundary=" + boundary);
            publisher = HttpRequest.BodyPublishers.ofByteArray(multipart(call, boundary));
        } else if (call.body() != null && !method.equals("HEAD")) {
            publisher = HttpRequest.BodyPublishers.ofString(call.body(), StandardCharsets.UTF_8);
        } else {
            publisher = HttpRequest.BodyPublishers.noBody();
        }
        return b.method(method, publisher).build();
    }

    private static byte[] multipart(Call call, String boundary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < call.partNames().length; i++) {
            StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"").append(quote(call.partNames()[i])).append('"');
            String filename = call.partFilenames() == null ? null : call.partFilenames()[i];
            if (filename != null) head.append("; filename=\"").append(quote(filename)).append('"');
            head.append("\r\n");
            String type = call.partTypes() == null ? null : call.partTypes()[i];
            if (type != null) head.append("Content-Type: ").append(type).append("\r\n");
            head.append("\r\n");
            out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
            byte[] data = call.partData() == null || call.partData()[i] == null ? new byte[0] : call.partData()[i];
            out.writeBytes(data);
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static String quote(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\r", "").replace("\n", "");
    }

    /** The body, or null when it is longer than {@code max}. */
    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (out.size() + n > max) return null;
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /** "Name: value" lines, as the C worker reports them (a repeated header joined with ", "). */
    private static List<String> headerLines(HttpHeaders headers) {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<String>> h : headers.map().entrySet()) {
            if (h.getKey().startsWith(":")) continue; // HTTP/2 pseudo-headers
            lines.add(h.getKey() + ": " + String.join(", ", h.getValue()));
        }
        return lines;
    }
}
