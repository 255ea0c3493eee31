package dev.smg.mesh.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Whether the last delivery to each peer address worked, and how often a broken link came back.
 * Updated from gRPC callback threads, read by metrics scrapes: concurrent by design.
 */
public final class PeerLinks {
    private static final class Link {
        volatile boolean up;
        volatile boolean everUp;
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
