package dev.smg.router.stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.awaitility.Awaitility.await;

class StreamWatchdogTest {
    private final StreamWatchdog watchdog = new StreamWatchdog();

    @AfterEach
    void stop() {
        watchdog.close();
    }

    @Test
    void aLegWithoutContentMissesItsFirstTokenDeadline() {
        AtomicInteger aborts = new AtomicInteger();
        StreamWatchdog.Watch w = watchdog.watch(Duration.ofMillis(50), Duration.ofSeconds(60), aborts::incrementAndGet);
        await().atMost(Duration.ofSeconds(5)).until(() -> aborts.get() == 1);
        assertEquals(StreamWatchdog.Expiry.FIRST_TOKEN, w.expired());
    }

    @Test
    void silenceAfterContentIsAStallAndProgressPutsItOff() {
        AtomicInteger aborts = new AtomicInteger();
        StreamWatchdog.Watch w = watchdog.watch(Duration.ZERO, Duration.ofMillis(300), aborts::incrementAndGet);
        w.answered();
        long until = System.nanoTime() + Duration.ofMillis(600).toNanos();
        // Progress every few ms for twice the stall timeout: no abort while bytes flow.
        await().pollInterval(Duration.ofMillis(20)).atMost(Duration.ofSeconds(5)).until(() -> {
            w.progress();
            return System.nanoTime() > until;
        });
        assertEquals(0, aborts.get());
        await().atMost(Duration.ofSeconds(5)).until(() -> aborts.get() == 1);
        assertEquals(StreamWatchdog.Expiry.STALL, w.expired());
    }

    @Test
    void withoutAFirstTokenDeadlineAWaitingLegIsNeverAbortedAndAClosedWatchNeverFires() {
        AtomicInteger aborts = new AtomicInteger();
        StreamWatchdog.Watch waiting = watchdog.watch(Duration.ZERO, Duration.ofMillis(50), aborts::incrementAndGet);
        StreamWatchdog.Watch closed = watchdog.watch(Duration.ofMillis(50), Duration.ofMillis(50), aborts::incrementAndGet);
        closed.close();
        StreamWatchdog.Watch witness = watchdog.watch(Duration.ofMillis(200), Duration.ofMillis(50), () -> { });
        await().atMost(Duration.ofSeconds(5)).until(() -> witness.expired() != null);
        assertEquals(0, aborts.get());
        assertNull(waiting.expired());
    }
}
