package dev.smg.api.mock.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The continuous-batching scheduler as a pure step function: {@link #step()} advances the engine by
 * one scheduler iteration and says how long that iteration takes, without sleeping or reading a
 * clock, so its maths is testable directly. {@link RealisticEngine} drives it in real time.
 *
 * <p>One step: drop requests whose client went away; admit waiting requests FIFO while the batch
 * has room and their uncached tokens fit in free KV (or nothing runs); spread the prefill chunk over
 * running requests in admission order; every running request with its prefill done emits one token
 * and finishes at its output length; evict prefix-cache blocks past the high watermark; cost the step
 * with {@link EngineSettings#stepNanos}.
 *
 * <p>Free KV is the capacity minus what running requests hold (their pinned blocks, prompt tails and
 * output). Cached blocks that nobody pins count as used KV in the load report but are reclaimable:
 * admitting a request evicts as many of them as it needs, least recently used first, as a radix
 * cache does. Without that, a KV smaller than the working set would throttle admission with its
 * own cache.
 *
 * <p>Not thread-safe: owned by one thread.
 */
public final class Scheduler {
    static final double GEN_THROUGHPUT_ALPHA = 0.3;
    static final double CACHE_HIT_ALPHA = 0.2;

    /** One request inside the engine. */
    private static final class Sequence {
        final Generation generation;
        final long[] keys;
        final int uncachedAtEnqueue;
        /** The prefix-cache blocks this request pins while it runs. */
        PrefixCache.Block[] pinned = new PrefixCache.Block[0];
        int cached;
        int prefillLeft;
        int generated;
        /** KV tokens this request holds outside the prefix cache. */
        int privateTokens;

        Sequence(Generation generation, long[] keys, int uncachedAtEnqueue) {
            this.generation = generation;
            this.keys = keys;
            this.uncachedAtEnqueue = uncachedAtEnqueue;
        }
    }

    /** Tokens a request has after a step; {@code finished} on its last one. */
    public record Emission(Generation generation, int cachedTokens, int tokens, boolean finished) {
    }

    /**
     * What one step did.
     *
     * @param nanos         how long the step takes (0 when there was nothing to do)
     * @param prefillTokens prompt tokens prefilled
     * @param decoding      requests that emitted a token
     * @param emissions     progress to hand to requests once the step's time has passed
     * @param dropped       requests dropped because their client went away
     * @param leftWaiting   requests that left the waiting queue (admitted or dropped)
     */
    public record StepResult(long nanos, int prefillTokens, int decoding, List<Emission> emissions,
                             List<Generation> dropped, int leftWaiting) {
        public boolean idle() {
            return nanos == 0;
        }
    }

    private final EngineSettings settings;
    private final PrefixCache cache;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    /** Sum of {@link Sequence#privateTokens} over running requests. */
    private long privateTokens;
    private long waitingUncached;
    private double genThroughput;
    private double cacheHitRate;
    private long finished;
    private long droppedTotal;

    public Scheduler(EngineSettings settings) {
        this.settings = settings;
        this.cache = new PrefixCache(settings.blockSize());
    }

    /** Queues a request; its cached prefix is looked up now for the waiting-token count. */
    public void enqueue(Generation generation) {
        long[] keys = settings.prefixCache()
                ? PrefixCache.blockKeys(generation.promptTokens(), settings.blockSize()) : new long[0];
        int cached = cache.leadingHits(keys) * settings.blockSize();
        Sequence seq = new Sequence(generation, keys, generation.promptLength() - cached);
        waiting.addLast(seq);
        waitingUncached += seq.uncachedAtEnqueue;
    }

    /** Nothing waiting and nothing running: the engine may block until a request arrives. */
    public boolean idle() {
        return waiting.isEmpty() && running.isEmpty();
    }

    /** Advances one step; see the class comment. */
    public StepResult step() {
        List<Generation> dropped = new ArrayList<>();
        int leftWaiting = dropCancelled(dropped);
        leftWaiting += admit();
        if (running.isEmpty()) {
            return new StepResult(0, 0, 0, List.of(), dropped, leftWaiting);
        }

        int budget = settings.prefillChunk();
        for (Sequence seq : running) {
            if (budget == 0) {
                break;
            }
            int take = Math.min(budget, seq.prefillLeft);
            seq.prefillLeft -= take;
            budget -= take;
        }
        int prefilled = settings.prefillChunk() - budget;

        List<Emission> emissions = new ArrayList<>();
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence seq = it.next();
            if (seq.prefillLeft > 0) {
                continue;
            }
            seq.generated++;
            seq.privateTokens++;
            privateTokens++;
            boolean done = seq.generated >= seq.generation.outputTokens();
            emissions.add(new Emission(seq.generation, seq.cached, seq.generated, done));
            if (done) {
                release(seq);
                it.remove();
                finished++;
            }
        }

        evictIfNeeded();
        long nanos = settings.stepNanos(prefilled, emissions.size());
        double sample = emissions.size() / (nanos / 1e9);
        genThroughput = GEN_THROUGHPUT_ALPHA * sample + (1 - GEN_THROUGHPUT_ALPHA) * genThroughput;
        return new StepResult(nanos, prefilled, emissions.size(), emissions, dropped, leftWaiting);
    }

    /** Drops waiting requests whose client went away; returns how many (they left the waiting queue). */
    public int sweepCancelledWaiting(List<Generation> dropped) {
        int count = 0;
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence seq = it.next();
            if (seq.generation.cancelled()) {
                it.remove();
                waitingUncached -= seq.uncachedAtEnqueue;
                dropped.add(seq.generation);
                droppedTotal++;
                count++;
            }
        }
        return count;
    }

    /** Removes every request (engine stopping) and returns them. */
    public List<Generation> clear() {
        List<Generation> all = new ArrayList<>();
        for (Sequence seq : running) {
            release(seq);
            all.add(seq.generation);
        }
        running.clear();
        waiting.forEach(seq -> all.add(seq.generation));
        waiting.clear();
        waitingUncached = 0;
        return all;
    }

    public LoadSnapshot snapshot() {
        return new LoadSnapshot(running.size(), waiting.size(), waitingUncached, usedTokens(), settings.kvTokens(),
                running.isEmpty() ? 0.0 : genThroughput, cacheHitRate, settings.maxRunning(), finished,
                droppedTotal, 0);
    }

    /** KV in use: cached blocks plus the tokens running requests hold outside them. */
    public long usedTokens() {
        return cache.tokens() + privateTokens;
    }

    public PrefixCache cache() {
        return cache;
    }

    /** Drops cancelled running requests and cancelled requests at the head of the queue. */
    private int dropCancelled(List<Generation> dropped) {
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence seq = it.next();
            if (seq.generation.cancelled()) {
                release(seq);
                it.remove();
                dropped.add(seq.generation);
                droppedTotal++;
            }
        }
        int left = 0;
        while (!waiting.isEmpty() && waiting.peekFirst().generation.cancelled()) {
            Sequence seq = waiting.pollFirst();
            waitingUncached -= seq.uncachedAtEnqueue;
            dropped.add(seq.generation);
            droppedTotal++;
            left++;
        }
        return left;
    }

    /** Admits waiting requests FIFO; returns how many. */
    private int admit() {
        int admitted = 0;
        while (!waiting.isEmpty() && running.size() < settings.maxRunning()) {
            Sequence seq = waiting.peekFirst();
            int prompt = seq.generation.promptLength();
            // The cache may have changed since enqueue: match again now.
            int hits = cache.leadingHits(seq.keys);
            int cached = hits * settings.blockSize();
            int uncached = prompt - cached;
            // Running requests hold the used KV except unpinned cached blocks; this request's
            // matched blocks become held too.
            long held = usedTokens() - cache.evictableTokens();
            long claim = uncached + cache.unpinnedTokens(seq.keys, hits);
            if (!running.isEmpty() && claim > settings.kvTokens() - held) {
                break; // the head does not fit; FIFO: nobody overtakes it
            }
            waiting.pollFirst();
            waitingUncached -= seq.uncachedAtEnqueue;
            if (settings.prefixCache()) {
                seq.pinned = cache.pin(seq.keys);
            }
            seq.cached = cached;
            seq.prefillLeft = uncached;
            seq.privateTokens = prompt - seq.keys.length * settings.blockSize();
            privateTokens += seq.privateTokens;
            if (settings.prefixCache() && usedTokens() > settings.kvTokens()) {
                cache.evictDownTo(settings.kvTokens(), privateTokens); // make room on demand
            }
            if (prompt > 0) {
                cacheHitRate = CACHE_HIT_ALPHA * cached / prompt + (1 - CACHE_HIT_ALPHA) * cacheHitRate;
            }
            running.add(seq);
            admitted++;
        }
        return admitted;
    }

    private void release(Sequence seq) {
        cache.unpin(seq.pinned);
        seq.pinned = new PrefixCache.Block[0];
        privateTokens -= seq.privateTokens;
        seq.privateTokens = 0;
    }

    private void evictIfNeeded() {
        if (settings.prefixCache() && usedTokens() > EngineSettings.HIGH_WATERMARK * settings.kvTokens()) {
            cache.evictDownTo((long) (EngineSettings.LOW_WATERMARK * settings.kvTokens()), privateTokens);
        }
    }
}
