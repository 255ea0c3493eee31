package dev.smg.mesh.runtime;

import dev.smg.mesh.transport.TransportSettings;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

import java.util.PriorityQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The mesh's single writer: one platform thread that runs every membership (and, later, replicated
 * state) operation. Other threads only {@link #execute} tasks, which go through a lock-free MPSC
 * queue (JCTools' atomic variant, which does not use {@code sun.misc.Unsafe}); timers live in a
 * heap owned by the loop thread, so the state they touch needs no locks.
 */
public final class MeshLoop implements Loop, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MeshLoop.class.getName());

    private record Timer(long at, long order, Runnable task, boolean[] cancelled) {
    }

    /** Bounded: a flood of messages is dropped (and counted), never an OutOfMemoryError. */
    private final MpscAtomicArrayQueue<Runnable> inbox;
    private final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private final Thread thread;
    private final java.util.List<Runnable> batchEndHooks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private long order;
    private volatile boolean running = true;

    /** A loop whose inbox has the default capacity ({@link TransportSettings#LAN}). */
    public MeshLoop(String name) {
        this(name, TransportSettings.LAN.inboxCapacity());
    }

    /** @param inboxCapacity tasks that may wait; beyond it {@link #offer} drops and counts */
    public MeshLoop(String name, int inboxCapacity) {
        inbox = new MpscAtomicArrayQueue<>(inboxCapacity);
        thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    /** Runs {@code task} on the loop thread (from any thread); refuses when the inbox is full. */
    @Override
    public void execute(Runnable task) {
        if (!offer(task)) {
            throw new java.util.concurrent.RejectedExecutionException("mesh loop inbox is full");
        }
    }

    /** Queues {@code task}; when the inbox is full it is dropped, counted, and false is returned. */
    @Override
    public boolean offer(Runnable task) {
        if (!inbox.offer(task)) {
            dropped.incrementAndGet();
            return false;
        }
        LockSupport.unpark(thread);
        return true;
    }

    /** Tasks dropped because the inbox was full. */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Runs {@code hook} on the loop after each batch of inbox tasks and due timers: the replicated
     * store publishes its snapshot there, once per batch rather than once per write.
     */
    @Override
    public void onBatchEnd(Runnable hook) {
        batchEndHooks.add(hook);
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    /** Loop thread only: the state machine schedules its own timers. */
    @Override
    public Cancellable schedule(long delayNanos, Runnable task) {
        boolean[] cancelled = new boolean[1];
        if (inLoop()) {
            timers.add(new Timer(System.nanoTime() + delayNanos, order++, task, cancelled));
        } else {
            long at = System.nanoTime() + delayNanos;
            execute(() -> timers.add(new Timer(at, order++, task, cancelled)));
        }
        return () -> cancelled[0] = true;
    }

    /**
     * Runs one batch (queued tasks, due timers, batch-end hooks) on the calling thread, for a
     * benchmark or simulator that drives a loop it never started: the caller is then the single
     * writer. Refused on a started loop, which would get a second writer.
     */
    public void runBatch() {
        if (thread.isAlive()) {
            throw new IllegalStateException("the loop thread is running: it is the only writer");
        }
        batch();
    }

    private void batch() {
        Runnable task;
        while ((task = inbox.poll()) != null) {
            safely(task);
        }
        long now = System.nanoTime();
        while (!timers.isEmpty() && timers.peek().at <= now) {
            Timer timer = timers.poll();
            if (!timer.cancelled[0]) {
                safely(timer.task);
            }
        }
        for (Runnable hook : batchEndHooks) {
            safely(hook);
        }
    }

    private void run() {
        while (running) {
            batch();
            if (inbox.isEmpty()) {
                long wait = timers.isEmpty() ? 100_000_000L : Math.max(0, timers.peek().at - System.nanoTime());
                if (wait > 0) {
                    LockSupport.parkNanos(this, Math.min(wait, 100_000_000L));
                }
            }
        }
    }

    private static void safely(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            // One bad message or bug must not stop membership for everyone.
            LOG.log(System.Logger.Level.ERROR, "mesh loop task failed", e);
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
    }
}
