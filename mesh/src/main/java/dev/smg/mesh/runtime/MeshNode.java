package dev.smg.mesh.runtime;

import dev.smg.mesh.Mesh;
import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.MeshTuning;
import dev.smg.mesh.PeerAddress;
import dev.smg.mesh.channel.Channels;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipEvents;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.membership.SwimNode;
import dev.smg.mesh.metrics.MeshMetrics;
import dev.smg.mesh.store.DeltaCodec;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.mesh.store.StoreSync;
import dev.smg.mesh.tls.ReloadingCredentials;
import dev.smg.mesh.tls.TlsMaterialException;
import dev.smg.mesh.tls.TransportSecurity;
import dev.smg.mesh.transport.EnvelopeLimits;
import dev.smg.mesh.transport.GrpcTransport;
import dev.smg.mesh.transport.MeshServer;
import dev.smg.mesh.transport.PeerLinks;
import com.google.protobuf.ByteString;
import dev.smg.proto.mesh.ChannelMessage;
import dev.smg.proto.mesh.DeltaBatch;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.NamespaceDelta;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * One router's place in the mesh: the mesh loop thread, the gRPC server on the mesh port, the
 * transport to peers, and the SWIM state machine that runs on the loop. Other threads read
 * {@link #view()} (an immutable snapshot) and never touch membership state directly.
 */
public final class MeshNode implements Mesh, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MeshNode.class.getName());

    /**
     * Receives messages on one named channel. Runs on a gRPC thread: it must be quick and must not
     * block (decode, then hand over to the component's own single writer).
     */

    private final MeshSettings settings;
    private final MeshTuning tuning;
    private final MeshLoop loop;
    private final GrpcTransport transport;
    private final SwimNode swim;
    private final MeshServer server;
    private final ReplicatedStore store;
    private final MeshMetrics metrics;
    private final Map<String, Channels.Handler> channels;
    private final StoreSync storeSync;
    private final Optional<ReloadingCredentials> credentials;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The latest set from service discovery, waiting for the loop to apply it. */
    private final AtomicReference<Set<String>> discoveredPeers = new AtomicReference<>(Set.of());

    private MeshNode(MeshSettings settings, MeshTuning tuning, MeshLoop loop, GrpcTransport transport, SwimNode swim,
                     MeshServer server, ReplicatedStore store, MeshMetrics metrics, Map<String, Channels.Handler> channels,
                     StoreSync storeSync, Optional<ReloadingCredentials> credentials) {
        this.tuning = tuning;
        this.channels = channels;
        this.storeSync = storeSync;
        this.credentials = credentials;
        this.store = store;
        this.metrics = metrics;
        this.settings = settings;
        this.loop = loop;
        this.transport = transport;
        this.swim = swim;
        this.server = server;
    }

    /** A node with the default ({@code lan}) tuning but these membership timings (tests, benchmarks). */
    public static MeshNode start(MeshSettings requested, MembershipSettings membership, PrometheusRegistry registry) {
        return start(requested, MeshTuning.LAN.withMembership(membership), registry, List.of());
    }

    /** A node with the default ({@code lan}) tuning but these membership timings (tests, benchmarks). */
    public static MeshNode start(MeshSettings requested, MembershipSettings membership, PrometheusRegistry registry,
                                 List<Namespace<?>> namespaces) {
        return start(requested, MeshTuning.LAN.withMembership(membership), registry, namespaces);
    }

    /**
     * Starts the node with a replicated store of the given namespaces: local writes are pushed as
     * deltas to every ALIVE (or SUSPECTED) member at once.
     *
     * @param tuning every timing and bound of the mesh (its {@code ha} part is the caller's to read)
     * @throws IllegalArgumentException when the settings ask for TLS and the files cannot be used
     *                                  (the message names the file and the reason)
     */
    public static MeshNode start(MeshSettings requested, MeshTuning tuning, PrometheusRegistry registry,
                                 List<Namespace<?>> namespaces) {
        Optional<ReloadingCredentials> credentials = watchTlsFiles(requested);
        try {
            return open(requested, tuning, registry, namespaces, credentials);
        } catch (RuntimeException | Error e) {
            credentials.ifPresent(ReloadingCredentials::close);
            throw e;
        }
    }

    private static Optional<ReloadingCredentials> watchTlsFiles(MeshSettings settings) {
        if (settings.tls().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ReloadingCredentials.watch(settings.tls().get()));
        } catch (TlsMaterialException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static MeshNode open(MeshSettings requested, MeshTuning tuning, PrometheusRegistry registry,
                                 List<Namespace<?>> namespaces, Optional<ReloadingCredentials> credentials) {
        MembershipSettings membership = tuning.membership();
        TransportSecurity security = credentials.map(TransportSecurity::mutualTls)
                .orElseGet(TransportSecurity::plaintext);
        MeshLoop loop = new MeshLoop("smg-mesh-loop", tuning.transport().inboxCapacity());
        // The server starts first so that port 0 can be resolved before the node advertises itself;
        // envelopes only run on the loop, which starts after the state machine exists.
        AtomicReference<SwimNode> swimRef = new AtomicReference<>();
        AtomicReference<MeshMetrics> metricsRef = new AtomicReference<>();
        // One identity per process start: a node restarted empty must not reissue its old dots.
        ReplicatedStore store = new ReplicatedStore(
                requested.serverName() + "#" + Long.toString(System.currentTimeMillis(), 36), loop, namespaces);
        Map<String, Channels.Handler> channels = new ConcurrentHashMap<>();
        AtomicReference<StoreSync> syncRef = new AtomicReference<>();
        // The transport opens nothing until its first send; it exists before the server so that the
        // server's handler can tell it who spoke (a channel backing off reconnects at once).
        PeerLinks links = new PeerLinks(address -> metricsRef.get().reconnected(address));
        GrpcTransport transport = new GrpcTransport(links, loop,
                address -> metricsRef.get().sendDropped(address), security, tuning.transport());
        MeshServer server = new MeshServer(requested.bindHost(), requested.port(), security,
                envelope -> {
                    if (envelope.hasDeltas()) {
                        return acceptDeltas(envelope, store, metricsRef.get());
                    }
                    if (envelope.hasDigest() || envelope.hasRepair()) {
                        metricsRef.get().batchReceived(envelope.getFrom(), envelope.getSerializedSize(), 0);
                        syncRef.get().receive(envelope.getFrom(), envelope);
                        return true;
                    }
                    if (envelope.hasChannel()) {
                        return acceptChannel(envelope, channels, metricsRef.get());
                    }
                    return loop.offer(() -> {
                        transport.heardFrom(envelope.getFromAddress());
                        swimRef.get().receive(envelope);
                    });
                },
                reason -> metricsRef.get().rejected(reason)).start();
        MeshSettings settings = requested.port() == 0 ? requested.withPort(server.port()) : requested;
        MeshMetrics metrics = new MeshMetrics(registry, () -> swimRef.get().view(), links, loop::dropped);
        credentials.ifPresent(metrics::tls);
        metricsRef.set(metrics);
        metrics.storeSizes(() -> storeSizes(store, namespaces), registry);
        SwimNode swim = new SwimNode(membership, settings.serverName(), settings.advertiseAddress().toString(),
                settings.seeds().stream().map(PeerAddress::toString).toList(), loop, transport,
                new SplittableRandom(), new MembershipEvents() {
                    @Override
                    public void statusChanged(Member before, Member after) {
                        metrics.statusChanged(before, after);
                        if (after.status() == MemberStatus.DOWN) {
                            transport.disconnect(after.address());
                        }
                    }

                    @Override
                    public void probed(String member, ProbeResult result) {
                        metrics.probed(member, result);
                    }

                    @Override
                    public void refuted(long incarnation) {
                        metrics.refuted(incarnation);
                    }

                    @Override
                    public void joined(String seedAddress) {
                        LOG.log(System.Logger.Level.INFO, "joined the mesh through {0}", seedAddress);
                    }
                });
        swimRef.set(swim);
        DeltaBatcher batcher = new DeltaBatcher(tuning.sync().pushBatchWrites(), batch -> pushDeltas(swim, transport, settings, batch, metrics));
        store.deltasTo(batcher::add);
        loop.onBatchEnd(batcher::flush);
        StoreSync storeSync = new StoreSync(store, new StoreSync.Network() {
            @Override
            public List<String> peers() {
                return reachablePeers(swim.view()).stream().map(Member::name).toList();
            }

            @Override
            public void send(String member, Envelope.Builder body) {
                Envelope envelope = body.setFrom(settings.serverName())
                        .setFromAddress(settings.advertiseAddress().toString()).build();
                loop.offer(() -> swim.view().member(member).ifPresent(m -> {
                    transport.send(m.address(), envelope);
                    metrics.batchSent(m.name(), envelope.getSerializedSize(), envelope.hasRepair());
                    metrics.syncSent(envelope.getSerializedSize());
                }));
            }
        }, "smg-mesh-sync", tuning.sync());
        syncRef.set(storeSync);
        loop.start();
        loop.execute(swim::start);
        MeshNode node = new MeshNode(settings, tuning, loop, transport, swim, server, store, metrics, channels, storeSync,
                credentials);
        loop.schedule(membership.reapAfter().toNanos(), node::pruneChannels);
        loop.every(tuning.sync().garbageInterval(), store::collectGarbage);
        if (!namespaces.isEmpty()) {
            loop.every(tuning.sync().antiEntropyInterval(), storeSync::round); // digests with one random peer
        }
        LOG.log(System.Logger.Level.INFO, "mesh member {0} listening on {1}:{2} ({3}), advertised as {4}, seeds {5}",
                settings.serverName(), settings.bindHost(), String.valueOf(server.port()), security.describe(),
                settings.advertiseAddress(), settings.seeds().isEmpty() ? "none" : settings.seeds());
        return node;
    }

    private static Map<String, Integer> storeSizes(ReplicatedStore store, List<Namespace<?>> namespaces) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        namespaces.forEach(ns -> sizes.put(ns.name(), store.snapshot().size(ns)));
        return sizes;
    }

    private static boolean acceptChannel(Envelope envelope, Map<String, Channels.Handler> channels,
                                         MeshMetrics metrics) {
        ChannelMessage message = envelope.getChannel();
        Channels.Handler handler = channels.get(message.getChannel());
        if (handler == null) {
            metrics.rejected("unknown channel");
            return true; // accepted by the transport, ignored: the sender runs a different version
        }
        metrics.batchReceived(envelope.getFrom(), message.getSerializedSize(), message.getOriginWallMillis());
        try {
            handler.received(envelope.getFrom(), message.getData(), message.getOriginWallMillis());
        } catch (RuntimeException e) {
            metrics.rejected("malformed channel message");
            LOG.log(System.Logger.Level.WARNING, "message on channel {0} from {1} refused: {2}",
                    message.getChannel(), envelope.getFrom(), e.getMessage());
        }
        return true;
    }

    /** Decodes on the gRPC thread (refusing malformed state), merges on the loop. */
    private static boolean acceptDeltas(Envelope envelope, ReplicatedStore store, MeshMetrics metrics) {
        metrics.batchReceived(envelope.getFrom(), envelope.getDeltas().getSerializedSize(),
                envelope.getDeltas().getOriginWallMillis());
        for (NamespaceDelta d : envelope.getDeltas().getDeltasList()) {
            try {
                if (!store.mergeRemote(d.getNamespace(), DeltaCodec.decode(d.getDelta()))) {
                    return false;
                }
            } catch (IllegalArgumentException e) {
                metrics.rejected("malformed delta");
            }
        }
        return true;
    }

    /**
     * Eager push of one loop batch's local deltas to every member that may be up (loop thread). A
     * lost push is repaired by anti-entropy.
     */
    private static void pushDeltas(SwimNode swim, GrpcTransport transport, MeshSettings settings, DeltaBatch batch,
                                   MeshMetrics metrics) {
        Envelope envelope = Envelope.newBuilder()
                .setFrom(settings.serverName()).setFromAddress(settings.advertiseAddress().toString())
                .setDeltas(batch)
                .build();
        int size = envelope.getDeltas().getSerializedSize();
        for (Member m : reachablePeers(swim.view())) {
            transport.send(m.address(), envelope);
            metrics.batchSent(m.name(), size, false);
        }
    }

    private Envelope channelEnvelope(String channel, byte[] data, long originWallMillis) {
        return Envelope.newBuilder()
                .setFrom(settings.serverName()).setFromAddress(settings.advertiseAddress().toString())
                .setChannel(ChannelMessage.newBuilder().setChannel(channel).setData(ByteString.copyFrom(data))
                        .setOriginWallMillis(originWallMillis))
                .build();
    }

    /**
     * Subscribes to a channel: messages on it from peers go to {@code handler}. One handler per
     * channel; messages on channels nobody subscribed to are counted and ignored.
     */
    @Override
    public void onChannel(String channel, Channels.Handler handler) {
        if (channels.putIfAbsent(channel, handler) != null) {
            throw new IllegalStateException("channel " + channel + " already has a handler");
        }
    }

    /**
     * Sends {@code data} on {@code channel} to every member that may be up (ALIVE or SUSPECTED).
     * Any thread; never blocks. False when the mesh loop's inbox was full (dropped, counted there).
     */
    @Override
    public boolean broadcast(String channel, byte[] data) {
        long origin = System.currentTimeMillis();
        return loop.offer(() -> {
            Envelope envelope = channelEnvelope(channel, data, origin);
            int size = envelope.getChannel().getSerializedSize();
            for (Member m : reachablePeers()) {
                transport.send(m.address(), envelope);
                metrics.batchSent(m.name(), size, false);
            }
        });
    }

    /** Sends {@code data} on {@code channel} to one member, if it is known. Any thread; never blocks. */
    @Override
    public boolean send(String member, String channel, byte[] data) {
        long origin = System.currentTimeMillis();
        return loop.offer(() -> swim.view().member(member).ifPresent(m -> {
            Envelope envelope = channelEnvelope(channel, data, origin);
            transport.send(m.address(), envelope);
            metrics.batchSent(m.name(), envelope.getChannel().getSerializedSize(), false);
        }));
    }

    /**
     * Asks {@code member} for everything this node's store lacks (a node that joined or restarted
     * empty catches up at once instead of waiting for anti-entropy to pick it). Completes once the
     * whole answer has been merged and published here.
     */
    @Override
    public CompletableFuture<Void> catchUpFrom(String member) {
        return storeSync.catchUpFrom(member);
    }

    private List<Member> reachablePeers() {
        return reachablePeers(swim.view());
    }

    private static List<Member> reachablePeers(MembershipView view) {
        return view.members().stream()
                .filter(m -> !m.name().equals(view.self().name())
                        && (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED))
                .toList();
    }

    /** The replicated store (empty when the node was started without namespaces). */
    @Override
    public ReplicatedStore store() {
        return store;
    }

    /**
     * Replaces the peers found by service discovery (any thread). New addresses are joined at once;
     * vanished ones are simply no longer contacted, and SWIM alone decides whether they are down.
     * Only the latest set matters, so it is parked here and the loop (where membership state lives)
     * picks it up; a set that could not be queued (inbox full) is applied by the next prune pass.
     */
    public void setDiscoveredPeers(Set<PeerAddress> peers) {
        discoveredPeers.set(peers.stream().map(PeerAddress::toString).collect(Collectors.toUnmodifiableSet()));
        if (!loop.offer(this::applyDiscoveredPeers)) {
            LOG.log(System.Logger.Level.WARNING,
                    "mesh loop inbox full: the discovered peers are applied at the next channel prune (within {0} s)",
                    String.valueOf(Math.max(tuning.membership().reapAfter().toSeconds(),
                            tuning.transport().channelPruneInterval().toSeconds())));
        }
    }

    private void applyDiscoveredPeers() {
        Set<String> wanted = discoveredPeers.get();
        if (!wanted.equals(swim.discoveredPeers())) {
            swim.setDiscoveredPeers(wanted);
        }
    }

    /** Channels to members that were reaped are closed, so their number stays bounded. */
    private void pruneChannels() {
        applyDiscoveredPeers();
        Set<String> keep = new HashSet<>();
        swim.view().members().forEach(m -> keep.add(m.address()));
        settings.seeds().forEach(s -> keep.add(s.toString()));
        keep.addAll(swim.discoveredPeers());
        transport.retainOnly(keep);
        loop.schedule(tuning.transport().channelPruneInterval().toNanos(), this::pruneChannels);
    }

    @Override
    public MembershipView view() {
        return swim.view();
    }

    @Override
    public String name() {
        return settings.serverName();
    }

    /** The timings and bounds this node runs with (the HA layer reads its {@code ha} part). */
    @Override
    public MeshTuning tuning() {
        return tuning;
    }

    public int port() {
        return server.port();
    }

    /** Announces LEAVING and waits (bounded) until every peer acknowledged it, then stops. */
    public void leave(Duration limit) {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> swim.leave(done::countDown));
        try {
            if (!done.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "leave announcement not confirmed within {0} ms", limit.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            loop.execute(() -> {
                swim.stop();
                transport.close();
                stopped.countDown();
            });
            stopped.await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RejectedExecutionException e) {
            // the loop is flooded; closing the server and the loop below stops it all the same
        }
        storeSync.close();
        server.close();
        loop.close();
        credentials.ifPresent(ReloadingCredentials::close);
    }
}
