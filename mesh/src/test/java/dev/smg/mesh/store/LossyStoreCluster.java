package dev.smg.mesh.store;

import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.runtime.MeshLoop;
import dev.smg.proto.mesh.DeltaBatch;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.NamespaceDelta;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Replicated stores wired together by an in-memory network that loses, duplicates, delays (and so
 * reorders) and partitions messages: the store's eager pushes and its anti-entropy, without gRPC
 * or membership, under faults a test controls.
 */
final class LossyStoreCluster implements AutoCloseable {
    final class Node {
        final String name;
        final MeshLoop loop;
        final ReplicatedStore store;
        final StoreSync sync;

        Node(String name, List<Namespace<?>> namespaces, LongSupplier wallClock) {
            this.name = name;
            this.loop = new MeshLoop("test-loop-" + name);
            this.store = new ReplicatedStore(name + "#" + incarnations.incrementAndGet(), loop, namespaces, wallClock);
            this.sync = new StoreSync(store, new StoreSync.Network() {
                @Override
                public List<String> peers() {
                    return nodes.keySet().stream().filter(n -> !n.equals(name)).toList();
                }

                @Override
                public void send(String member, Envelope.Builder body) {
                    deliver(name, member, body.setFrom(name).setFromAddress("127.0.0.1:1").build());
                }
            }, "test-sync-" + name);
            store.deltasTo((ns, delta) -> {
                @SuppressWarnings({"unchecked", "rawtypes"})
                Envelope e = Envelope.newBuilder().setFrom(name).setFromAddress("127.0.0.1:1")
                        .setDeltas(DeltaBatch.newBuilder().addDeltas(NamespaceDelta.newBuilder().setNamespace(ns)
                                .setDelta(DeltaCodec.encode((CrdtMap) delta)))).build();
                for (String peer : nodes.keySet()) {
                    if (!peer.equals(name)) {
                        deliver(name, peer, e);
                    }
                }
            });
            loop.start();
        }

        void receive(String from, Envelope e) {
            if (e.hasDeltas()) {
                for (NamespaceDelta d : e.getDeltas().getDeltasList()) {
                    store.mergeRemote(d.getNamespace(), DeltaCodec.decode(d.getDelta()));
                }
            } else {
                sync.receive(from, e);
            }
        }

        void stop() {
            sync.close();
            loop.close();
        }
    }

    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Set<String> cut = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService network = Executors.newScheduledThreadPool(2);
    private final Random random = new Random(42);
    private final AtomicInteger incarnations = new AtomicInteger();
    private final AtomicLong largestMessage = new AtomicLong();
    private final AtomicLong repairMessages = new AtomicLong();
    private volatile double loss;
    private volatile double duplication;
    private volatile int maxDelayMillis;

    Node add(String name, List<Namespace<?>> namespaces) {
        return add(name, namespaces, System::currentTimeMillis);
    }

    Node add(String name, List<Namespace<?>> namespaces, LongSupplier wallClock) {
        Node node = new Node(name, namespaces, wallClock);
        nodes.put(name, node);
        return node;
    }

    void remove(String name) {
        Node node = nodes.remove(name);
        if (node != null) {
            node.stop();
        }
    }

    void faults(double loss, double duplication, int maxDelayMillis) {
        this.loss = loss;
        this.duplication = duplication;
        this.maxDelayMillis = maxDelayMillis;
    }

    /** Cuts every link between the two groups (both directions). */
    void partition(List<String> side, List<String> other) {
        for (String a : side) {
            for (String b : other) {
                cut.add(a + ">" + b);
                cut.add(b + ">" + a);
            }
        }
    }

    void heal() {
        cut.clear();
    }

    /** Runs one anti-entropy round on every node. */
    void antiEntropy() {
        nodes.values().forEach(n -> n.sync.round());
    }

    long largestMessage() {
        return largestMessage.get();
    }

    long repairMessages() {
        return repairMessages.get();
    }

    private void deliver(String from, String to, Envelope e) {
        largestMessage.accumulateAndGet(e.getSerializedSize(), Math::max);
        if (e.hasRepair()) {
            repairMessages.incrementAndGet();
        }
        int copies;
        synchronized (random) {
            if (cut.contains(from + ">" + to) || random.nextDouble() < loss) {
                return;
            }
            copies = random.nextDouble() < duplication ? 2 : 1;
        }
        for (int i = 0; i < copies; i++) {
            int delay;
            synchronized (random) {
                delay = maxDelayMillis == 0 ? 0 : random.nextInt(maxDelayMillis + 1);
            }
            if (network.isShutdown()) {
                return; // the test is over
            }
            try {
                network.schedule(() -> {
                    Node target = nodes.get(to);
                    if (target != null) {
                        target.receive(from, e);
                    }
                }, delay, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException over) {
                return;
            }
        }
    }

    Node node(String name) {
        return nodes.get(name);
    }

    List<Node> nodes() {
        return new ArrayList<>(nodes.values());
    }

    @Override
    public void close() {
        nodes.values().forEach(Node::stop);
        network.shutdownNow();
    }
}
