package dev.smg.api.ha;

import dev.smg.proto.ha.WorkerSpecValue;
import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The replicated worker spec: every field round-trips, and the weight stays compatible with older writers. */
class WorkerSpecCodecTest {
    private static final WorkerUrl URL = WorkerUrl.parse("http://w:8000");

    @Test
    void aSpecRoundTripsWithItsWeight() {
        WorkerSpec spec = new WorkerSpec(URL, List.of("m"), Optional.of("key"), Map.of("zone", "a"), 7);
        assertEquals(7, WorkerSync.specValue(spec).getWeight());
        assertEquals(spec, WorkerSync.spec(WorkerSync.specValue(spec)));
    }

    @Test
    void theDefaultWeightIsNotOnTheWireAndAMissingOneReadsAsOne() {
        WorkerSpecValue plain = WorkerSync.specValue(WorkerSpec.of(URL));
        // Byte for byte what a writer from before weights sends, so mixed versions see no change to apply.
        assertFalse(plain.toByteString().isEmpty());
        assertEquals(WorkerSpecValue.newBuilder().setUrl(URL.toString()).build(), plain);
        WorkerSpecValue olderWriter = WorkerSpecValue.newBuilder().setUrl(URL.toString()).build();
        assertEquals(1, WorkerSync.spec(olderWriter).weight());
    }
}
