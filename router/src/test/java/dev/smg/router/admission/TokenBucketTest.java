package dev.smg.router.admission;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketTest {
    private static final int THREADS = 6;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Threads taking from a bucket as fast as they can until stopped, counting what they got. */
    private static final class Hammer implements AutoCloseable {
        final AtomicLong admitted = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();

        Hammer(RateLimiter limiter) throws InterruptedException {
            CountDownLatch started = new CountDownLatch(THREADS);
            for (int i = 0; i < THREADS; i++) {
                threads.add(Thread.ofPlatform().daemon().start(() -> {
                    started.countDown();
                    while (!stop.get()) {
                        if (limiter.tryTake() == 0) {
                            admitted.incrementAndGet();
                        } else {
                            Thread.yield(); // let the test's own thread run on a busy machine
                        }
                    }
                }));
            }
            assertTrue(started.await(10, TimeUnit.SECONDS));
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    private static int drain(TokenBucket bucket) {
        int n = 0;
        while (bucket.tryTake() == 0) {
            n++;
        }
        return n;
    }

    @Test
    void manyThreadsGetExactlyTheBurstPlusTheRateTimesTheTimeThatPassed() throws Exception {
        AtomicLong now = new AtomicLong(1_000 * MS);
        TokenBucket bucket = new TokenBucket(1000, 50, now::get); // one token per ms
        long expected = 50;
        long admitted;
        try (Hammer hammer = new Hammer(bucket)) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                    .until(() -> hammer.admitted.get() >= 50);
            // Each step adds 10 tokens (under the burst, so no refill is lost to a full bucket) and
            // waits until the threads have taken them all: a lost or doubled take shows in the total.
            for (int step = 0; step < 100; step++) {
                now.addAndGet(10 * MS);
                expected += 10;
                long target = expected;
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                        .until(() -> hammer.admitted.get() >= target);
            }
            hammer.close();
            admitted = hammer.admitted.get();
        }
        assertEquals(expected, admitted);
        assertEquals(0, drain(bucket), "and nothing is left over");
    }

    @Test
    void underContentionOnTheRealClockNoMoreThanBurstPlusRateIsAdmitted() throws Exception {
        double rate = 20_000;
        int burst = 100;
        LongSupplier clock = System::nanoTime;
        long start = clock.getAsLong();
        TokenBucket bucket = new TokenBucket(rate, burst, clock);
        long admitted;
        try (Hammer hammer = new Hammer(bucket)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> hammer.admitted.get() >= 4_000);
            hammer.close();
            admitted = hammer.admitted.get();
        }
        double elapsedSeconds = (clock.getAsLong() - start) / 1e9;
        double bound = burst + rate * elapsedSeconds + 1; // + 1: the interval is whole nanoseconds
        assertTrue(admitted <= bound, admitted + " admitted, at most " + bound + " allowed in " + elapsedSeconds + " s");
    }

    @Test
    void theWaitSaysWhenTheNextTokenComes() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = new TokenBucket(10, 2, now::get);
        assertEquals(2, drain(bucket));
        assertEquals(100 * MS, bucket.tryTake());
        now.addAndGet(40 * MS);
        assertEquals(60 * MS, bucket.tryTake());
        now.addAndGet(60 * MS);
        assertEquals(0, bucket.tryTake());
    }

    @Test
    void aRateChangeKeepsTheTokensInsteadOfRefilling() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = new TokenBucket(10, 10, now::get);
        for (int i = 0; i < 5; i++) {
            assertEquals(0, bucket.tryTake());
        }
        bucket.setRate(100, 100);
        assertEquals(5, drain(bucket), "the five left, not a fresh burst of 100");
        now.addAndGet(10 * MS);
        assertEquals(1, drain(bucket), "then the new rate: one per 10 ms");
        now.addAndGet(50 * MS);
        bucket.setRate(100, 3);
        assertEquals(3, drain(bucket), "five had refilled; a smaller burst caps them");
    }

    @Test
    void rateZeroPausesRefillButTheTokensLeftCanBeTaken() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = new TokenBucket(10, 4, now::get);
        bucket.setRate(0, 4);
        now.addAndGet(TimeUnit.HOURS.toNanos(1));
        assertEquals(4, drain(bucket));
        assertEquals(TimeUnit.SECONDS.toNanos(1), bucket.tryTake(), "paused: try again in a second");
        bucket.setRate(10, 4);
        assertEquals(0, drain(bucket), "resuming does not refill either");
        now.addAndGet(100 * MS);
        assertEquals(1, drain(bucket));
    }

    @Test
    void anEmptyBucketFillsFromNothingOnceItHasARate() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = TokenBucket.empty(now::get);
        assertEquals(TimeUnit.SECONDS.toNanos(1), bucket.tryTake());
        bucket.setRate(1000, 2);
        assertEquals(0, drain(bucket));
        now.addAndGet(MS);
        assertEquals(1, drain(bucket));
        now.addAndGet(10 * MS);
        assertEquals(2, drain(bucket), "capped at the burst");
    }

    @Test
    void rateChangesRacingWithTakesNeitherLoseNorMintTokens() throws Exception {
        AtomicLong now = new AtomicLong(); // frozen: only the 200 tokens it starts with exist
        TokenBucket bucket = new TokenBucket(1000, 200, now::get);
        try (Hammer hammer = new Hammer(bucket)) {
            for (int i = 0; i < 2_000; i++) {
                bucket.setRate(i % 2 == 0 ? 500 : 1000, 200);
            }
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                    .until(() -> hammer.admitted.get() >= 200);
            hammer.close();
            assertEquals(200, hammer.admitted.get());
        }
        assertEquals(0.0, bucket.tokens(), 1e-9);
    }
}
