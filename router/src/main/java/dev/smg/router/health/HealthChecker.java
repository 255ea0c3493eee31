package dev.smg.router.health;

import dev.smg.router.metrics.RouterMetrics;
import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.proxy.UpstreamFailure;
import dev.smg.router.proxy.UpstreamResponse;
import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerStatus;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Probes every worker's health endpoint on its own schedule and drives the workers' state machines.
 * A PENDING worker is probed at once (registration), then every {@code pendingInterval} until it
 * answers; READY and NOT_READY workers every {@code interval}. Failed workers keep being probed
 * (upstream gave up on them for good). At most {@value #MAX_CONCURRENT_PROBES} probes run at once.
 */
public final class HealthChecker implements AutoCloseable {
    static final int MAX_CONCURRENT_PROBES = 128;
    private static final System.Logger LOG = System.getLogger(HealthChecker.class.getName());

    private final WorkerRegistry registry;
    private final UpstreamClient client;
    private final HealthSettings settings;
    private final RouterMetrics metrics;
    private final Semaphore probeSlots = new Semaphore(MAX_CONCURRENT_PROBES);
    private final Map<String, Long> nextProbeNanos = new ConcurrentHashMap<>();
    private final Set<String> probing = ConcurrentHashMap.newKeySet();
    private final Thread loop;
    private volatile boolean running = true;

    public HealthChecker(WorkerRegistry registry, UpstreamClient client, HealthSettings settings,
                         RouterMetrics metrics) {
        this.registry = registry;
        this.client = client;
        this.settings = settings;
        this.metrics = metrics;
        this.loop = Thread.ofPlatform().daemon().name("smg-health").unstarted(this::run);
        registry.onAdd(this::register);
    }

    public void start() {
        loop.start();
    }

    private void register(Worker worker) {
        if (!settings.enabled()) {
            worker.activate(List.of());
            return;
        }
        nextProbeNanos.put(worker.id(), System.nanoTime());
        probeAsync(worker);
    }

    private void run() {
        long tickNanos = Math.max(20_000_000L, Math.min(settings.pendingInterval().toNanos() / 4, 250_000_000L));
        while (running) {
            try {
                Thread.sleep(tickNanos / 1_000_000L); // the scheduler's tick, not a wait for a condition
            } catch (InterruptedException e) {
                return;
            }
            if (!settings.enabled()) {
                continue;
            }
            long now = System.nanoTime();
            List<Worker> workers = registry.snapshot();
            for (Worker worker : workers) {
                if (worker.status() == WorkerStatus.DRAINING) {
                    continue;
                }
                Long due = nextProbeNanos.get(worker.id());
                if (due == null || now - due >= 0) {
                    probeAsync(worker);
                }
            }
            nextProbeNanos.keySet().removeIf(id -> workers.stream().noneMatch(w -> w.id().equals(id)));
        }
    }

    private void probeAsync(Worker worker) {
        if (!probing.add(worker.id())) {
            return; // the previous probe of this worker is still running
        }
        long interval = (worker.status() == WorkerStatus.PENDING ? settings.pendingInterval() : settings.interval())
                .toNanos();
        nextProbeNanos.put(worker.id(), System.nanoTime() + interval);
        Thread.ofVirtual().name("smg-probe-" + worker.url()).start(() -> {
            try {
                probeSlots.acquire();
                try {
                    probe(worker);
                } finally {
                    probeSlots.release();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                probing.remove(worker.id());
            }
        });
    }

    /** One probe; a PENDING worker that passes also has its models discovered, then takes traffic. */
    void probe(Worker worker) {
        boolean healthy = isHealthy(worker);
        metrics.healthCheck(healthy);
        if (worker.status() == WorkerStatus.PENDING) {
            if (healthy) {
                List<String> models = worker.spec().models().isEmpty() ? ModelDiscovery.discover(client, worker,
                        settings.timeout()) : List.of();
                worker.activate(models);
                LOG.log(System.Logger.Level.INFO, "worker {0} is ready (models: {1})", worker,
                        worker.models().isEmpty() ? "any" : String.join(", ", worker.models()));
            }
            return;
        }
        Worker.StatusChange change = worker.recordProbe(healthy, settings.failureThreshold(),
                settings.successThreshold());
        if (change.changed()) {
            registry.healthChanged(worker, change);
            LOG.log(change.after() == WorkerStatus.READY ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                    "worker {0}: {1} -> {2}", worker, change.before().wireName(), change.after().wireName());
        }
    }

    private boolean isHealthy(Worker worker) {
        try (UpstreamResponse response = client.get(worker.url().resolve(settings.endpoint()), worker.apiKey(),
                settings.timeout())) {
            response.body().readAllBytes();
            return response.status() >= 200 && response.status() < 300;
        } catch (UpstreamFailure | IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "health probe of {0} failed: {1}", worker, e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        running = false;
        loop.interrupt();
    }
}
