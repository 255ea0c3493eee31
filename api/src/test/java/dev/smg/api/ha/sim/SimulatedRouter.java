package dev.smg.api.ha.sim;

import dev.smg.api.ha.HaContext;
import dev.smg.api.ha.HaNamespaces;
import dev.smg.mesh.Mesh;
import dev.smg.mesh.MeshTuning;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipEvents;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.membership.SwimNode;
import dev.smg.mesh.membership.Transport;
import dev.smg.mesh.sim.SimulatedNetwork;
import dev.smg.mesh.store.DeltaCodec;
import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.mesh.store.StoreSync;
import dev.smg.proto.mesh.ChannelMessage;
import dev.smg.proto.mesh.DeltaBatch;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.NamespaceDelta;
import dev.smg.router.breaker.BreakerSettings;
import dev.smg.router.load.LoadScore;
import dev.smg.router.load.LoadView;
import dev.smg.router.policy.AssignmentMode;
import dev.smg.router.policy.CacheAwareSettings;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.PolicySpec;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;

import com.google.protobuf.ByteString;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * One router of the HA simulation: the real HA layer ({@link HaContext#start}, the same wiring as a
 * gateway process) over the real membership state machine, replicated store and anti-entropy, with
 * the router's real registry, policies and tree index, all on one {@link SimLoop} and a
 * {@link SimulatedNetwork} instead of threads and gRPC. What a gateway process adds beyond this is
 * HTTP, gRPC framing and its threads.
 */
final class SimulatedRouter {
    /** Epoch of the simulated wall clock (stamps and incarnations must look like real ones). */
    private static final long EPOCH_MILLIS = 1_800_000_000_000L;
    static final String STICKY_MODEL = "sticky";
    static final Duration ENGINE_STALE_AFTER = Duration.ofMillis(1500);

    final String name;
    final String address;
    final SimLoop loop;
    final ReplicatedStore store;
    final SwimNode swim;
    final WorkerRegistry registry;
    final CacheIndex index;
    final PolicyFactory factory;
    final PolicyRegistry policies;
    final LoadView load;
    final HaContext ha;
    private final StoreSync sync;
    private final Transport transport;
    private final Map<String, Mesh.Handler> channels = new HashMap<>();

    /**
     * @param incarnation this start of the router (a restart gets a new store identity, as a process does)
     * @param defaultPolicy the router's {@code --policy}
     * @param rateLimit     the cluster rate limit (requests per second), 0 for none
     */
    SimulatedRouter(SimulatedNetwork network, List<Throwable> failures, String name, int incarnation,
                    List<String> seeds, String defaultPolicy, double rateLimit) {
        this.name = name;
        this.address = HaSimulation.address(name);
        this.loop = new SimLoop(network.scheduler(), failures);
        this.transport = network.transport(address);
        SplittableRandom random = new SplittableRandom(network.random().nextLong());
        this.store = new ReplicatedStore(name + "#" + incarnation, loop, HaNamespaces.ALL,
                () -> wallMillis(network));
        this.swim = new SwimNode(MeshTuning.LAN.membership(), name, address, seeds, loop, transport,
                new SplittableRandom(random.nextLong()), MembershipEvents.NONE);
        this.sync = new StoreSync(store, new StoreSync.Network() {
            @Override
            public List<String> peers() {
                return reachablePeers().stream().map(Member::name).toList();
            }

            @Override
            public void send(String member, Envelope.Builder body) {
                Envelope envelope = body.setFrom(name).setFromAddress(address).build();
                swim.view().member(member).ifPresent(m -> transport.send(m.address(), envelope));
            }
        }, loop, MeshTuning.LAN.sync(), random.nextLong());
        store.deltasTo(this::push);
        loop.every(MeshTuning.LAN.sync().antiEntropyInterval(), sync::round);
        loop.every(MeshTuning.LAN.sync().garbageInterval(), store::collectGarbage);
        network.attach(address, envelope -> loop.offer(() -> dispatch(envelope)));
        loop.execute(swim::start);

        this.registry = new WorkerRegistry(BreakerSettings.DEFAULTS, (w, from, to) -> { });
        this.index = CacheIndex.drivenByCaller(1 << 20, 16);
        loop.onBatchEnd(index::applyPending);
        this.factory = new PolicyFactory(index, CacheAwareSettings.DEFAULTS, AssignmentMode.RANDOM,
                Duration.ofHours(1));
        this.policies = new PolicyRegistry(factory.create(defaultPolicy),
                Map.of(STICKY_MODEL, factory.create("manual")));
        registry.onRemove(policies::forget);
        this.load = new LoadView(LoadScore.DEFAULTS, ENGINE_STALE_AFTER, loop::nanoTime);
        factory.balanceOn(load);
        Map<String, PolicySpec> configured = Map.of(PolicyRegistry.DEFAULT, factory.spec(defaultPolicy),
                STICKY_MODEL, factory.spec("manual"));
        this.ha = HaContext.start(new SimMesh(), loop, () -> wallMillis(network),
                new HaContext.Router(registry, index, policies, factory, configured, List.<WorkerSpec>of(), load,
                        ENGINE_STALE_AFTER),
                new HaContext.Options(rateLimit, 0, cap -> true, BreakerSettings.DEFAULTS.openTimeout(),
                        () -> !seeds.isEmpty(), true, true),
                () -> { });
    }

    private static long wallMillis(SimulatedNetwork network) {
        return EPOCH_MILLIS + network.now() / 1_000_000L;
    }

    /** What a gRPC handler and the mesh loop do with an envelope, as one loop task. */
    private void dispatch(Envelope envelope) {
        if (envelope.hasDeltas()) {
            for (NamespaceDelta d : envelope.getDeltas().getDeltasList()) {
                store.mergeRemote(d.getNamespace(), DeltaCodec.decode(d.getDelta()));
            }
        } else if (envelope.hasDigest() || envelope.hasRepair()) {
            sync.receive(envelope.getFrom(), envelope);
        } else if (envelope.hasChannel()) {
            ChannelMessage message = envelope.getChannel();
            Mesh.Handler handler = channels.get(message.getChannel());
            if (handler != null) {
                handler.received(envelope.getFrom(), message.getData(), message.getOriginWallMillis());
            }
        } else {
            swim.receive(envelope);
        }
    }

    /** The eager push of a local delta to every member that may be up (anti-entropy repairs losses). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void push(String namespace, CrdtMap<String, ?> delta) {
        Envelope envelope = Envelope.newBuilder().setFrom(name).setFromAddress(address)
                .setDeltas(DeltaBatch.newBuilder().addDeltas(NamespaceDelta.newBuilder().setNamespace(namespace)
                        .setDelta(DeltaCodec.encode((CrdtMap) delta))))
                .build();
        reachablePeers().forEach(m -> transport.send(m.address(), envelope));
    }

    private List<Member> reachablePeers() {
        MembershipView view = swim.view();
        return view.members().stream().filter(m -> !m.name().equals(name)
                && (m.status() == MemberStatus.ALIVE || m.status() == MemberStatus.SUSPECTED)).toList();
    }

    private Envelope channelEnvelope(String channel, byte[] data) {
        return Envelope.newBuilder().setFrom(name).setFromAddress(address)
                .setChannel(ChannelMessage.newBuilder().setChannel(channel).setData(ByteString.copyFrom(data)))
                .build();
    }

    /** This router as the HA layer sees the mesh. */
    private final class SimMesh implements Mesh {
        @Override
        public String name() {
            return name;
        }

        @Override
        public MeshTuning tuning() {
            return MeshTuning.LAN;
        }

        @Override
        public MembershipView view() {
            return swim.view();
        }

        @Override
        public ReplicatedStore store() {
            return store;
        }

        @Override
        public CompletableFuture<Void> catchUpFrom(String member) {
            return sync.catchUpFrom(member);
        }

        @Override
        public void onChannel(String channel, Handler handler) {
            channels.put(channel, handler);
        }

        @Override
        public boolean broadcast(String channel, byte[] data) {
            Envelope envelope = channelEnvelope(channel, data);
            reachablePeers().forEach(m -> transport.send(m.address(), envelope));
            return true;
        }

        @Override
        public boolean send(String member, String channel, byte[] data) {
            Envelope envelope = channelEnvelope(channel, data);
            swim.view().member(member).ifPresent(m -> transport.send(m.address(), envelope));
            return true;
        }
    }
}
