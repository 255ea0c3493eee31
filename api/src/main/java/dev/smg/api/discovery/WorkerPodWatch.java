package dev.smg.api.discovery;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.Map;

/**
 * Lists and then watches the worker pods matching a label selector in one namespace, and hands
 * the desired workers (see {@link WorkerPods}) to the {@link WorkerReconciler} on every change.
 *
 * <p>The list-then-watch cycle and its retries are fabric8's informer, as for {@link RouterPodWatch}:
 * a failed list or a dropped watch is retried with exponential backoff capped at 32 times the
 * watch reconnect interval (1 s to 32 s by default), for ever (the failures are counted by
 * {@link ApiErrorCounter}). While the API server fails, the informer's cache keeps the last pods it
 * saw, and nothing is reconciled: the workers stay as they were, which is what a router should do
 * when it cannot see the cluster (the health checker still takes dead ones out of rotation).
 */
public final class WorkerPodWatch implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerPodWatch.class.getName());

    private final SharedIndexInformer<Pod> informer;
    private final WorkerPods rule;
    private final WorkerReconciler reconciler;

    private WorkerPodWatch(SharedIndexInformer<Pod> informer, WorkerPods rule, WorkerReconciler reconciler) {
        this.informer = informer;
        this.rule = rule;
        this.reconciler = reconciler;
    }

    /** Starts listing and watching in the background; returns at once (the API server may be down). */
    public static WorkerPodWatch start(KubernetesClient client, String namespace, Map<String, String> selector,
                                       WorkerPods rule, WorkerReconciler reconciler) {
        SharedIndexInformer<Pod> informer = client.pods().inNamespace(namespace).withLabels(selector)
                .runnableInformer(0); // no resync: the watch reports every change
        WorkerPodWatch watch = new WorkerPodWatch(informer, rule, reconciler);
        informer.addEventHandler(new OnAnyPodChange(watch::reconcile));
        informer.exceptionHandler((started, failure) -> {
            LOG.log(System.Logger.Level.WARNING, "worker discovery: API server call failed, retrying with backoff: {0}",
                    failure.getMessage());
            return true;
        });
        informer.start();
        LOG.log(System.Logger.Level.INFO, "worker discovery: watching pods in namespace {0} with labels {1} through {2}",
                namespace, selector, client.getConfiguration().getMasterUrl());
        return watch;
    }

    public boolean hasListed() {
        return informer.hasSynced();
    }

    public boolean isWatching() {
        return informer.isWatching();
    }

    private void reconcile() {
        reconciler.apply(rule.desired(informer.getStore().list()));
    }

    @Override
    public void close() {
        informer.close();
        reconciler.stop();
    }
}
