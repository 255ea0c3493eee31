package dev.smg.mesh.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Whether the last delivery to each peer address worked, how often a broken link came back, and
 * how many messages to it are still in flight. The in-flight count is the per-peer send buffer's
 * bound: gRPC would otherwise queue without limit behind a slow or stalled peer. Updated from gRPC
 * callback threads, read by metrics scrapes: concurrent by design.
 */
public final class PeerLinks {
    private static final class Link {
        volatile boolean up;
        volatile boolean everUp;
        final AtomicInteger inFlight = new AtomicInteger();
    }

    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final Consumer<String> onReconnect;

    public PeerLinks(Consumer<String> onReconnect) {
        this.onReconnect = onReconnect;
    }

    void delivered(String address) {
        Link link = links.computeIfAbsent(address, a -> new Link());
        if (!link.up) {
            link.up = true;
            if (link.everUp) {
                onReconnect.accept(address);
            }
            link.everUp = true;
        }
    }

    /** Takes an in-flight slot towards {@code address}; false (nothing taken) when {@code limit} are in use. */
    boolean reserve(String address, int limit) {
        AtomicInteger inFlight = links.computeIfAbsent(address, a -> new Link()).inFlight;
        if (inFlight.incrementAndGet() > limit) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void release(String address) {
        Link link = links.get(address);
        if (link != null) {
            link.inFlight.decrementAndGet();
        }
    }

    void failed(String address) {
        links.computeIfAbsent(address, a -> new Link()).up = false;
    }

    public boolean isUp(String address) {
        Link link = links.get(address);
        return link != null && link.up;
    }

    void forget(String address) {
        links.remove(address);
    }
}
