package dev.smg.router.breaker;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class CircuitBreakerTest {
    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(
            new BreakerSettings(2, 2, Duration.ofSeconds(10), Duration.ofSeconds(60), 1, true), now::get,
            (from, to) -> { });

    private void open() {
        breaker.tryAcquire().failure();
        breaker.tryAcquire().failure();
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    }

    @Test
    void halfOpenLetsOneTrialAtATimeAndClosesAfterSuccesses() {
        open();
        assertNull(breaker.tryAcquire(), "open refuses");
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        CircuitBreaker.Permit trial = breaker.tryAcquire();
        assertNotNull(trial);
        assertNull(breaker.tryAcquire(), "one trial in flight at a time");
        trial.success();
        breaker.tryAcquire().success();
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    }

    @Test
    void aLatePermitFromAnEarlierPhaseNeitherFreesATrialSlotNorClosesTheBreaker() {
        CircuitBreaker.Permit longStream = breaker.tryAcquire(); // issued while CLOSED
        open();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        CircuitBreaker.Permit trial = breaker.tryAcquire();
        assertNotNull(trial);
        longStream.success(); // stale: must not count
        assertNull(breaker.tryAcquire(), "the trial slot is still taken");
        assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
        trial.failure();
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    }

    @Test
    void anAbandonedTrialFreesItsSlotWithoutJudgingTheWorker() {
        open();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        breaker.tryAcquire().abandon();
        assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
        assertNotNull(breaker.tryAcquire());
    }

    @Test
    void anOldFailureStreakIsForgottenAfterTheWindow() {
        breaker.tryAcquire().failure();
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        breaker.tryAcquire().failure();
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "two failures 61 s apart are not a streak");
    }
}
