package dev.smg.api.mock.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated engine: a thread that owns a {@link Scheduler} and runs it in real time. HTTP
 * threads {@link #submit} requests into an inbox and wait on their {@link Generation}; the engine
 * thread drains the inbox, runs a step, waits out the step's modelled duration, and only then hands
 * the step's tokens to their requests. With nothing to do it blocks on the inbox.
 *
 * <p>Requests accepted and not yet admitted (inbox plus waiting queue) are capped at
 * {@link EngineSettings#maxWaiting()}; past that {@link #submit} refuses and counts the refusal.
 */
public final class RealisticEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RealisticEngine.class.getName());

    /** Waits out one step's duration; tests plug in one that does not sleep. */
    @FunctionalInterface
    public interface Pacer {
        void pace(long nanos) throws InterruptedException;
    }

    private final EngineSettings settings;
    private final Scheduler scheduler;
    private final Pacer pacer;
    private final LinkedBlockingQueue<Generation> inbox = new LinkedBlockingQueue<>();
    /** Accepted and not yet admitted or dropped: inbox plus waiting queue. Bounds both. */
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicInteger cancellations = new AtomicInteger();
    private final Thread thread;
    private volatile boolean stopped;
    private volatile LoadSnapshot published;

    private RealisticEngine(String name, EngineSettings settings, Pacer pacer) {
        this.settings = settings;
        this.scheduler = new Scheduler(settings);
        this.pacer = pacer;
        this.published = scheduler.snapshot();
        this.thread = Thread.ofPlatform().daemon().name("mock-engine-" + name).unstarted(this::run);
    }

    /** Starts an engine that advances in real time. */
    public static RealisticEngine start(String name, EngineSettings settings) {
        return start(name, settings, new RealTimePacer());
    }

    public static RealisticEngine start(String name, EngineSettings settings, Pacer pacer) {
        RealisticEngine engine = new RealisticEngine(name, settings, pacer);
        engine.thread.start();
        return engine;
    }

    /** Names the engine thread after its worker, once the worker's port is known. */
    public void rename(String name) {
        thread.setName("mock-engine-" + name);
    }

    public EngineSettings settings() {
        return settings;
    }

    /** Accepts a request; false (and counted) when the waiting queue is full or the engine stopped. */
    public boolean submit(Generation generation) {
        while (true) {
            int now = pending.get();
            if (stopped || now >= settings.maxWaiting()) {
                rejected.incrementAndGet();
                return false;
            }
            if (pending.compareAndSet(now, now + 1)) {
                break;
            }
        }
        inbox.add(generation);
        if (stopped) {
            dropInbox(); // the engine thread may already have drained the inbox for the last time
        }
        return true;
    }

    /** The request's client went away: the engine drops it at its next step. */
    public void cancel(Generation generation) {
        generation.cancel();
        cancellations.incrementAndGet();
    }

    /** The load as of the last step, with the live waiting count. */
    public LoadSnapshot loads() {
        return published.withQueue(pending.get(), rejected.get());
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dropInbox();
    }

    private void run() {
        int seenCancellations = cancellations.get();
        List<Generation> dropped = new ArrayList<>();
        try {
            while (!stopped) {
                if (scheduler.idle() && inbox.isEmpty()) {
                    published = scheduler.snapshot();
                    scheduler.enqueue(inbox.take()); // idle: block until there is work
                }
                for (Generation g = inbox.poll(); g != null; g = inbox.poll()) {
                    scheduler.enqueue(g);
                }
                dropped.clear();
                int leftWaiting = 0;
                int cancelled = cancellations.get();
                if (cancelled != seenCancellations) {
                    seenCancellations = cancelled;
                    leftWaiting += scheduler.sweepCancelledWaiting(dropped);
                }
                Scheduler.StepResult step = scheduler.step();
                leftWaiting += step.leftWaiting();
                pending.addAndGet(-leftWaiting);
                dropped.addAll(step.dropped());
                dropped.forEach(Generation::drop);
                if (!step.idle()) {
                    pacer.pace(step.nanos());
                    for (Scheduler.Emission e : step.emissions()) {
                        e.generation().publish(e.cachedTokens(), e.tokens(), e.finished());
                    }
                }
                published = scheduler.snapshot();
            }
        } catch (InterruptedException e) {
            // close(): stop stepping
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "mock engine failed; dropping every request", e);
            stopped = true;
        } finally {
            scheduler.clear().forEach(Generation::drop);
            dropInbox();
            published = scheduler.snapshot();
        }
    }

    private void dropInbox() {
        for (Generation g = inbox.poll(); g != null; g = inbox.poll()) {
            g.drop();
        }
    }

    /**
     * Sleeps to a running deadline, so that sleep overshoot does not add up over many short steps;
     * after a stall (or idle time) it starts afresh instead of racing to catch up.
     */
    static final class RealTimePacer implements Pacer {
        private long deadline = System.nanoTime();

        @Override
        public void pace(long nanos) throws InterruptedException {
            long now = System.nanoTime();
            if (deadline - now < -nanos) {
                deadline = now;
            }
            deadline += nanos;
            long wait = deadline - now;
            if (wait > 0) {
                Thread.sleep(Duration.ofNanos(wait)); // modelled step time, not a wait for a condition
            }
        }
    }
}
