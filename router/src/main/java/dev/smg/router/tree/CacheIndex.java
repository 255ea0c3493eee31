package dev.smg.router.tree;

import dev.smg.router.replication.TreeReplication;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * The cache-aware routing index: one {@link RadixTree} per model, written by exactly one thread.
 * Routing threads read the current trees through one volatile reference and never lock; their
 * inserts go through a bounded lock-free MPSC queue (a full queue drops the insert and counts it:
 * the cost is a less precise tree, never a blocked request). The writer applies inserts in
 * batches, keeps every tree at or under its size bound by evicting least-recently-used leaves,
 * and publishes the new trees with one volatile write per batch.
 */
public final class CacheIndex implements AutoCloseable {
    public static final int QUEUE_CAPACITY = 65_536;
    private static final System.Logger LOG = System.getLogger(CacheIndex.class.getName());

    private final MpscAtomicArrayQueue<Object> queue = new MpscAtomicArrayQueue<>(QUEUE_CAPACITY);
    private final long maxBlocksPerTree;
    private final long evictToBlocks;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong evicted = new AtomicLong();
    /** The writer thread; absent for an index whose owner applies the queue itself ({@link #drivenByCaller}). */
    private final Thread writer;
    private volatile Map<String, RadixTree> trees = Map.of();
    private volatile boolean running = true;
    /** Last stamp issued or seen: stamps follow wall time but never go backwards. */
    private final AtomicLong clock = new AtomicLong();
    private volatile TreeReplication replication = TreeReplication.NONE;

    private record RemoveTenant(String tenant) {
    }

    private record Barrier(Runnable done) {
    }

    /**
     * @param maxChars   per-model bound on stored prompt characters ({@code --max-tree-size})
     * @param blockChars characters per block
     */
    public CacheIndex(long maxChars, int blockChars) {
        this(maxChars, blockChars, true);
    }

    private CacheIndex(long maxChars, int blockChars, boolean ownWriter) {
        this.maxBlocksPerTree = Math.max(1, maxChars / blockChars);
        // Evict a little below the bound so a full tree does not evict on every insert.
        this.evictToBlocks = Math.max(1, maxBlocksPerTree - Math.max(1, maxBlocksPerTree / 10));
        this.writer = ownWriter ? Thread.ofPlatform().daemon().name("smg-cache-tree-writer").unstarted(this::run)
                : null;
        if (writer != null) {
            writer.start();
        }
    }

    /**
     * An index without a writer thread: its owner calls {@link #applyPending()} from one thread of its
     * own (the deterministic simulator does, after every simulated event), so runs can be replayed.
     */
    public static CacheIndex drivenByCaller(long maxChars, int blockChars) {
        return new CacheIndex(maxChars, blockChars, false);
    }

    /** Applies everything queued so far, on the caller's thread. Only for {@link #drivenByCaller} indexes. */
    public void applyPending() {
        if (writer != null) {
            throw new IllegalStateException("this index has a writer thread of its own");
        }
        while (!queue.isEmpty()) {
            runBatch();
        }
    }

    /** Every model's current tree (an immutable map of immutable trees). */
    public Map<String, RadixTree> trees() {
        return trees;
    }

    public RadixTree tree(String model) {
        return trees.getOrDefault(model, RadixTree.EMPTY);
    }

    public RadixTree.Match match(String model, PromptBlocks prompt, Predicate<String> usable) {
        return tree(model).match(prompt.hashes(), usable);
    }

    /**
     * Queues a local insert, stamped now; never blocks. Returns false (and counts it) when the
     * queue is full. Accepted inserts also go out through the {@link TreeReplication} port.
     */
    public boolean offer(TreeInsert insert) {
        TreeInsert stamped = insert.stamped(nextStamp());
        if (!enqueue(stamped)) {
            return false;
        }
        replication.inserted(stamped);
        return true;
    }

    /** Queues an insert that another router made (keeping its stamp); never blocks; a full queue counts a drop. */
    public boolean offerRemote(TreeInsert insert) {
        clock.accumulateAndGet(insert.stamp(), Math::max);
        return enqueue(insert);
    }

