package dev.smg.router.admission;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdmissionControlTest {
    @Test
    void theConcurrencyCapIsHardUnderContention() throws Exception {
        AdmissionControl control = new AdmissionControl(3, 1000, Duration.ofSeconds(30), 0);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 50; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 20; i++) {
                    try (AdmissionControl.Admitted ignored = (AdmissionControl.Admitted) control.admit()) {
                        maxSeen.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Thread.yield();
                        inside.decrementAndGet();
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(3, maxSeen.get());
        assertEquals(0, control.inside());
    }

    @Test
    void theCapCanGrowAndShrinkWithoutLosingTrackOfWhoIsInside() {
        AdmissionControl control = new AdmissionControl(2, 0, Duration.ofMillis(1), List.of());
        List<AdmissionControl.Admitted> inside = new ArrayList<>();
        inside.add(assertInstanceOf(AdmissionControl.Admitted.class, control.admit()));
        inside.add(assertInstanceOf(AdmissionControl.Admitted.class, control.admit()));
        assertInstanceOf(AdmissionControl.Refused.class, control.admit());
        control.resize(3);
        inside.add(assertInstanceOf(AdmissionControl.Admitted.class, control.admit()));
        assertEquals(3, control.inside());
        control.resize(1); // three inside, cap one: nobody new until two have left
        assertInstanceOf(AdmissionControl.Refused.class, control.admit());
        inside.remove(0).close();
        assertInstanceOf(AdmissionControl.Refused.class, control.admit());
        inside.remove(0).close();
        assertInstanceOf(AdmissionControl.Refused.class, control.admit());
        inside.remove(0).close();
        inside.add(assertInstanceOf(AdmissionControl.Admitted.class, control.admit()));
        assertEquals(1, control.inside());
        assertEquals(1, control.maxConcurrent());
    }

    @Test
    void aFullQueueIs429AndAWaitTooLongIs408() {
        AdmissionControl control = new AdmissionControl(1, 1, Duration.ofMillis(300), 0);
        AdmissionControl.Admitted holder = (AdmissionControl.Admitted) control.admit();
        CompletableFuture<AdmissionControl.Decision> waiter = CompletableFuture.supplyAsync(control::admit);
        await().atMost(Duration.ofSeconds(5)).until(() -> control.waiting() == 1);
        AdmissionControl.Refused full = assertInstanceOf(AdmissionControl.Refused.class, control.admit());
        assertEquals(429, full.status());
        assertEquals("queue_full", full.code());
        AdmissionControl.Refused late = assertInstanceOf(AdmissionControl.Refused.class, waiter.join());
        assertEquals(408, late.status());
        holder.close();
        assertInstanceOf(AdmissionControl.Admitted.class, control.admit());
    }

    @Test
    void tokenBucketAdmitsItsRateAndSaysWhenToComeBack() {
        AtomicLong now = new AtomicLong();
        TokenBucket bucket = new TokenBucket(10, 10, now::get);
        int admitted = 0;
        for (int i = 0; i < 15; i++) {
            if (bucket.tryTake() == 0) {
                admitted++;
            }
        }
        assertEquals(10, admitted, "the burst");
        long wait = bucket.tryTake();
        assertTrue(wait > 0 && wait <= 100_000_000L, "one token comes every 100 ms: " + wait);
        now.addAndGet(1_000_000_000L);
        admitted = 0;
        for (int i = 0; i < 15; i++) {
            if (bucket.tryTake() == 0) {
                admitted++;
            }
        }
        assertEquals(10, admitted, "one second refills ten");
    }
}
