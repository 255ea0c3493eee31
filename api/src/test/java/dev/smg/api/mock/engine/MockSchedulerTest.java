package dev.smg.api.mock.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scheduler's step maths, driven step by step without any clock. */
class MockSchedulerTest {
    private static final double MS = 1_000_000.0;

    static EngineSettings settings(int maxRunning, int kvTokens, boolean prefixCache) {
        return new EngineSettings(8000, 6.0, 0.35, 2048, maxRunning, kvTokens, 16, prefixCache, 8, 4096);
    }

    static int[] tokens(int from, int count) {
        return IntStream.range(from, from + count).toArray();
    }

    /** Steps until {@code g} has its first token; returns how many steps that took. */
    static int stepsToFirstToken(Scheduler scheduler, Generation g) {
        for (int step = 1; step <= 1000; step++) {
            for (Scheduler.Emission e : scheduler.step().emissions()) {
                if (e.generation() == g) {
                    return step;
                }
            }
        }
        throw new AssertionError("no token in 1000 steps");
    }

    @ParameterizedTest(name = "{0} prompt tokens -> first token in step {1}")
    @CsvSource({"0, 1", "1, 1", "2048, 1", "2049, 2", "5000, 3", "8192, 4", "8193, 5"})
    void firstTokenComesAfterCeilUncachedOverChunkSteps(int prompt, int expectedSteps) {
        Scheduler scheduler = new Scheduler(settings(256, 524_288, true));
        Generation g = new Generation(tokens(0, prompt), 4);
        scheduler.enqueue(g);
        assertEquals(expectedSteps, stepsToFirstToken(scheduler, g));
    }

    @Test
    void prefillStepsCostChunkOverPrefillRateAndDecodeStepsCostBasePlusPerRequest() {
        Scheduler scheduler = new Scheduler(settings(256, 524_288, false));
        scheduler.enqueue(new Generation(tokens(0, 5000), 2));
        List<Long> nanos = new ArrayList<>();
        while (!scheduler.idle()) {
            nanos.add(scheduler.step().nanos());
        }
        // 2048 + 2048 + 904 prompt tokens at 8000 tok/s, then one decode step of one request.
        assertEquals(List.of(Math.round(2048 / 8000.0 * 1e9), Math.round(2048 / 8000.0 * 1e9),
                Math.round(904 / 8000.0 * 1e9), Math.round(6.35 * MS)), nanos);
    }

    @Test
    void interTokenLatencyGrowsWithTheBatch() {
        long previous = 0;
        for (int batch : new int[] {1, 8, 64, 256}) {
            Scheduler scheduler = new Scheduler(settings(256, 524_288, true));
            for (int i = 0; i < batch; i++) {
                scheduler.enqueue(new Generation(tokens(i * 10, 4), 5));
            }
            scheduler.step(); // prefill (4 × batch tokens) and first tokens
            Scheduler.StepResult decode = scheduler.step();
            assertEquals(batch, decode.decoding());
            assertEquals(0, decode.prefillTokens());
            assertEquals(Math.round((6.0 + 0.35 * batch) * MS), decode.nanos(), "batch " + batch);
            assertTrue(decode.nanos() > previous);
            previous = decode.nanos();
        }
        // About 96 ms per token at the default batch limit.
        assertEquals(95.6, previous / MS, 1e-9);
    }

    @Test
    void aBusyStepLastsAtLeastOneMillisecond() {
        EngineSettings free = new EngineSettings(1e9, 0, 0, 2048, 256, 524_288, 16, true, 8, 4096);
        assertEquals(1_000_000L, free.stepNanos(10, 1));
        Scheduler scheduler = new Scheduler(free);
        assertTrue(scheduler.step().idle(), "nothing to do is not a step");
        scheduler.enqueue(new Generation(tokens(0, 4), 1));
        assertEquals(1_000_000L, scheduler.step().nanos());
    }

    @Test
    void prefillChunkIsSharedByRunningRequestsInAdmissionOrder() {
        Scheduler scheduler = new Scheduler(settings(256, 524_288, false));
        Generation first = new Generation(tokens(0, 1500), 1);
        Generation second = new Generation(tokens(10_000, 1500), 1);
        scheduler.enqueue(first);
        scheduler.enqueue(second);
        Scheduler.StepResult step1 = scheduler.step();
        assertEquals(2048, step1.prefillTokens());
        assertEquals(List.of(first), step1.emissions().stream().map(Scheduler.Emission::generation).toList());
        Scheduler.StepResult step2 = scheduler.step();
        assertEquals(952, step2.prefillTokens()); // what the second had left
        assertEquals(List.of(second), step2.emissions().stream().map(Scheduler.Emission::generation).toList());
    }

