package dev.smg.mesh.store;

import dev.smg.mesh.crdt.CausalContext;
import dev.smg.mesh.crdt.Crdt;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.Dot;
import dev.smg.mesh.crdt.OrSet;
import dev.smg.proto.mesh.BucketList;
import dev.smg.proto.mesh.DotState;
import dev.smg.proto.mesh.Envelope;
import dev.smg.proto.mesh.NamespaceDelta;
import dev.smg.proto.mesh.NamespaceDigest;
import dev.smg.proto.mesh.StoreDigest;
import dev.smg.proto.mesh.StoreRepair;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Anti-entropy for the replicated store, independent of the transport (tests run it over a lossy,
 * reordering network in memory). Eager delta pushes reach most peers at once; this repairs what they
 * miss: lost or dropped messages, partitions, and nodes that join or restart empty.
 * <ol>
 *   <li>Every round a node sends one random peer a {@link StoreDigest}: per namespace, a hash per
 *       key bucket and the dots it knows it is missing.</li>
 *   <li>The peer answers with a {@link StoreRepair}: its entries (keys, dots, values) for every
 *       bucket that differs and for the missing dots, plus "removed" notices for missing dots it
 *       has seen removed; in chunks under {@link SyncSettings#repairChunkBytes}; and asks for the digest
 *       sender's entries of those buckets in return.</li>
 *   <li>The digest sender merges them and answers with its own entries of those buckets and notices
 *       for the peer's entries it has seen removed. Both sides now hold the union.</li>
 * </ol>
 * Every repair is a valid delta (entries with exactly their own dots as context, plus dots known
 * to be removed), so merging one is safe in any order, twice, or partially: a chunk never claims
 * to have seen what it does not carry. Work runs on one thread of its own, reading immutable store
 * snapshots; merges go through the store's single writer.
 */
public final class StoreSync implements AutoCloseable {
    /** Where the sync sends: members that may be up, and a non-blocking, possibly lossy send. */
    public interface Network {
        /** Names of the members worth talking to (ALIVE or SUSPECTED), this node excluded. */
        List<String> peers();

        /** Sends a body (the network adds the sender's identity); never blocks; may drop. */
        void send(String member, Envelope.Builder body);
    }

    private static final System.Logger LOG = System.getLogger(StoreSync.class.getName());

    private final ReplicatedStore store;
    private final Network network;
    private final SyncSettings settings;
    private final Executor worker;
    private final SplittableRandom random;
    private final Map<Long, CatchUp> catchUps = new HashMap<>(); // worker thread only
    private final AtomicLong repairsSent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong repairBytesSent = new AtomicLong();
    private final Map<String, Object> digestCache = new HashMap<>(); // namespace -> [map, buckets]

    private static final class CatchUp {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Set<Integer> chunks = new HashSet<>();
        int total = -1;
    }

    /** Sync with the default bounds ({@link SyncSettings#LAN}). */
    public StoreSync(ReplicatedStore store, Network network, String threadName) {
        this(store, network, threadName, SyncSettings.LAN);
    }

    /** @param settings chunk size, queue bound and whole-namespace threshold (its intervals are the caller's) */
    public StoreSync(ReplicatedStore store, Network network, String threadName, SyncSettings settings) {
        this.store = store;
        this.network = network;
        this.settings = settings;
        this.random = new SplittableRandom();
        // Bounded: digests and repairs beyond it are dropped (and counted); the next round repeats them.
        this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(settings.queueCapacity()),
                Thread.ofVirtual().name(threadName).factory(), (task, pool) -> dropped.incrementAndGet());
    }

    /**
     * Sync whose steps run on {@code worker}, one at a time (the deterministic simulator passes its
     * own loop), choosing peers and exchange ids from a random source seeded with {@code seed}.
     */
    public StoreSync(ReplicatedStore store, Network network, Executor worker, SyncSettings settings, long seed) {
        this.store = store;
        this.network = network;
        this.settings = settings;
        this.random = new SplittableRandom(seed);
        this.worker = worker;
    }

    /** One anti-entropy round: a digest to one random peer. Any thread. */
    public void round() {
        submit(() -> {
            List<String> peers = network.peers();
            if (!peers.isEmpty()) {
                network.send(peers.get(random.nextInt(peers.size())),
                        Envelope.newBuilder().setDigest(digest(random.nextLong())));
            }
        });
    }

    /**
     * Asks {@code member} for everything this node lacks (a joiner, or a node restarted empty). The
     * future completes once its whole answer has been merged and published here.
     */
    public CompletableFuture<Void> catchUpFrom(String member) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        submit(() -> {
            long exchange = random.nextLong();
            catchUps.clear(); // one catch-up at a time: an earlier one was given up by its caller
            CatchUp catchUp = new CatchUp();
            catchUps.put(exchange, catchUp);
            catchUp.done.whenComplete((v, e) -> result.complete(null));
            network.send(member, Envelope.newBuilder().setDigest(digest(exchange)));
        });
        return result;
    }

    /** A digest or repair from {@code from}; any thread (the work is queued). */
    public void receive(String from, Envelope envelope) {
        if (envelope.hasDigest()) {
            submit(() -> answerDigest(from, envelope.getDigest()));
        } else if (envelope.hasRepair()) {
            submit(() -> applyRepair(from, envelope.getRepair()));
        }
    }

    /** Sync steps dropped because its queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Repair answers sent, and their bytes (protobuf payload). */
    public long repairsSent() {
        return repairsSent.get();
    }

    public long repairBytesSent() {
        return repairBytesSent.get();
    }

    private void submit(Runnable task) {
        try {
            worker.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "store sync step failed: {0}", e.toString());
                }
            });
        } catch (RejectedExecutionException closed) {
            // closing
        }
    }

    // ---------------------------------------------------------------- digests

    StoreDigest digest(long exchange) {
        StoreDigest.Builder digest = StoreDigest.newBuilder().setExchange(exchange);
        store.snapshot().namespaces().forEach((name, map) -> {
            NamespaceDigest.Builder ns = NamespaceDigest.newBuilder().setNamespace(name);
            // No live entries: every bucket hash is 0, said by sending none. Most of an idle cluster's
            // namespaces are empty, and 64 hashes each, every round, were most of its idle mesh traffic.
            if (!map.keys().entries().isEmpty()) {
                for (long b : bucketsOf(name, map)) {
                    ns.addBuckets(b);
                }
            }
            for (Dot gap : StoreDigests.gaps(map)) {
                ns.addGaps(DeltaCodec.encode(gap));
            }
            digest.addNamespaces(ns);
        });
        return digest.build();
    }

    /** The snapshot's maps are immutable and replaced on change, so a digest is computed once per version. */
    private long[] bucketsOf(String name, CrdtMap<String, ?> map) {
        Object[] cached = (Object[]) digestCache.get(name);
        if (cached != null && cached[0] == map) {
            return (long[]) cached[1];
        }
        long[] buckets = StoreDigests.buckets(map);
        digestCache.put(name, new Object[] {map, buckets});
        return buckets;
    }

    // ---------------------------------------------------------------- answering a digest

    private void answerDigest(String from, StoreDigest theirs) {
        Map<String, CrdtMap<String, ?>> mine = store.snapshot().namespaces();
        Map<String, Set<Integer>> differing = new TreeMap<>();
        Map<String, Set<String>> extraKeys = new HashMap<>();
        Map<String, Set<Dot>> removed = new HashMap<>();
        for (NamespaceDigest ns : theirs.getNamespacesList()) {
            CrdtMap<String, ?> map = mine.get(ns.getNamespace());
            boolean empty = ns.getBucketsCount() == 0; // the sender holds no live entry: all its hashes are 0
            if (map == null || !empty && ns.getBucketsCount() != StoreDigests.BUCKETS) {
                continue; // a namespace this node does not have, or another digest layout: skip it
            }
            long[] buckets = bucketsOf(ns.getNamespace(), map);
            Set<Integer> diff = new TreeSet<>();
            for (int b = 0; b < StoreDigests.BUCKETS; b++) {
                if (buckets[b] != (empty ? 0 : ns.getBuckets(b))) {
                    diff.add(b);
                }
            }
            if (!diff.isEmpty()) {
                differing.put(ns.getNamespace(), diff);
            }
            for (DotState gap : ns.getGapsList()) {
                Dot dot = DeltaCodec.decode(gap);
                String holder = map.keys().holder(dot);
                if (holder != null) {
                    extraKeys.computeIfAbsent(ns.getNamespace(), k -> new HashSet<>()).add(holder);
                } else if (map.keys().context().contains(dot)) {
                    removed.computeIfAbsent(ns.getNamespace(), k -> new HashSet<>()).add(dot);
                }
            }
        }
        sendRepair(from, theirs.getExchange(), mine, differing, extraKeys, removed, true);
    }

    /**
     * Sends this node's entries of {@code buckets} (and of {@code extraKeys}) and the {@code removed}
     * notices, cut into chunks under the size bound; always at least one chunk, the last flagged.
     */
    private void sendRepair(String to, long exchange, Map<String, CrdtMap<String, ?>> mine,
                            Map<String, Set<Integer>> buckets, Map<String, Set<String>> extraKeys,
                            Map<String, Set<Dot>> removed, boolean replyWanted) {
        ChunkWriter chunks = new ChunkWriter(to, exchange, replyWanted);
        Set<String> namespaces = new TreeSet<>(buckets.keySet());
        namespaces.addAll(extraKeys.keySet());
        namespaces.addAll(removed.keySet());
        for (String ns : namespaces) {
            CrdtMap<String, ?> map = mine.get(ns);
            if (map == null) {
                continue;
            }
            if (map.keys().entries().size() <= settings.wholeNamespaceKeys() && chunks.whole(ns, map)) {
                continue;
            }
            Map<Integer, List<String>> byBucket = new TreeMap<>();
            Set<Integer> wanted = buckets.getOrDefault(ns, Set.of());
            wanted.forEach(b -> byBucket.put(b, new ArrayList<>()));
            for (String key : map.keys().elements()) {
                int b = StoreDigests.bucketOf(key);
                if (wanted.contains(b)) {
                    byBucket.get(b).add(key);
                }
            }
            Set<String> extra = new HashSet<>(extraKeys.getOrDefault(ns, Set.of()));
            for (Map.Entry<Integer, List<String>> bucket : byBucket.entrySet()) {
                for (String key : bucket.getValue()) {
                    extra.remove(key);
                    chunks.add(ns, map, key);
                }
                chunks.bucketDone(ns, bucket.getKey());
            }
            for (String key : extra) {
                chunks.add(ns, map, key);
            }
            chunks.removed(ns, removed.getOrDefault(ns, Set.of()));
        }
        chunks.finish();
    }

    /** Accumulates entries into chunks of at most {@link SyncSettings#repairChunkBytes} and sends them. */
    private final class ChunkWriter {
        private final String to;
        private final long exchange;
        private final boolean replyWanted;
        private final Map<String, Map<String, Set<Dot>>> entries = new LinkedHashMap<>();
        private final Map<String, Map<String, Object>> values = new HashMap<>();
        private final Map<String, Set<Dot>> notices = new HashMap<>();
        private final Map<String, List<Integer>> complete = new LinkedHashMap<>();
        /** Namespaces sent whole in the current chunk: their full causal context goes with them. */
        private final Map<String, CausalContext> wholeContexts = new HashMap<>();
        private int bytes;
        private int chunk;

        ChunkWriter(String to, long exchange, boolean replyWanted) {
            this.to = to;
            this.exchange = exchange;
            this.replyWanted = replyWanted;
        }

        void add(String ns, CrdtMap<String, ?> map, String key) {
            Set<Dot> dots = map.keys().entries().get(key);
            if (dots == null) {
                return;
            }
            Object value = map.values().get(key);
            int size = size(map, key);
            if (bytes + size > settings.repairChunkBytes() && bytes > 0) {
                flush(false);
            }
            entries.computeIfAbsent(ns, n -> new LinkedHashMap<>()).put(key, dots);
            if (value != null) {
                values.computeIfAbsent(ns, n -> new HashMap<>()).put(key, value);
            }
            bytes += size;
        }

        /**
         * Sends a whole (small) namespace in one chunk with its full causal context: a complete
         * state, always safe to merge, and it tells the receiver of every removal at once, so a
         * replica that caught up this way has no holes in its context.
         */
        boolean whole(String ns, CrdtMap<String, ?> map) {
            int total = 0;
            for (String key : map.keys().elements()) {
                total += size(map, key);
            }
            if (total > settings.repairChunkBytes() - SyncSettings.WHOLE_NAMESPACE_SPARE_BYTES) {
                return false; // it would span chunks, and a full context must travel with every entry
            }
            if (bytes > 0) {
                flush(false);
            }
            for (String key : map.keys().elements()) {
                add(ns, map, key);
            }
            wholeContexts.put(ns, map.keys().context());
            for (int b = 0; b < StoreDigests.BUCKETS; b++) {
                bucketDone(ns, b);
            }
            flush(false);
            return true;
        }

        private int size(CrdtMap<String, ?> map, String key) {
            Set<Dot> dots = map.keys().entries().get(key);
            Object value = map.values().get(key);
            return key.length() * 2 + 24 * (dots == null ? 0 : dots.size()) + 16
                    + (value == null ? 0 : DeltaCodec.encodeValue(value).getSerializedSize());
        }

        void bucketDone(String ns, int bucket) {
            complete.computeIfAbsent(ns, n -> new ArrayList<>()).add(bucket);
        }

        void removed(String ns, Set<Dot> dots) {
            if (!dots.isEmpty()) {
                notices.computeIfAbsent(ns, n -> new HashSet<>()).addAll(dots);
                bytes += 24 * dots.size();
            }
        }

        void finish() {
            flush(true);
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private void flush(boolean last) {
            StoreRepair.Builder repair = StoreRepair.newBuilder().setExchange(exchange).setChunk(chunk++)
                    .setLast(last).setReplyWanted(replyWanted);
            Set<String> names = new TreeSet<>(entries.keySet());
            names.addAll(notices.keySet());
            for (String ns : names) {
                Map<String, Set<Dot>> es = entries.getOrDefault(ns, Map.of());
                CausalContext ctx = wholeContexts.get(ns);
                if (ctx == null) {
                    List<Dot> dots = new ArrayList<>(notices.getOrDefault(ns, Set.of()));
                    es.values().forEach(dots::addAll);
                    ctx = CausalContext.of(dots);
                }
                CrdtMap delta = new CrdtMap(new OrSet<>(es, ctx), (Map) values.getOrDefault(ns, Map.of()));
                repair.addDeltas(NamespaceDelta.newBuilder().setNamespace(ns).setDelta(DeltaCodec.encode(delta)));
            }
            complete.forEach((ns, list) -> repair.addComplete(BucketList.newBuilder().setNamespace(ns)
                    .addAllBuckets(list.stream().map(Integer::longValue).map(Long::intValue).toList())));
            StoreRepair built = repair.build();
            if (!names.isEmpty()) {
                repairsSent.incrementAndGet();
            }
            repairBytesSent.addAndGet(built.getSerializedSize());
            network.send(to, Envelope.newBuilder().setRepair(built));
            entries.clear();
            values.clear();
            notices.clear();
            complete.clear();
            wholeContexts.clear();
            bytes = 0;
        }
    }

    // ---------------------------------------------------------------- applying a repair

    private void applyRepair(String from, StoreRepair repair) {
        Map<String, CrdtMap<String, ?>> before = store.snapshot().namespaces();
        Map<String, Set<Dot>> notices = new HashMap<>();
        boolean complete = true;
        for (NamespaceDelta d : repair.getDeltasList()) {
            CrdtMap<String, ?> delta;
            try {
                delta = DeltaCodec.decode(d.getDelta());
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "malformed repair from {0}: {1}", from, e.getMessage());
                continue;
            }
            if (!store.mergeRemote(d.getNamespace(), delta)) {
                complete = false; // the store's inbox was full: this chunk did not land
            }
            CrdtMap<String, ?> mine = before.get(d.getNamespace());
            if (repair.getReplyWanted() && mine != null) {
                // Their entries this node has seen removed: tell them, or they keep them forever.
                delta.keys().entries().forEach((key, dots) -> {
                    Set<Dot> live = mine.keys().entries().getOrDefault(key, Set.of());
                    for (Dot dot : dots) {
                        if (!live.contains(dot) && mine.keys().context().contains(dot)) {
                            notices.computeIfAbsent(d.getNamespace(), k -> new HashSet<>()).add(dot);
                        }
                    }
                });
            }
        }
        if (repair.getReplyWanted()) {
            Map<String, Set<Integer>> buckets = new HashMap<>();
            for (BucketList list : repair.getCompleteList()) {
                buckets.computeIfAbsent(list.getNamespace(), k -> new TreeSet<>()).addAll(list.getBucketsList());
            }
            if (!buckets.isEmpty() || !notices.isEmpty()) {
                sendRepair(from, repair.getExchange(), before, buckets, Map.of(), notices, false);
            }
        }
        CatchUp catchUp = catchUps.get(repair.getExchange());
        if (catchUp != null && complete) {
            catchUp.chunks.add(repair.getChunk());
            if (repair.getLast()) {
                catchUp.total = repair.getChunk() + 1;
            }
            if (catchUp.total > 0 && catchUp.chunks.size() >= catchUp.total) {
                catchUps.remove(repair.getExchange());
                store.afterPending(() -> catchUp.done.complete(null));
            }
        }
    }

    @Override
    public void close() {
        if (worker instanceof ExecutorService service) {
            service.shutdownNow();
        }
        catchUps.values().forEach(c -> c.done.complete(null));
    }
}
