package dev.smg.api.mock.engine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine thread around the scheduler, with an injected pacer instead of real sleeps. */
class MockRealisticEngineTest {
    private static final Duration LIMIT = Duration.ofSeconds(10);
    private RealisticEngine engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    private static EngineSettings settings(int maxRunning, int maxWaiting) {
        return new EngineSettings(8000, 6.0, 0.35, 2048, maxRunning, 524_288, 16, true, 8, maxWaiting);
    }

    private static int[] tokens(int count) {
        return IntStream.range(0, count).toArray();
    }

    @Test
    void stepsArePacedByTheirModelledDuration() {
        List<Long> paced = new CopyOnWriteArrayList<>();
        engine = RealisticEngine.start("test", settings(256, 16), paced::add);
        Generation g = new Generation(tokens(5000), 2);
        assertTrue(engine.submit(g));
        await().atMost(LIMIT).until(() -> g.progress().state() == Generation.State.FINISHED);
        assertEquals(List.of(256_000_000L, 256_000_000L, 113_000_000L, 6_350_000L), paced);
        assertEquals(2, g.progress().tokens());
    }

    @Test
    void tokensAreReleasedOnlyAfterTheStepHasBeenWaitedOut() throws InterruptedException {
        Semaphore stepsAllowed = new Semaphore(0);
        engine = RealisticEngine.start("test", settings(256, 16), nanos -> stepsAllowed.acquire());
        Generation g = new Generation(tokens(10), 3);
        assertTrue(engine.submit(g));
        // The engine is inside its first step's wait: nothing is out yet.
        await().atMost(LIMIT).until(() -> stepsAllowed.hasQueuedThreads());
        assertEquals(0, g.progress().tokens());
        stepsAllowed.release();
        assertEquals(1, g.awaitBeyond(0, LIMIT.toMillis(), TimeUnit.MILLISECONDS).tokens());
        stepsAllowed.release(2);
        await().atMost(LIMIT).until(() -> g.progress().state() == Generation.State.FINISHED);
        assertEquals(3, g.progress().tokens());
    }

    @Test
    void aFullWaitingQueueRefusesAndCountsTheRefusal() {
        Semaphore stepsAllowed = new Semaphore(0);
        engine = RealisticEngine.start("test", settings(1, 2), nanos -> stepsAllowed.acquire());
        assertTrue(engine.submit(new Generation(tokens(4), 5))); // admitted, held in its first step
        await().atMost(LIMIT).until(() -> stepsAllowed.hasQueuedThreads());
        assertTrue(engine.submit(new Generation(tokens(4), 5)));
        assertTrue(engine.submit(new Generation(tokens(4), 5)));
        assertFalse(engine.submit(new Generation(tokens(4), 5)), "2 waiting is the limit");
        LoadSnapshot load = engine.loads();
        assertEquals(2, load.waiting());
        assertEquals(1, load.rejected());
    }

    @Test
    void cancelledRequestsAreDroppedWhileRunningOrWaiting() {
        engine = RealisticEngine.start("test", settings(1, 16), nanos -> Thread.sleep(1));
        Generation running = new Generation(tokens(4), 30_000);
        Generation waiting = new Generation(tokens(4), 30_000);
        assertTrue(engine.submit(running));
        await().atMost(LIMIT).until(() -> running.progress().tokens() > 0);
        assertTrue(engine.submit(waiting));
        await().atMost(LIMIT).until(() -> engine.loads().waiting() == 1);

        engine.cancel(waiting);
        await().atMost(LIMIT).until(() -> waiting.progress().state() == Generation.State.DROPPED);
        engine.cancel(running);
        await().atMost(LIMIT).until(() -> running.progress().state() == Generation.State.DROPPED);
        await().atMost(LIMIT).until(() -> engine.loads().running() == 0 && engine.loads().dropped() == 2);
        assertEquals(0, engine.loads().waiting());
    }

    @Test
    void closingDropsEveryRequestSoNoWaiterHangs() throws InterruptedException {
        engine = RealisticEngine.start("test", settings(1, 16), nanos -> Thread.sleep(1));
        Generation running = new Generation(tokens(4), 30_000);
        Generation waiting = new Generation(tokens(4), 30_000);
        engine.submit(running);
        engine.submit(waiting);
        engine.close();
        assertTrue(running.awaitBeyond(Integer.MAX_VALUE, LIMIT.toMillis(), TimeUnit.MILLISECONDS).over());
        assertTrue(waiting.awaitBeyond(Integer.MAX_VALUE, LIMIT.toMillis(), TimeUnit.MILLISECONDS).over());
        assertFalse(engine.submit(new Generation(tokens(4), 1)), "a closed engine takes nothing");
    }
}