    @Test
    void admissionStopsAtMaxRunning() {
        Scheduler scheduler = new Scheduler(settings(2, 524_288, true));
        for (int i = 0; i < 3; i++) {
            scheduler.enqueue(new Generation(tokens(i * 100, 20), 100));
        }
        scheduler.step();
        LoadSnapshot load = scheduler.snapshot();
        assertEquals(2, load.running());
        assertEquals(1, load.waiting());
        assertEquals(20, load.waitingUncachedTokens());
    }

    @Test
    void aRequestWaitsUntilItsUncachedTokensFitInFreeKv() {
        Scheduler scheduler = new Scheduler(settings(256, 160, true));
        Generation big = new Generation(tokens(0, 96), 2);
        Generation next = new Generation(tokens(1000, 96), 2);
        scheduler.enqueue(big);
        scheduler.enqueue(next);
        scheduler.step(); // big admitted (nothing was running); next needs 96 > 160 - 96 free
        assertEquals(1, scheduler.snapshot().running());
        assertEquals(1, scheduler.snapshot().waiting());
        assertEquals(97, scheduler.usedTokens(), "96 prompt tokens in 6 cached blocks plus 1 generated");
        scheduler.step(); // big finishes, its KV is released (its blocks stay cached, evictable)
        assertEquals(1, scheduler.snapshot().waiting());
        Scheduler.StepResult admitted = scheduler.step();
        assertEquals(1, admitted.leftWaiting());
        assertEquals(0, scheduler.snapshot().waiting());
    }

    @Test
    void unpinnedCachedBlocksAreReclaimedToAdmitARequest() {
        Scheduler scheduler = new Scheduler(settings(256, 160, true));
        for (int[] prompt : new int[][] {tokens(0, 64), tokens(1000, 64)}) {
            scheduler.enqueue(new Generation(prompt, 1));
            while (!scheduler.idle()) {
                scheduler.step();
            }
        }
        scheduler.enqueue(new Generation(tokens(2000, 32), 1000)); // keeps running
        scheduler.step();
        assertEquals(129, scheduler.usedTokens(), "8 cached blocks after eviction to the low watermark, plus 1 output");

        // 64 new tokens do not fit next to 129 used, but 96 of those are unpinned cache.
        Generation next = new Generation(tokens(3000, 64), 5);
        scheduler.enqueue(next);
        assertEquals(1, scheduler.step().leftWaiting());
        assertEquals(2, scheduler.snapshot().running());
        assertEquals(0, scheduler.cache().leadingHits(PrefixCache.blockKeys(tokens(0, 64), 16)),
                "the least recently used prefix made room");
        assertTrue(scheduler.usedTokens() <= 160 + 2, "the cache never outgrows the KV; 2 outputs on top");
    }

    @Test
    void aRequestLargerThanTheWholeKvIsAdmittedWhenNothingRuns() {
        Scheduler scheduler = new Scheduler(settings(256, 64, false));
        Generation huge = new Generation(tokens(0, 500), 5);
        scheduler.enqueue(huge);
        assertEquals(1, scheduler.step().leftWaiting());
        assertEquals(1, scheduler.snapshot().running());
    }

    @Test
    void repeatedPrefixIsServedFromTheCacheAndReportedAsCachedTokens() {
        Scheduler scheduler = new Scheduler(settings(256, 524_288, true));
        int[] shared = tokens(0, 100);
        Generation first = new Generation(shared, 1);
        scheduler.enqueue(first);
        assertEquals(0, scheduler.step().emissions().get(0).cachedTokens());

        int[] variant = tokens(0, 110);
        variant[70] = 99_999; // diverges inside the 5th block: 4 full blocks match
        Generation second = new Generation(variant, 1);
        scheduler.enqueue(second);
        assertEquals(110 - 64, scheduler.snapshot().waitingUncachedTokens());
        Scheduler.StepResult step = scheduler.step();
        assertEquals(64, step.emissions().get(0).cachedTokens());
        assertEquals(110 - 64, step.prefillTokens());
    }

