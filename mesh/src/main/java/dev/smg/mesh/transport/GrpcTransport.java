package dev.smg.mesh.transport;

import dev.smg.mesh.membership.Transport;
import dev.smg.mesh.tls.TransportSecurity;
import dev.smg.proto.mesh.Envelope;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

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

    /**
     * Messages in flight to one peer at most. Beyond it, sends are dropped and counted: membership
     * tolerates loss by design, and replicated state is repaired by anti-entropy.
     */
    public static final int MAX_IN_FLIGHT_PER_PEER = 2048;

    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private final Map<String, PeerStream> streams = new HashMap<>();
    private final PeerLinks links;
    private final Executor loop;
    private final Consumer<String> onDrop;
    private final TransportSecurity security;

    /** @param loop the mesh loop: stream callbacks are run there */
    public GrpcTransport(PeerLinks links, Executor loop, Consumer<String> onDrop, TransportSecurity security) {
        this.links = links;
        this.loop = loop;
        this.onDrop = onDrop;
        this.security = security;
    }

    @Override
    public void send(String address, Envelope envelope) {
        if (!links.reserve(address, MAX_IN_FLIGHT_PER_PEER)) {
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
                .keepAliveTime(30, TimeUnit.SECONDS)
                .build());
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
     * An envelope came from this address, so the peer is up. A channel to it that is still waiting
     * out its reconnect backoff (it failed while the peer was starting, crashed or cut off) would fail
     * every reply fast for up to that backoff (1 s growing x1.6 up to 120 s), and the peer would be
     * suspected for our silence: it reconnects now instead. Cheap when the channel is fine.
     */
    public void heardFrom(String address) {
        ManagedChannel channel = channels.get(address);
        if (channel != null && channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
            channel.resetConnectBackoff();
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
