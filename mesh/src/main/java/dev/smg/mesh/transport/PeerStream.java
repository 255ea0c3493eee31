package dev.smg.mesh.transport;

import dev.smg.proto.mesh.Delivered;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.MeshGrpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The long-lived outbound stream to one peer. Envelopes are written while HTTP/2 flow control says
 * the peer keeps up ({@code isReady}); otherwise they wait in this stream's own queue, whose size is
 * bounded through {@link PeerLinks#reserve} (beyond it the transport drops and counts), so a slow or
 * stalled peer can never make gRPC buffer without limit; the same queue holds envelopes while the
 * stream waits for its connection. A broken stream is forgotten and the next send opens a new one.
 * Mesh loop thread only; gRPC callbacks hop onto the loop.
 */
final class PeerStream {
    private final String address;
    private final PeerLinks links;
    private final Executor loop;
    private final Runnable onBroken;
    private final ArrayDeque<Envelope> waiting = new ArrayDeque<>();
    private ClientCallStreamObserver<Envelope> call;
    private boolean broken;
    /** Set by gRPC when the call ends, so the loop notices even if the hop onto it was dropped. */
    private volatile boolean dead;

    PeerStream(String address, ManagedChannel channel, PeerLinks links, Executor loop, Runnable onBroken) {
        this.address = address;
        this.links = links;
        this.loop = loop;
        this.onBroken = onBroken;
        // Wait for ready: a stream opened while the channel is (re)connecting waits for the
        // connection instead of failing at once, so the first messages after a heal or a restart
        // (a refutation, a DOWN record to refute) are delivered, not lost to a fail-fast call. They
        // wait in this stream's bounded queue. An established stream that breaks still ends the
        // call; a stream waiting for a peer that never returns goes with its channel when the
        // member is declared DOWN or reaped.
        MeshGrpc.newStub(channel).withWaitForReady().stream(new ClientResponseObserver<Envelope, Delivered>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<Envelope> requestStream) {
                call = requestStream;
                requestStream.setOnReadyHandler(() -> onLoop(PeerStream.this::drain));
            }

            @Override
            public void onNext(Delivered value) {
            }

            @Override
            public void onError(Throwable t) {
                dead = true;
                onLoop(PeerStream.this::fail);
            }

            @Override
            public void onCompleted() {
                dead = true;
                onLoop(PeerStream.this::fail);
            }
        });
    }

    /** Queues one envelope (a slot was reserved for it) and writes what flow control allows. */
    void send(Envelope envelope) {
        if (dead) {
            fail();
        }
        if (broken) {
            links.release(address);
            return;
        }
        waiting.add(envelope);
        drain();
    }

    /** Whether envelopes handed to this stream can still go anywhere (false once the call ended). */
    boolean usable() {
        return !dead && !broken;
    }

    /** Catches up with the call's state without sending: writes what flow control allows, or fails. */
    void poke() {
        if (dead) {
            fail();
        } else if (!broken) {
            drain();
        }
    }

    /** A callback's hop onto the loop; a full inbox drops it (the {@code dead} flag covers failures). */
    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException full) {
            // dropped: the next send or ready signal catches up
        }
    }

    private void drain() {
        if (dead) {
            fail();
        }
        while (!broken && call.isReady() && !waiting.isEmpty()) {
            try {
                call.onNext(waiting.poll());
                links.delivered(address);
            } catch (RuntimeException e) {
                fail();
                return;
            } finally {
                links.release(address);
            }
        }
    }

    private void fail() {
        if (broken) {
            return;
        }
        broken = true;
        links.failed(address);
        while (waiting.poll() != null) {
            links.release(address);
        }
        onBroken.run();
    }

    void close() {
        if (!broken) {
            broken = true;
            while (waiting.poll() != null) {
                links.release(address);
            }
            call.cancel("closed", null);
        }
    }
}
