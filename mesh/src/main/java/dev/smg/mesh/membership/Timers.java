package dev.smg.mesh.membership;

/**
 * One node's timers on its {@link Scheduler}, silenced as a whole by {@link #stop()}: from then on
 * no callback the node scheduled runs, and periodic ones are not rescheduled, so a stopped node falls
 * silent the way a crashed one does. This is what lets the parts of {@link SwimNode} schedule freely
 * without each keeping handles only to cancel them at the end.
 */
final class Timers {
    private final Scheduler scheduler;
    private boolean stopped;

    Timers(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    long now() {
        return scheduler.nanoTime();
    }

    /** Runs {@code task} once after {@code delayNanos}, unless the node stopped meanwhile. */
    Scheduler.Cancellable after(long delayNanos, Runnable task) {
        return scheduler.schedule(delayNanos, () -> {
            if (!stopped) {
                task.run();
            }
        });
    }

    /** Runs {@code task} after {@code initialDelayNanos}, then every {@code periodNanos} until stopped. */
    void every(long initialDelayNanos, long periodNanos, Runnable task) {
        new Periodic(periodNanos, task).scheduleIn(initialDelayNanos);
    }

    boolean stopped() {
        return stopped;
    }

    void stop() {
        stopped = true;
    }

    /** Reschedules itself after each run; stopping is the only way to end it, so it needs no handle. */
    private final class Periodic implements Runnable {
        private final long periodNanos;
        private final Runnable task;

        Periodic(long periodNanos, Runnable task) {
            this.periodNanos = periodNanos;
            this.task = task;
        }

        void scheduleIn(long delayNanos) {
            after(delayNanos, this);
        }

        @Override
        public void run() {
            task.run();
            scheduleIn(periodNanos);
        }
    }
}
