package dev.smg.mesh.transport;

import java.time.Duration;

/**
 * Timings and bounds of the gRPC transport between members and of the mesh loop's inbox.
 * {@link #LAN} holds the defaults (the {@code lan} profile of {@code dev.smg.mesh.MeshTuning}).
 *
 * @param connectTimeout      one connection attempt to a peer (500 ms: peers share one network, and
 *                            the kernel would retransmit a lost SYN only after 1 s, so one SYN per
 *                            attempt lets the next attempt start right after a heal)
 * @param reconnectInterval   a send to a peer whose channel is backing off starts a new connection
 *                            attempt at most this often (500 ms; gRPC's own backoff grows to 120 s)
 * @param keepAliveTime       HTTP/2 ping after this long without reads (10 s), so a connection that
 *                            silently stopped carrying is found dead; gRPC allows no less than
 *                            {@link #MIN_KEEPALIVE_TIME}
 * @param keepAliveTimeout    a ping unanswered this long closes the connection (5 s)
 * @param perPeerQueue        messages in flight to one peer at most (2,048); beyond it sends are
 *                            dropped and counted, and anti-entropy repairs what they carried
 * @param inboxCapacity       tasks waiting for the mesh loop (65,536); a full inbox drops and counts
 * @param channelPruneInterval how often connections to forgotten (reaped) members are closed (30 s)
 */
public record TransportSettings(Duration connectTimeout, Duration reconnectInterval, Duration keepAliveTime,
                                Duration keepAliveTimeout, int perPeerQueue, int inboxCapacity,
                                Duration channelPruneInterval) {
    /**
     * gRPC raises any shorter client keepalive to this. The server permits pings this frequent, so
     * members running different profiles (during a rolling change) never refuse each other's pings.
     */
    public static final Duration MIN_KEEPALIVE_TIME = Duration.ofSeconds(10);

    public static final TransportSettings LAN = new TransportSettings(Duration.ofMillis(500), Duration.ofMillis(500),
            Duration.ofSeconds(10), Duration.ofSeconds(5), 2048, 65_536, Duration.ofSeconds(30));

    public TransportSettings {
        positive("connect timeout", connectTimeout);
        if (connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connect timeout must be under " + Integer.MAX_VALUE + " ms");
        }
        positive("reconnect interval", reconnectInterval);
        if (keepAliveTime.compareTo(MIN_KEEPALIVE_TIME) < 0) {
            throw new IllegalArgumentException("keepalive time must be at least " + MIN_KEEPALIVE_TIME.toSeconds()
                    + " s (gRPC's minimum), got " + keepAliveTime.toMillis() + " ms");
        }
        positive("keepalive timeout", keepAliveTimeout);
        positive("channel prune interval", channelPruneInterval);
        if (perPeerQueue < 1) {
            throw new IllegalArgumentException("per-peer queue must be at least 1, got " + perPeerQueue);
        }
        if (inboxCapacity < 2) {
            throw new IllegalArgumentException("mesh loop inbox capacity must be at least 2, got " + inboxCapacity);
        }
    }

    private static void positive(String what, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + value.toMillis() + " ms");
        }
    }
}
