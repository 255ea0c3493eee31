package dev.smg.router.worker;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerWeightTest {
    private static final WorkerUrl URL = WorkerUrl.parse("http://a:1");

    @Test
    void weightDefaultsToOneAndIsBoundedToOneThousand() {
        assertEquals(1, WorkerSpec.of(URL).weight());
        assertEquals(1, new WorkerSpec(URL, List.of(), Optional.empty(), Map.of()).weight());
        assertEquals(1000, WorkerSpec.of(URL, 1000).weight());
        for (int bad : new int[] {0, -1, 1001}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkerSpec.of(URL, bad));
            assertEquals("weight must be an integer from 1 to 1000, got " + bad, e.getMessage());
        }
    }

    @Test
    void aNewWeightIsTakenInPlaceKeepingStatusAndInFlightCount() {
        WorkerRegistry registry = new WorkerRegistry();
        Worker w = registry.add(new WorkerSpec(URL, List.of("m"), Optional.of("k"), Map.of("zone", "a"), 2));
        w.activate(List.of());
        Worker.Lease lease = w.acquire();

        assertTrue(w.reweigh(w.spec().withWeight(5)));
        assertEquals(5, w.weight());
        assertEquals(WorkerStatus.READY, w.status());
        assertEquals(1, w.inFlight());
        assertSame(w, registry.find(URL).orElseThrow());
        lease.close();
        assertEquals(0, w.inFlight());
    }

    @Test
    void anyOtherChangeIsNotTakenInPlace() {
        Worker w = new Worker("id", URL, List.of("m"), Optional.empty());
        WorkerSpec otherModels = new WorkerSpec(URL, List.of("n"), Optional.empty(), Map.of(), 5);
        assertFalse(w.reweigh(otherModels));
        assertEquals(1, w.weight());
        assertEquals(List.of("m"), w.models());
    }
}
