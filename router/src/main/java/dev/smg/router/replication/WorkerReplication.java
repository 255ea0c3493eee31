package dev.smg.router.replication;

import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;

/**
 * Port: the changes this router makes to worker state that a cluster of routers shares, on their way
 * out to whatever replicates them. The {@link dev.smg.router.worker.WorkerRegistry} calls it for
 * changes made here (an admin call, {@code --worker-urls}, this router's own probes and breakers);
 * changes adopted from the cluster ({@code WorkerRegistry.adopt}, {@code forget},
 * {@code Worker.adoptHealth}) are not reported back, so nothing echoes. A single router uses
 * {@link #NONE}; a mesh router the HA layer's implementation. Calls come from request, admin and
 * probe threads: an implementation only records or queues, never blocks.
 */
public interface WorkerReplication {
    /** A worker was registered here (or its spec replaced). */
    void registered(WorkerSpec spec);

    /** A worker was removed here. */
    void deregistered(WorkerUrl url);

    /** This router's probes moved a worker between ready ({@code true}) and not ready. */
    void healthVerdict(WorkerUrl url, boolean healthy);

    /** This router's breaker for a worker opened ({@code true}) or closed. Half-open is not reported. */
    void breakerVerdict(WorkerUrl url, boolean open);

    /** Nothing to replicate to: a router on its own. */
    WorkerReplication NONE = new WorkerReplication() {
        @Override
        public void registered(WorkerSpec spec) {
        }

        @Override
        public void deregistered(WorkerUrl url) {
        }

        @Override
        public void healthVerdict(WorkerUrl url, boolean healthy) {
        }

        @Override
        public void breakerVerdict(WorkerUrl url, boolean open) {
        }
    };
}
