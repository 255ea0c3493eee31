package dev.smg.router.worker;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerRegistryTest {
    @Test
    void aSnapshotTakenBeforeAChangeIsNotAffectedByIt() {
        WorkerRegistry registry = new WorkerRegistry();
        Worker a = registry.add(WorkerUrl.parse("http://a:1"), List.of(), Optional.empty());
        List<Worker> before = registry.snapshot();
        registry.add(WorkerUrl.parse("http://b:1"), List.of(), Optional.empty());
        assertEquals(1, before.size());
        assertEquals(2, registry.snapshot().size());
        assertNotSame(before, registry.snapshot());
        registry.remove(a.id());
        assertEquals(1, before.size());
        assertEquals(List.of("http://b:1"), registry.snapshot().stream().map(Worker::toString).toList());
    }

    @Test
    void duplicateUrlIsRefused() {
        WorkerRegistry registry = new WorkerRegistry();
        registry.add(WorkerUrl.parse("http://a:1"), List.of(), Optional.empty());
        assertThrows(IllegalStateException.class,
                () -> registry.add(WorkerUrl.parse("http://A:1/"), List.of(), Optional.empty()));
    }

    @Test
    void leaseReleasesExactlyOnce() {
        Worker w = new Worker("id", WorkerUrl.parse("http://a:1"), List.of(), Optional.empty());
        Worker.Lease first = w.acquire();
        Worker.Lease second = w.acquire();
        assertEquals(2, w.inFlight());
        first.close();
        first.close();
        assertEquals(1, w.inFlight());
        second.close();
        assertEquals(0, w.inFlight());
    }

    @Test
    void emptyModelListServesAnyModel() {
        Worker any = new Worker("1", WorkerUrl.parse("http://a:1"), List.of(), Optional.empty());
        Worker llama = new Worker("2", WorkerUrl.parse("http://b:1"), List.of("llama"), Optional.empty());
        assertTrue(any.serves("gpt"));
        assertTrue(llama.serves("llama"));
        assertTrue(!llama.serves("gpt"));
    }
}
