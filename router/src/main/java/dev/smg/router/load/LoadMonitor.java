package dev.smg.router.load;

import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerStatus;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Polls the engines' own load reports ({@code --load-monitor-interval}, 0.5 s) for every READY
 * worker this router is assigned ({@link EngineLoadReplication#pollsHere}: all of them on its own,
 * one router per worker in a cluster), hands each result to the {@link LoadView} and to the
 * cluster. A poll that fails, times out or reads garbage changes nothing: the worker's last report
 * goes stale and routing falls back to in-flight counts. Polls run on virtual threads, at most
 * {@value #MAX_CONCURRENT_POLLS} at once, never two for one worker; the schedule itself is a
 * virtual thread too (docs/architecture.md, threads).
 */
public final class LoadMonitor implements AutoCloseable {
    static final int MAX_CONCURRENT_POLLS = 64;

    private final WorkerRegistry registry;
    private final LoadView view;
    private final EngineLoadProbe probe;
    private final Duration interval;
    private final String self;
    private final Semaphore slots = new Semaphore(MAX_CONCURRENT_POLLS);
    private final Set<String> polling = ConcurrentHashMap.newKeySet();
    private final Map<EngineLoadProbe.Outcome, LongAdder> outcomes = new EnumMap<>(EngineLoadProbe.Outcome.class);
    private final ScheduledExecutorService schedule;
    private volatile EngineLoadReplication cluster = EngineLoadReplication.NONE;

    /**
     * @param interval time between two polls of one worker; zero turns polling off
     * @param timeout  bound of one poll request (and of reading its answer)
     * @param self     this router's name, shown as the source of the reports it measured
     */
    public LoadMonitor(WorkerRegistry registry, UpstreamClient client, LoadView view, Duration interval,
                       Duration timeout, String self) {
        this.registry = registry;
        this.view = view;
        this.probe = new EngineLoadProbe(client, timeout);
        this.interval = interval;
        this.self = self;
        for (EngineLoadProbe.Outcome o : EngineLoadProbe.Outcome.values()) {
            outcomes.put(o, new LongAdder());
        }
        this.schedule = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("smg-load-monitor").factory());
        registry.onRemove(worker -> {
            probe.forget(worker.urlText());
            view.forget(worker.urlText());
        });
    }

    /** Polls only the workers the cluster assigns here, and shares what it measures (call before start). */
    public void shareThrough(EngineLoadReplication replication) {
        this.cluster = replication;
    }

    public void start() {
        if (interval.isZero()) {
            return;
        }
        long every = interval.toNanos();
        schedule.scheduleWithFixedDelay(this::round, every, every, TimeUnit.NANOSECONDS);
    }

    /** Polls of every outcome since start ({@code ok}, {@code timeout}, {@code error}, {@code malformed}, {@code unsupported}). */
    public Map<String, Long> outcomes() {
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        outcomes.forEach((o, n) -> counts.put(o.label(), n.sum()));
        return counts;
    }

    /** One round: start a poll of every assigned READY worker not already being polled. */
    void round() {
        long now = System.nanoTime();
        EngineLoadReplication assignment = cluster;
        List<Worker> workers = registry.snapshot();
        for (Worker worker : workers) {
            String url = worker.urlText();
            if (worker.status() == WorkerStatus.READY && assignment.pollsHere(url) && probe.due(url, now)
                    && polling.add(url)) {
                Thread.ofVirtual().name("smg-load-poll").start(() -> poll(worker, assignment));
            }
        }
    }

    /** Polls one worker now, on the calling thread (tests; {@link #round} runs it on a virtual thread). */
    void poll(Worker worker, EngineLoadReplication assignment) {
        String url = worker.urlText();
        try {
            slots.acquire();
            try {
                // The gateway's count around the poll: what the engine's report includes of ours. The
                // larger of before and after, so a request sent while the poll was on its way (which the
                // engine may already count) is not taken for one from elsewhere.
                int before = view.clusterInFlight(worker);
                EngineLoadProbe.Result result = probe.probe(worker, System.nanoTime());
                outcomes.get(result.outcome()).increment();
                result.load().ifPresent(load -> {
                    int atPoll = Math.max(before, view.clusterInFlight(worker));
                    view.engineMeasured(url, load, System.nanoTime(), self, atPoll);
                    assignment.measured(url, load, atPoll);
                });
            } finally {
                slots.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            polling.remove(url);
        }
    }

    @Override
    public void close() {
        schedule.shutdownNow();
    }
}
