package dev.smg.router.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which headers cross the gateway. Towards workers: a whitelist (request ids, trace context,
 * routing key), never the client's Authorization, which is for the gateway; the worker's own key
 * is sent instead (upstream forwarded both, leaking the client's key to workers). Back to clients:
 * everything except hop-by-hop headers.
 */
public final class HeaderPolicy {
    private static final Set<String> FORWARDED_TO_WORKER = Set.of(
            "x-request-id", "x-correlation-id", "x-trace-id", "request-id", "traceparent", "tracestate",
            "x-smg-routing-key", "accept");
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
            "trailer", "trailers", "transfer-encoding", "upgrade", "content-encoding", "host", "content-length");

    private HeaderPolicy() {
    }

    public static boolean forwardToWorker(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return FORWARDED_TO_WORKER.contains(n) || n.startsWith("x-request-id-");
    }

    public static boolean returnToClient(String name) {
        return !HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT));
    }

    public static List<HeaderField> towardsWorker(List<HeaderField> clientHeaders) {
        List<HeaderField> out = new ArrayList<>(clientHeaders.size());
        for (HeaderField h : clientHeaders) {
            if (forwardToWorker(h.name())) {
                out.add(h);
            }
        }
        return out;
    }
}
