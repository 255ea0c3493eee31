package dev.smg.api.gateway;

import dev.smg.api.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * {@code /ha/ui}, the cluster page every router serves, and {@code /ha/overview}, the one JSON
 * answer it refreshes from. The page's three files are resources of the jar (no CDN, no build step);
 * they hold no data, so they are served without the API key ({@link #isPage}), while
 * {@code /ha/overview} and every action the page takes ({@code /workers}, {@code /ha/shutdown}) stay
 * behind it: with {@code --api-key} the page asks for the key before it shows anything.
 */
final class HaUiRoutes {
    static final String PAGE = "/ha/ui";
    private static final String RESOURCES = "/dev/smg/api/ui/";
    /** The page's files: name, content type. Nothing else under /ha/ui/ is served. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");
    /** Scripts and styles from this router only, no inline script, no framing by other sites. */
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final ClusterOverview overview;
    private final Map<String, byte[]> files;

    HaUiRoutes(ClusterOverview overview) {
        this.overview = overview;
        this.files = FILES.keySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(
                name -> name, HaUiRoutes::load));
    }

    /** Whether {@code path} is one of the page's files, which the API key does not guard. */
    static boolean isPage(String path) {
        return path.equals(PAGE) || path.startsWith(PAGE + "/") && FILES.containsKey(path.substring(PAGE.length() + 1));
    }

    void register(HttpRouting.Builder routing) {
        overview.watch();
        routing.get(PAGE, (req, res) -> file(res, "index.html"))
                .get(PAGE + "/{file}", this::file)
                .get("/ha/overview", this::overview);
    }

    private void file(ServerRequest req, ServerResponse res) throws IOException {
        String name = req.path().pathParameters().get("file");
        if (!FILES.containsKey(name)) {
            res.status(404);
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            res.send("not found");
            return;
        }
        file(res, name);
    }

    private void file(ServerResponse res, String name) {
        res.header(HeaderNames.CONTENT_TYPE, FILES.get(name));
        res.header(HeaderNames.CACHE_CONTROL, "no-cache"); // revalidated, so an upgraded router serves its own page
        res.header("Content-Security-Policy", CSP);
        res.header("X-Content-Type-Options", "nosniff");
        res.send(files.get(name));
    }

    private void overview(ServerRequest req, ServerResponse res) throws IOException {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(Json.MAPPER.asBytes(overview.json()));
    }

    private static byte[] load(String name) {
        try (InputStream in = HaUiRoutes.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("resource missing from the jar: " + RESOURCES + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
