package dev.smg.mesh.transport;

import dev.smg.mesh.membership.Transport;
import dev.smg.mesh.tls.TransportSecurity;
import dev.smg.proto.mesh.Envelope;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends envelopes over gRPC: one long-lived channel and, on it, one long-lived stream per peer
 * address ({@link PeerStream}), so a probe or a delta costs a frame on an open stream, not a call.
 * Sends are asynchronous and never block the mesh loop; a failure only marks the link down (and the
 * next send opens a new stream), because loss is handled by the protocol. Loop thread only.
 */
public final class GrpcTransport implements Transport, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GrpcTransport.class.getName());

    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private final Map<String, PeerStream> streams = new HashMap<>();
    private final Map<String, Long> lastRetry = new HashMap<>();
    private final PeerLinks links;
    private final Executor loop;
    private final Consumer<String> onDrop;
    private final TransportSecurity security;
    private final TransportSettings settings;

    /**
     * @param loop     the mesh loop: stream callbacks are run there
     * @param settings connect timeout, keepalive, per-peer bound and reconnect pace
     */
    public GrpcTransport(PeerLinks links, Executor loop, Consumer<String> onDrop, TransportSecurity security,
                         TransportSettings settings) {
        this.links = links;
        this.loop = loop;
        this.onDrop = onDrop;
        this.security = security;
        this.settings = settings;
    }

    @Override
    public void send(String address, Envelope envelope) {
        // Beyond the per-peer bound sends are dropped and counted: membership tolerates loss by
        // design, and replicated state is repaired by anti-entropy.
        if (!links.reserve(address, settings.perPeerQueue())) {
            onDrop.accept(address);
            PeerStream full = streams.get(address);
            if (full != null) {
                full.poke(); // a ready or failure signal may have been lost on a full loop inbox
            }
            return;
        }
        ManagedChannel channel = channels.computeIfAbsent(address, a -> security
                .secure(NettyChannelBuilder.forTarget(a))
                .maxInboundMessageSize(EnvelopeLimits.MAX_MESSAGE_BYTES)
                // One SYN per attempt (the kernel retransmits a SYN after 1 s): an attempt made
                // during a partition ends quickly, so the next one can be made right after the heal.
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                // A connection that silently stopped carrying (packets dropped, not refused) is
                // found dead within keepalive time + timeout (15 s) even when no member is declared
                // DOWN over it.
                .keepAliveTime(settings.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(settings.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .build());
        reconnectIfBackingOff(address, channel, settings.reconnectInterval().toNanos());
        PeerStream stream = streams.get(address);
        if (stream != null && !stream.usable()) {
            // The call ended (the peer restarted or went away): a message handed to it would be
            // lost, so it goes on a new stream instead.
            stream.poke();
            streams.remove(address, stream);
            stream = null;
        }
        if (stream == null) {
            PeerStream[] self = new PeerStream[1];
            self[0] = new PeerStream(address, channel, links, loop, () -> {
                if (streams.get(address) == self[0]) {
                    streams.remove(address);
                    LOG.log(System.Logger.Level.TRACE, "stream to {0} broke; the next send opens another", address);
                }
            });
            stream = self[0];
            streams.put(address, stream);
        }
        stream.send(envelope);
    }

    /**
     * gRPC waits out an exponential backoff (1 s growing x1.6 up to 120 s) between connection
     * attempts, failing every call meanwhile: after a 30 s partition the next attempt could be a
     * minute away. The mesh paces its own sends (probes every period, DOWN members every 500 ms), so
     * it lets each send to a peer that is backing off start a new attempt, at most one per
     * {@link TransportSettings#reconnectInterval} (500 ms): a healed link is found within about a second.
     */
    private void reconnectIfBackingOff(String address, ManagedChannel channel, long minIntervalNanos) {
        if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
            return;
        }
        long now = System.nanoTime();
        Long last = lastRetry.get(address);
        if (last == null || now - last >= minIntervalNanos) {
            lastRetry.put(address, now);
            channel.resetConnectBackoff();
        }
    }

    /**
     * The member at this address was declared DOWN: its connection, if any, is dropped. After a
     * partition, a connection kept from before it has data waiting in TCP retransmission backoff
     * (seconds, doubling) and would deliver the first message after the heal late; a new
     * connection is made by the next send instead.
     */
    public void disconnect(String address) {
        PeerStream stream = streams.remove(address);
        if (stream != null) {
            stream.close();
        }
        ManagedChannel channel = channels.remove(address);
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    /**
     * An envelope came from this address, so the peer is up. A channel to it that is still waiting
     * out its reconnect backoff (it failed while the peer was starting, crashed or cut off) would fail
     * every reply fast for up to that backoff (1 s growing x1.6 up to 120 s), and the peer would be
     * suspected for our silence: it reconnects now instead. Cheap when the channel is fine.
     */
    public void heardFrom(String address) {
        ManagedChannel channel = channels.get(address);
        if (channel != null) {
            reconnectIfBackingOff(address, channel, 0);
        }
    }

    /** Closes channels to addresses no longer worth keeping (reaped members), bounding their number. */
    public void retainOnly(Set<String> addresses) {
        channels.entrySet().removeIf(e -> {
            if (addresses.contains(e.getKey())) {
                return false;
            }
            PeerStream stream = streams.remove(e.getKey());
            if (stream != null) {
                stream.close();
            }
            e.getValue().shutdown();
            links.forget(e.getKey());
            lastRetry.remove(e.getKey());
            return true;
        });
    }

    @Override
    public void close() {
        streams.values().forEach(PeerStream::close);
        streams.clear();
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