    /**
     * Like {@link #offerRemote} but a full queue is not counted as a drop: for a caller that waits
     * and tries again (restoring trees from a peer must not lose entries).
     */
    public boolean tryOfferRemote(TreeInsert insert) {
        clock.accumulateAndGet(insert.stamp(), Math::max);
        if (!queue.offer(insert)) {
            return false;
        }
        wakeWriter();
        return true;
    }

    private void wakeWriter() {
        if (writer != null) {
            LockSupport.unpark(writer);
        }
    }

    /** Whether a queue that stays full can still drain (a writer thread alive, or an owner who applies it). */
    private boolean drains() {
        return running && (writer == null || writer.isAlive());
    }

    /** Receives every accepted local insert, on the routing thread (must not block): tree replication. */
    public void replicateTo(TreeReplication port) {
        this.replication = port;
    }

    private long nextStamp() {
        long now = System.currentTimeMillis();
        return clock.accumulateAndGet(now, Math::max);
    }

    /** Forgets a worker in every model's tree (it was removed from the registry). */
    public void removeTenant(String tenant) {
        // Rare and important (a removed worker must leave the tree): wait for room, but never past
        // the writer's life.
        while (drains() && !enqueue(new RemoveTenant(tenant)) && writer != null) {
            Thread.onSpinWait();
        }
    }

    /** Runs {@code done} on the writer once everything queued before it has been applied (tests). */
    public void afterPending(Runnable done) {
        while (drains() && !enqueue(new Barrier(done)) && writer != null) {
            Thread.onSpinWait();
        }
    }

    private boolean enqueue(Object op) {
        if (!queue.offer(op)) {
            dropped.incrementAndGet();
            return false;
        }
        wakeWriter();
        return true;
    }

    public long dropped() {
        return dropped.get();
    }

    public long evicted() {
        return evicted.get();
    }

    /** Stored blocks over all models. */
    public long blocks() {
        long n = 0;
        for (RadixTree t : trees.values()) {
            n += t.blocks();
        }
        return n;
    }

    private void run() {
        while (running) {
            try {
                runBatch();
            } catch (RuntimeException e) {
                // The writer must outlive a bug in one batch: log it and carry on with the next.
                LOG.log(System.Logger.Level.ERROR, "cache tree writer batch failed", e);
            }
        }
    }

    private void runBatch() {
        Object op = queue.poll();
        if (op == null) {
            LockSupport.parkNanos(this, 50_000_000L);
            return;
        }
        Map<String, RadixTree> next = new HashMap<>(trees);
        int batch = 0;
        List<Runnable> barriers = new ArrayList<>();
        while (op != null && batch < 4096) {
            apply(next, op, barriers);
            batch++;
            op = batch < 4096 ? queue.poll() : null;
        }
        for (Map.Entry<String, RadixTree> e : next.entrySet()) {
            RadixTree t = e.getValue();
            if (t.blocks() > maxBlocksPerTree) {
                RadixTree smaller = t.evictTo(evictToBlocks);
                evicted.addAndGet(t.blocks() - smaller.blocks());
                e.setValue(smaller);
            }
        }
        trees = Map.copyOf(next);
        barriers.forEach(CacheIndex::safely);
    }

    private void apply(Map<String, RadixTree> next, Object op, List<Runnable> barriers) {
        try {
            if (op instanceof TreeInsert insert) {
                next.put(insert.model(), next.getOrDefault(insert.model(), RadixTree.EMPTY)
                        .insert(insert.blocks(), insert.tenant(), insert.stamp(), insert.origin()));
            } else if (op instanceof RemoveTenant remove) {
                next.replaceAll((model, tree) -> tree.removeTenant(remove.tenant()));
            } else if (op instanceof Barrier barrier) {
                barriers.add(barrier.done());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cache tree update failed", e);
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cache tree callback failed", e);
        }
    }

    @Override
    public void close() {
        running = false;
        wakeWriter();
    }
}
