package dev.smg.api.discovery;

import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerRemoval;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerStatus;
import dev.smg.router.worker.WorkerUrl;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Brings the registry to the desired set of discovered workers, touching only the workers discovery
 * added: those whose spec carries the {@link WorkerPods#POD_LABEL} label. A worker from
 * {@code --worker-urls} or {@code POST /workers} is never removed, even when a pod with its URL
 * comes and goes. The ownership is in the spec, not in this object, because specs are replicated:
 * a router that becomes the mesh's leader (and the watcher) knows which of the cluster's workers
 * discovery owns, and after its first list it changes only what differs. Level-triggered: each
 * call compares the whole desired set with the registry, so a missed event leaves nothing stale.
 *
 * <p>A worker no longer desired is removed the way {@code DELETE /workers/{id}} removes one (no new
 * requests; gone when its in-flight requests have finished). If its URL is desired again while it
 * drains (a pod recreated on the same IP), it is added back once the drain is over.
 */
public final class WorkerReconciler {
    private static final System.Logger LOG = System.getLogger(WorkerReconciler.class.getName());

    private final WorkerRegistry registry;
    private final WorkerRemoval removal;
    private Map<WorkerUrl, WorkerSpec> desired = Map.of();
    /** Once stopped (this router no longer watches), a drain finishing later reconciles nothing. */
    private boolean stopped;

    public WorkerReconciler(WorkerRegistry registry, WorkerRemoval removal) {
        this.registry = registry;
        this.removal = removal;
    }

    /** Makes {@code next} the desired set and reconciles. */
    public synchronized void apply(Map<WorkerUrl, WorkerSpec> next) {
        desired = Map.copyOf(next);
        reconcile();
    }

    /** Stops reconciling: another router's watch (or none) owns the workers from now on. */
    public synchronized void stop() {
        stopped = true;
    }

    /** URLs of the registered workers discovery added and is not removing. */
    public Set<WorkerUrl> owned() {
        return owned(registry);
    }

    /** The discovered workers of {@code registry} that are not draining. */
    public static Set<WorkerUrl> owned(WorkerRegistry registry) {
        Set<WorkerUrl> owned = new HashSet<>();
        for (Worker worker : registry.snapshot()) {
            if (worker.spec().labels().containsKey(WorkerPods.POD_LABEL) && worker.status() != WorkerStatus.DRAINING) {
                owned.add(worker.url());
            }
        }
        return owned;
    }

    private synchronized void reconcile() {
        if (stopped) {
            return;
        }
        for (WorkerUrl url : owned()) {
            if (desired.containsKey(url)) {
                continue;
            }
            Optional<Worker> worker = registry.find(url);
            if (worker.isPresent()) {
                LOG.log(System.Logger.Level.INFO, "worker discovery: pod {0} gone or not ready; draining {1}",
                        worker.get().spec().labels().getOrDefault(WorkerPods.POD_LABEL, "?"), url);
                removal.start(worker.get(), this::reconcile); // the URL may be wanted again meanwhile
            }
        }
        for (WorkerSpec spec : desired.values()) {
            if (registry.find(spec.url()).isPresent()) {
                continue; // ours already, or added by hand (never ours), or still draining (re-added after)
            }
            try {
                registry.add(spec); // probed by the health checker before it takes traffic
                LOG.log(System.Logger.Level.INFO, "worker discovery: pod {0} ready; added {1}",
                        spec.labels().get(WorkerPods.POD_LABEL), spec.url());
            } catch (IllegalStateException e) {
                // added through the API between the check and now: it is a hand-added worker
            }
        }
    }
}
