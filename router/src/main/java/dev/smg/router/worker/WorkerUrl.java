package dev.smg.router.worker;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The normalized base URL of an HTTP inference worker: scheme {@code http} or {@code https}, a
 * host, an explicit port, no query or fragment, no trailing slash. Two spellings of the same
 * worker ({@code http://H:80/} and {@code http://h}) normalize to one value, so duplicate
 * registrations are detected.
 */
public record WorkerUrl(String scheme, String host, int port, String basePath) {

    public static WorkerUrl parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("worker URL is empty");
        }
        String t = text.trim();
        if (!t.contains("://")) {
            t = "http://" + t; // a bare host:port is an HTTP worker
        }
        URI uri;
        try {
            uri = new URI(t);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("'" + text + "': scheme must be http or https (lowercase)");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' has no host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("'" + text + "' must not carry user info, a query or a fragment");
        }
        int port = uri.getPort();
        if (port == -1) {
            port = scheme.equals("https") ? 443 : 80;
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return new WorkerUrl(scheme, host.toLowerCase(Locale.ROOT), port, path);
    }

    /** The URL of a route on this worker, e.g. {@code resolve("/v1/chat/completions")}. */
    public String resolve(String route) {
        return this + route;
    }

    public URI toUri() {
        return URI.create(toString());
    }

    @Override
    public String toString() {
        return scheme + "://" + host + ":" + port + basePath;
    }
}
