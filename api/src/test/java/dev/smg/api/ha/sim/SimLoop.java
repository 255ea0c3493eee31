package dev.smg.api.ha.sim;

import dev.smg.api.ha.HaLoop;
import dev.smg.mesh.membership.Scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * A router's single-writer loop on the simulator's clock: a task runs as a simulated event, then the
 * batch-end hooks (the store publishes, the tree index applies its queue). One loop serves as both
 * the router's mesh loop and its HA loop: in a simulation every event runs on the test's thread
 * anyway. A crashed router's loop is closed: its queued tasks and timers then do nothing. A task that
 * throws is recorded (the test fails on it) instead of being logged and forgotten.
 */
final class SimLoop implements HaLoop {
    private final Scheduler clock;
    private final List<Runnable> batchEnd = new ArrayList<>();
    private final List<Throwable> failures;
    private boolean open = true;

    SimLoop(Scheduler clock, List<Throwable> failures) {
        this.clock = clock;
        this.failures = failures;
    }

    @Override
    public void execute(Runnable task) {
        offer(task);
    }

    @Override
    public boolean offer(Runnable task) {
        if (open) {
            clock.schedule(0, () -> run(task));
        }
        return open;
    }

    @Override
    public void onBatchEnd(Runnable hook) {
        batchEnd.add(hook);
    }

    @Override
    public long nanoTime() {
        return clock.nanoTime();
    }

    @Override
    public Cancellable schedule(long delayNanos, Runnable task) {
        return clock.schedule(delayNanos, () -> run(task));
    }

    private void run(Runnable task) {
        if (!open) {
            return;
        }
        try {
            task.run();
            batchEnd.forEach(Runnable::run);
        } catch (RuntimeException | AssertionError e) {
            failures.add(e);
        }
    }

    boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
