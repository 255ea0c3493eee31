package dev.smg.router.stream;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines of streams being relayed: the first content of a leg, and silence after it. A relay
 * thread blocks in a socket read and cannot time itself out (the socket's read timeout is the
 * request timeout, tens of minutes); so one timer thread checks each watched stream when its
 * deadline comes, and aborts the upstream read of a stream past it. A check that finds progress
 * re-arms itself for the new deadline, so a flowing stream costs a timer task per stall period, not
 * per chunk.
 */
public final class StreamWatchdog implements AutoCloseable {
    /** Why a watch fired. */
    public enum Expiry { FIRST_TOKEN, STALL }

    private final ScheduledThreadPoolExecutor timer;

    public StreamWatchdog() {
        // A virtual thread, like the load monitor's scheduler: it only sleeps until the next deadline.
        timer = new ScheduledThreadPoolExecutor(1, Thread.ofVirtual().name("smg-stream-watchdog").factory());
        timer.setRemoveOnCancelPolicy(true); // finished streams leave no task behind
    }

    /**
     * Watches one leg of a stream.
     *
     * @param firstToken time allowed before the leg's first content; ZERO: none
     * @param stall      time allowed without a byte once content has come
     * @param abort      called once, from the timer thread, when a deadline passes (quick: it runs
     *                   under the watch's lock)
     */
    public Watch watch(Duration firstToken, Duration stall, Runnable abort) {
        Watch w = new Watch(firstToken.toNanos(), stall.toNanos(), abort);
        w.arm();
        return w;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** One leg's deadlines. Progress is reported by the relay thread; checks run on the timer's. */
    public final class Watch implements AutoCloseable {
        private final long firstTokenNanos;
        private final long stallNanos;
        private Runnable abort;
        private final long started = System.nanoTime();
        private volatile long lastByte = started;
        private volatile boolean answered;
        private volatile Expiry expired;
        private volatile boolean closed;
        private ScheduledFuture<?> check;

        private Watch(long firstTokenNanos, long stallNanos, Runnable abort) {
            this.firstTokenNanos = firstTokenNanos;
            this.stallNanos = stallNanos;
            this.abort = abort;
        }

        /** Bytes came from the worker. */
        public void progress() {
            lastByte = System.nanoTime();
        }

        /** The leg's first content came: from now on only silence is timed. */
        public void answered() {
            if (!answered) {
                answered = true;
                lastByte = System.nanoTime();
                arm(); // from the first-token deadline (or none) to the stall deadline
            }
        }

        /**
         * From now on a deadline that passes calls {@code newAbort} instead. Returns false when a
         * deadline has already passed (the old abort was called, or is being called, before this
         * returns): once this returns, the old abort will never run.
         */
        public synchronized boolean abortWith(Runnable newAbort) {
            this.abort = newAbort;
            return expired == null;
        }

        /** Why the leg was aborted, or null. */
        public Expiry expired() {
            return expired;
        }

        private synchronized void arm() {
            if (closed || expired != null) {
                return;
            }
            long deadline = deadline();
            if (deadline == Long.MAX_VALUE) {
                return;
            }
            if (check != null) {
                check.cancel(false);
            }
            long delay = Math.max(0, deadline - System.nanoTime());
            check = timer.schedule(this::check, delay, TimeUnit.NANOSECONDS);
        }

        private long deadline() {
            if (!answered) {
                return firstTokenNanos == 0 ? Long.MAX_VALUE : started + firstTokenNanos;
            }
            return lastByte + stallNanos;
        }

        private synchronized void check() {
            if (closed || expired != null) {
                return;
            }
            long deadline = deadline();
            if (deadline == Long.MAX_VALUE) {
                return;
            }
            if (System.nanoTime() - deadline < 0) {
                check = timer.schedule(this::check, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                return;
            }
            expired = answered ? Expiry.STALL : Expiry.FIRST_TOKEN;
            // Under the lock, so that abortWith and close can promise the old abort never runs
            // after them (an interrupt must not reach a thread that has moved on). Aborts are quick:
            // an interrupt, or closing a connection.
            abort.run();
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (check != null) {
                check.cancel(false);
            }
        }
    }
}
