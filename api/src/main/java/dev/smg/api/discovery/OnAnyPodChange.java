package dev.smg.api.discovery;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;

/**
 * An informer handler for watchers that recompute their whole set from the informer's cache: any pod
 * added, changed or deleted, and the end of each (re)list, runs the same action.
 */
final class OnAnyPodChange implements ResourceEventHandler<Pod> {
    private final Runnable action;

    OnAnyPodChange(Runnable action) {
        this.action = action;
    }

    @Override
    public void onAdd(Pod pod) {
        action.run();
    }

    @Override
    public void onUpdate(Pod before, Pod after) {
        action.run();
    }

    @Override
    public void onDelete(Pod pod, boolean finalStateUnknown) {
        action.run();
    }

    @Override
    public void onList(String resourceVersion, boolean remainedEmpty) {
        action.run();
    }
}
