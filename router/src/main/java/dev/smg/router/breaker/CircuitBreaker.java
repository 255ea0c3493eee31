package dev.smg.router.breaker;

import java.util.function.LongSupplier;

/**
 * One worker's circuit breaker. CLOSED counts consecutive failures (a streak older than the window
 * is forgotten) and opens at the threshold; OPEN refuses everything until the open timeout has
 * passed, then becomes HALF_OPEN; HALF_OPEN lets at most {@code halfOpenTrials} requests be in
 * flight at once, closes after {@code successThreshold} successes in a row and reopens on any
 * failure. Critical sections are a few field updates with no I/O, so a monitor is the simplest
 * correct choice; the hot-path read {@link #state()} is a volatile read.
 */
public final class CircuitBreaker {
    public enum State {
        CLOSED(0), OPEN(1), HALF_OPEN(2);

        private final int code;

        State(int code) {
            this.code = code;
        }

        /** Value of the {@code smg_worker_cb_state} gauge (upstream's numbering). */
        public int code() {
            return code;
        }
    }

    /** Told about every state change, outside the breaker's lock. */
    public interface Listener {
        void onTransition(State from, State to);
    }

    private final BreakerSettings settings;
    private final LongSupplier nanoClock;
    private final Listener listener;

    private volatile State state = State.CLOSED;
    private int consecutiveFailures;
    private long lastFailureNanos;
    private int consecutiveSuccesses;
    private long openedAtNanos;
    private int trialsInFlight;
    /**
     * Bumped whenever the breaker opens or half-opens: a permit from an earlier phase reports into
     * nothing, so a late answer cannot free a trial slot it never held or close a new half-open
     * phase on old evidence.
     */
    private long generation;

    public CircuitBreaker(BreakerSettings settings, LongSupplier nanoClock, Listener listener) {
        this.settings = settings;
        this.nanoClock = nanoClock;
        this.listener = listener;
    }

    public CircuitBreaker(BreakerSettings settings, Listener listener) {
        this(settings, System::nanoTime, listener);
    }

    /** Current state; an OPEN breaker whose timeout has passed reports HALF_OPEN. */
    public State state() {
        State s = state;
        if (s == State.OPEN && openTimeoutPassed()) {
            State from;
            synchronized (this) {
                from = state;
                maybeHalfOpenLocked();
                s = state;
            }
            notifyIfChanged(from, s);
        }
        return s;
    }

    /** Whether a request could be let through now (without taking a half-open trial slot). */
    public boolean allowsTraffic() {
        if (!settings.enabled()) {
            return true;
        }
        State s = state();
        if (s == State.CLOSED) {
            return true;
        }
        if (s == State.HALF_OPEN) {
            synchronized (this) {
                return state == State.HALF_OPEN && trialsInFlight < settings.halfOpenTrials();
            }
        }
        return false;
    }

    /**
     * Asks to send one request. Returns null when refused; otherwise a permit whose outcome must be
     * reported exactly once through {@link Permit#success()}, {@link Permit#failure()} or
     * {@link Permit#abandon()}.
     */
    public Permit tryAcquire() {
        if (!settings.enabled()) {
            return new Permit(this, false, 0);
        }
        State from;
        State to;
        Permit permit;
        synchronized (this) {
            from = state;
            maybeHalfOpenLocked();
            to = state;
            permit = switch (state) {
                case CLOSED -> new Permit(this, false, generation);
                case HALF_OPEN -> {
                    if (trialsInFlight >= settings.halfOpenTrials()) {
                        yield null;
                    }
                    trialsInFlight++;
                    yield new Permit(this, true, generation);
                }
                case OPEN -> null;
            };
        }
        notifyIfChanged(from, to);
        return permit;
    }

    private void record(boolean success, boolean trial, boolean abandoned, long permitGeneration) {
        State from;
        State to;
        synchronized (this) {
            from = state;
            if (permitGeneration != generation) {
                return; // issued in an earlier phase: it holds no slot and its evidence is stale
            }
            if (trial) {
                trialsInFlight--;
            }
            if (!abandoned) {
                long now = nanoClock.getAsLong();
                if (success) {
                    onSuccessLocked();
                } else {
                    onFailureLocked(now);
                }
            }
            to = state;
        }
        notifyIfChanged(from, to);
    }

    private void onSuccessLocked() {
        consecutiveFailures = 0;
        if (state == State.HALF_OPEN) {
            consecutiveSuccesses++;
            if (consecutiveSuccesses >= settings.successThreshold()) {
                state = State.CLOSED;
                consecutiveSuccesses = 0;
            }
        }
    }

    private void onFailureLocked(long now) {
        switch (state) {
            case HALF_OPEN -> open(now);
            case CLOSED -> {
                if (consecutiveFailures > 0 && now - lastFailureNanos > settings.window().toNanos()) {
                    consecutiveFailures = 0; // the old streak is stale
                }
                consecutiveFailures++;
                lastFailureNanos = now;
                if (consecutiveFailures >= settings.failureThreshold()) {
                    open(now);
                }
            }
            case OPEN -> lastFailureNanos = now; // a late answer from before opening
        }
    }

    private void open(long now) {
        generation++;
        state = State.OPEN;
        openedAtNanos = now;
        consecutiveFailures = 0;
        consecutiveSuccesses = 0;
    }

    /**
     * Opens the breaker because another router saw this worker fail (replicated breaker state), so
     * the cluster stops sending to it together. A breaker that is already OPEN is left alone (its
     * timer is not restarted, so echoes cannot keep a worker out forever).
     */
    public void forceOpen() {
        if (!settings.enabled()) {
            return;
        }
        State from;
        synchronized (this) {
            from = state;
            if (from == State.OPEN) {
                return;
            }
            open(nanoClock.getAsLong());
        }
        notifyIfChanged(from, State.OPEN);
    }

    private boolean openTimeoutPassed() {
        return nanoClock.getAsLong() - openedAtNanos >= settings.openTimeout().toNanos();
    }

    private void maybeHalfOpenLocked() {
        if (state == State.OPEN && openTimeoutPassed()) {
            generation++;
            state = State.HALF_OPEN;
            consecutiveSuccesses = 0;
            trialsInFlight = 0;
        }
    }

    private void notifyIfChanged(State from, State to) {
        if (from != to) {
            listener.onTransition(from, to);
        }
    }

    public int consecutiveFailures() {
        synchronized (this) {
            return consecutiveFailures;
        }
    }

    /** The right to send one request through the breaker; report its outcome exactly once. */
    public static final class Permit {
        private final CircuitBreaker breaker;
        private final boolean trial;
        private final long generation;
        private boolean reported;

        private Permit(CircuitBreaker breaker, boolean trial, long generation) {
            this.breaker = breaker;
            this.trial = trial;
            this.generation = generation;
        }

        public void success() {
            report(true, false);
        }

        public void failure() {
            report(false, false);
        }

        /** The request ended without telling anything about the worker (e.g. the client left). */
        public void abandon() {
            report(true, true);
        }

        private void report(boolean success, boolean abandoned) {
            if (reported) {
                return;
            }
            reported = true;
            if (breaker.settings.enabled()) {
                breaker.record(success, trial, abandoned, generation);
            }
        }
    }
}