    @Test
    void withoutPrefixCacheNothingIsCachedAndKvIsPromptPlusOutput() {
        Scheduler scheduler = new Scheduler(settings(256, 524_288, false));
        scheduler.enqueue(new Generation(tokens(0, 100), 3));
        scheduler.step();
        scheduler.enqueue(new Generation(tokens(0, 100), 3));
        Scheduler.StepResult step = scheduler.step();
        assertEquals(0, step.emissions().get(1).cachedTokens());
        assertEquals(0, scheduler.cache().blocks());
        assertEquals(100 + 2 + 100 + 1, scheduler.usedTokens());
    }

    @Test
    void cancelledRequestsAreDroppedAndReleaseTheirKv() {
        Scheduler scheduler = new Scheduler(settings(1, 524_288, false));
        Generation running = new Generation(tokens(0, 40), 1000);
        Generation waiting = new Generation(tokens(100, 40), 1000);
        scheduler.enqueue(running);
        scheduler.enqueue(waiting);
        scheduler.step();
        assertEquals(41, scheduler.usedTokens());

        running.cancel();
        Scheduler.StepResult step = scheduler.step();
        assertEquals(List.of(running), step.dropped());
        assertEquals(1, step.leftWaiting(), "the waiting request took the freed slot");
        assertEquals(41, scheduler.usedTokens(), "only the newly admitted request holds KV");

        waiting.cancel();
        assertTrue(scheduler.step().idle());
        assertEquals(0, scheduler.usedTokens());
        assertEquals(2, scheduler.snapshot().dropped());
        assertTrue(scheduler.idle());
    }

    @Test
    void cancelledWaitingRequestsAreSweptFromAnywhereInTheQueue() {
        Scheduler scheduler = new Scheduler(settings(1, 524_288, false));
        Generation running = new Generation(tokens(0, 4), 1000);
        Generation a = new Generation(tokens(100, 4), 1);
        Generation b = new Generation(tokens(200, 4), 1);
        scheduler.enqueue(running);
        scheduler.enqueue(a);
        scheduler.enqueue(b);
        scheduler.step();
        b.cancel();
        List<Generation> dropped = new ArrayList<>();
        assertEquals(1, scheduler.sweepCancelledWaiting(dropped));
        assertEquals(List.of(b), dropped);
        assertEquals(1, scheduler.snapshot().waiting());
        assertEquals(4, scheduler.snapshot().waitingUncachedTokens());
    }

    @Test
    void requestsFinishAtTheirOutputLength() {
        Scheduler scheduler = new Scheduler(settings(256, 524_288, true));
        Generation g = new Generation(tokens(0, 10), 3);
        scheduler.enqueue(g);
        List<Scheduler.Emission> seen = new ArrayList<>();
        while (!scheduler.idle()) {
            seen.addAll(scheduler.step().emissions());
        }
        assertEquals(List.of(1, 2, 3), seen.stream().map(Scheduler.Emission::tokens).toList());
        assertEquals(List.of(false, false, true), seen.stream().map(Scheduler.Emission::finished).toList());
        assertEquals(1, scheduler.snapshot().finished());
    }

    @Test
    void cacheHitRateAndGenThroughputAreEwmas() {
        Scheduler scheduler = new Scheduler(settings(256, 524_288, true));
        scheduler.enqueue(new Generation(tokens(0, 64), 50));
        scheduler.step(); // cold: hit 0; one token in a 64/8000 s = 8 ms prefill step
        assertEquals(0.0, scheduler.snapshot().cacheHitRate());
        double sample1 = 1 / 0.008;
        assertEquals(0.3 * sample1, scheduler.snapshot().genThroughput(), 1e-6);

        scheduler.enqueue(new Generation(tokens(0, 80), 50)); // 64 of 80 cached
        scheduler.step(); // prefill 16 tokens (2 ms) < decode of 2 requests (6.7 ms)
        assertEquals(0.2 * 64 / 80, scheduler.snapshot().cacheHitRate(), 1e-12);
        double sample2 = 2 / 0.0067;
        assertEquals(0.3 * sample2 + 0.7 * 0.3 * sample1, scheduler.snapshot().genThroughput(), 1e-6);
    }

    @Test
    void clearReturnsEveryRequestAndLeavesTheSchedulerIdle() {
        Scheduler scheduler = new Scheduler(settings(1, 524_288, true));
        scheduler.enqueue(new Generation(tokens(0, 4), 100));
        scheduler.enqueue(new Generation(tokens(10, 4), 100));
        scheduler.step();
        assertEquals(2, scheduler.clear().size());
        assertTrue(scheduler.idle());
        assertFalse(scheduler.snapshot().running() > 0);
    }
}
