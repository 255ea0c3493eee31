package dev.smg.mesh.transport;

import dev.smg.mesh.tls.TransportSecurity;
import dev.smg.proto.mesh.Delivered;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.MeshGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The mesh port: a gRPC server whose only job is to hand envelopes to the mesh loop. Handlers do
 * not touch membership state; they validate and enqueue. Frames over the size cap are refused by
 * gRPC itself; malformed envelopes are refused and counted.
 */
public final class MeshServer implements AutoCloseable {
    private final Server server;

    /**
     * @param security plaintext, or mutual TLS (a peer without a certificate from the CA never gets to
     *                 send an envelope: the handshake fails before any gRPC call)
     * @param accept   queues an envelope on the mesh loop; false when the loop's inbox is full
     * @param reject   told the reason whenever an envelope is refused
     */
    public MeshServer(String host, int port, TransportSecurity security, Predicate<Envelope> accept,
                      Consumer<String> reject) {
        MeshGrpc.MeshImplBase service = new MeshGrpc.MeshImplBase() {
            /**
             * A peer's long-lived stream. A refused envelope is counted and skipped, never a reason to
             * end the stream (every other message on it is fine); the stream ends when the peer ends it.
             */
            @Override
            public StreamObserver<Envelope> stream(StreamObserver<Delivered> response) {
                return new StreamObserver<>() {
                    @Override
                    public void onNext(Envelope envelope) {
                        Optional<String> violation = EnvelopeLimits.violation(envelope);
                        if (violation.isPresent()) {
                            reject.accept(violation.get());
                        } else if (!accept.test(envelope)) {
                            reject.accept("inbox full");
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        // the peer went away or restarted; it opens a new stream when it sends again
                    }

                    @Override
                    public void onCompleted() {
                        response.onCompleted();
                    }
                };
            }

            @Override
            public void deliver(Envelope envelope, StreamObserver<Delivered> response) {
                Optional<String> violation = EnvelopeLimits.violation(envelope);
                if (violation.isPresent()) {
                    reject.accept(violation.get());
                    response.onError(Status.INVALID_ARGUMENT.withDescription(violation.get()).asRuntimeException());
                    return;
                }
                if (!accept.test(envelope)) {
                    reject.accept("inbox full");
                    response.onError(Status.RESOURCE_EXHAUSTED.withDescription("mesh inbox full").asRuntimeException());
                    return;
                }
                response.onNext(Delivered.getDefaultInstance());
                response.onCompleted();
            }
        };
        server = security.secure(NettyServerBuilder.forAddress(new InetSocketAddress(host, port)))
                .addService(service)
                .maxInboundMessageSize(EnvelopeLimits.MAX_MESSAGE_BYTES)
                .maxInboundMetadataSize(16 * 1024)
                .permitKeepAliveTime(TransportSettings.MIN_KEEPALIVE_TIME.toNanos(), TimeUnit.NANOSECONDS)
                .build();
    }

    public MeshServer start() {
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on the mesh port: " + e.getMessage(), e);
        }
        return this;
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
