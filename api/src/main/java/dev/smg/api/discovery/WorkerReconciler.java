package dev.smg.api.discovery;

import dev.smg.router.worker.Worker;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerRemoval;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;

import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Brings the registry to the desired set of discovered workers, touching only the workers it added
 * itself: a worker from {@code --worker-urls} or {@code POST /workers} is never removed, even when
 * a pod with its URL comes and goes. Level-triggered: each call compares the whole desired set
 * with the registry, so a missed event cannot leave a stale worker behind.
 *
 * <p>A worker no longer desired is removed the way {@code DELETE /workers/{id}} removes one (no new
 * requests; gone when its in-flight requests have finished). If its URL is desired again while it
 * drains (a pod recreated on the same IP), it is added back once the drain is over.
 */
public final class WorkerReconciler {
    private static final System.Logger LOG = System.getLogger(WorkerReconciler.class.getName());

    private final WorkerRegistry registry;
    private final WorkerRemoval removal;
    /** URLs of the workers this reconciler added and has not started removing. */
    private final Set<WorkerUrl> owned = new HashSet<>();
    private Map<WorkerUrl, WorkerSpec> desired = Map.of();

    public WorkerReconciler(WorkerRegistry registry, WorkerRemoval removal) {
        this.registry = registry;
        this.removal = removal;
    }

    /** Makes {@code next} the desired set and reconciles. */
    public synchronized void apply(Map<WorkerUrl, WorkerSpec> next) {
        desired = Map.copyOf(next);
        reconcile();
    }

    /** Workers discovery added and still holds. */
    public synchronized int ownedCount() {
        return owned.size();
    }

    public synchronized Set<WorkerUrl> owned() {
        return Set.copyOf(owned);
    }

    private synchronized void reconcile() {
        for (Iterator<WorkerUrl> it = owned.iterator(); it.hasNext(); ) {
            WorkerUrl url = it.next();
            if (desired.containsKey(url)) {
                continue;
            }
            it.remove();
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
                owned.add(spec.url());
                LOG.log(System.Logger.Level.INFO, "worker discovery: pod {0} ready; added {1}",
                        spec.labels().get(WorkerPods.POD_LABEL), spec.url());
            } catch (IllegalStateException e) {
                // added through the API between the check and now: it is a hand-added worker
            }
        }
    }
}
