package dev.smg.api.ha;

import dev.smg.mesh.runtime.Loop;
import dev.smg.mesh.runtime.MeshLoop;


/**
 * The HA layer's single writer. Every state change of the HA layer (applying the cluster's workers,
 * verdicts and policies, flushing tree and session batches, answering and applying catch-up chunks,
 * rebalancing the rate limit, the leader's housekeeping) runs here, one task at a time, so that state
 * needs no locks and its order is the order of this loop. Other threads only {@link #execute} tasks
 * (a bounded lock-free inbox). Nothing on it may block: work that waits for room elsewhere is
 * rescheduled instead. Production runs it on one platform thread ({@link #onThread}); the simulator
 * can run it on simulated time.
 */
public interface HaLoop extends Loop, AutoCloseable {
    @Override
    void close();

    /** The production loop: one daemon platform thread named {@code name}. */
    static HaLoop onThread(String name) {
        MeshLoop loop = new MeshLoop(name);
        loop.start();
        return new HaLoop() {
            @Override
            public void execute(Runnable task) {
                loop.execute(task);
            }

            @Override
            public boolean offer(Runnable task) {
                return loop.offer(task);
            }

            @Override
            public void onBatchEnd(Runnable hook) {
                loop.onBatchEnd(hook);
            }

            @Override
            public long nanoTime() {
                return loop.nanoTime();
            }

            @Override
            public Cancellable schedule(long delayNanos, Runnable task) {
                return loop.schedule(delayNanos, task);
            }

            @Override
            public void close() {
                loop.close();
            }
        };
    }
}
