package dev.smg.mesh.transport;

import dev.smg.mesh.membership.Transport;
import dev.smg.mesh.tls.TransportSecurity;
import dev.smg.proto.mesh.Delivered;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.MeshGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends envelopes over gRPC, one long-lived channel per peer address (HTTP/2 multiplexes every
 * message on it; no connection per ping). Sends are asynchronous and never block the mesh loop;
 * a failure only marks the link down, because loss is handled by the protocol.
 * Loop thread only, except the completion callbacks, which touch {@link PeerLinks} alone.
 */
public final class GrpcTransport implements Transport, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GrpcTransport.class.getName());

    /**
     * Messages in flight to one peer at most. Beyond it, sends are dropped and counted: membership
     * tolerates loss by design, and replicated state is repaired by anti-entropy.
     */
    public static final int MAX_IN_FLIGHT_PER_PEER = 2048;

    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private final PeerLinks links;
    private final Duration deadline;
    private final Consumer<String> onDrop;
    private final TransportSecurity security;

    public GrpcTransport(PeerLinks links, Duration deadline, Consumer<String> onDrop, TransportSecurity security) {
        this.links = links;
        this.deadline = deadline;
        this.onDrop = onDrop;
        this.security = security;
    }

    @Override
    public void send(String address, Envelope envelope) {
        if (!links.reserve(address, MAX_IN_FLIGHT_PER_PEER)) {
            onDrop.accept(address);
            return;
        }
        ManagedChannel channel = channels.computeIfAbsent(address, a -> security
                .secure(NettyChannelBuilder.forTarget(a))
                .maxInboundMessageSize(EnvelopeLimits.MAX_MESSAGE_BYTES)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .build());
        MeshGrpc.newStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .deliver(envelope, new StreamObserver<>() {
                    @Override
                    public void onNext(Delivered value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        links.release(address);
                        links.failed(address);
                        LOG.log(System.Logger.Level.TRACE, "delivery to {0} failed: {1}", address, t.getMessage());
                    }

                    @Override
                    public void onCompleted() {
                        links.release(address);
                        links.delivered(address);
                    }
                });
    }

    /** Closes channels to addresses no longer worth keeping (reaped members), bounding their number. */
    public void retainOnly(Set<String> addresses) {
        channels.entrySet().removeIf(e -> {
            if (addresses.contains(e.getKey())) {
                return false;
            }
            e.getValue().shutdown();
            links.forget(e.getKey());
            return true;
        });
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
