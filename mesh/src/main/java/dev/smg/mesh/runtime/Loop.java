package dev.smg.mesh.runtime;

import dev.smg.mesh.membership.Scheduler;

import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * A single writer: tasks run one at a time, in order, with time and timers of its own. State owned
 * by a loop needs no locks, because only its tasks touch it. {@link MeshLoop} runs one on a platform
 * thread; the simulator runs them on simulated time.
 */
public interface Loop extends Executor, Scheduler {
    /** Queues {@code task} from any thread; false (and counted) when the loop's bounded inbox is full. */
    boolean offer(Runnable task);

    /**
     * Runs {@code hook} on the loop after each batch of tasks and due timers (a store publishes its
     * snapshot there, once per batch rather than once per write).
     */
    void onBatchEnd(Runnable hook);

    /**
     * Runs {@code task} every {@code period}, first after one period, until the loop is closed. A
     * task that throws is logged by the loop and runs again next period.
     */
    default void every(Duration period, Runnable task) {
        long nanos = period.toNanos();
        schedule(nanos, new Runnable() {
            @Override
            public void run() {
                try {
                    task.run();
                } finally {
                    schedule(nanos, this);
                }
            }
        });
    }
}
