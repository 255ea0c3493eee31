package dev.smg.router.load;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each engine's load endpoint says, as the router reads it; garbage is refused, never read as idle. */
class EngineLoadFormatTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sglangLoadsAreSummedOverRanksWithTheMeanKvShare() throws Exception {
        String body = """
                {"timestamp": "2026-12-03T10:00:00", "dp_rank_count": 2, "loads": [
                  {"dp_rank": 0, "num_running_reqs": 5, "num_waiting_reqs": 2, "token_usage": 0.5, "extra": [1]},
                  {"dp_rank": 1, "num_running_reqs": 3, "num_waiting_reqs": 0, "token_usage": 0.25}]}""";
        EngineLoad load = EngineLoadFormat.SGLANG_LOADS.parse(bytes(body));
        assertEquals(new EngineLoad(8, 2, 0.375), load);
    }

    @Test
    void olderSglangGetLoadHasNoKvShare() throws Exception {
        EngineLoad load = EngineLoadFormat.SGLANG_GET_LOAD.parse(bytes(
                "[{\"dp_rank\": 0, \"num_reqs\": 4, \"num_waiting_reqs\": 1, \"num_tokens\": 900}]"));
        assertEquals(4, load.running());
        assertEquals(1, load.waiting());
        assertFalse(load.kvKnown());
    }

    @Test
    void vllmMetricsAreSummedOverSeriesAndTheOldKvNameIsRead() throws Exception {
        String text = """
                # HELP vllm:num_requests_running Number of requests in model execution batches.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{engine="0",model_name="m"} 3.0
                vllm:num_requests_running{engine="1",model_name="m"} 4.0
                vllm:num_requests_waiting{engine="0",model_name="m"} 2.0
                vllm:num_requests_waiting{engine="1",model_name="m"} 0.0
                vllm:gpu_cache_usage_perc{engine="0",model_name="m"} 0.8
                vllm:gpu_cache_usage_perc{engine="1",model_name="m"} 0.4
                vllm:num_requests_running_total_not_this 99
                """;
        EngineLoad load = EngineLoadFormat.PROMETHEUS.parse(bytes(text));
        assertEquals(7, load.running());
        assertEquals(2, load.waiting());
        assertEquals(0.6, load.kvUsage(), 1e-9);
    }

    @Test
    void sglangMetricsWithUnderscoresAndTimestamps() throws Exception {
        String text = "sglang_num_running_reqs{model_name=\"m\"} 6 1733220000000\n"
                + "sglang_num_queue_reqs{model_name=\"m\"} 9\nsglang_token_usage{model_name=\"m\"} 0.9\n";
        assertEquals(new EngineLoad(6, 9, 0.9), EngineLoadFormat.PROMETHEUS.parse(bytes(text)));
    }

    @Test
    void garbageIsRefused() {
        for (String garbage : new String[] {"<html>oops</html>", "{}", "{\"loads\": []}", "{\"loads\": [1]}",
                "{\"loads\": [{\"num_running_reqs\": -1}]}", "{\"loads\": [{\"num_running_reqs\": \"x\"}]}", ""}) {
            assertThrows(EngineLoadFormat.MalformedLoadException.class,
                    () -> EngineLoadFormat.SGLANG_LOADS.parse(bytes(garbage)), garbage);
        }
        assertThrows(EngineLoadFormat.MalformedLoadException.class,
                () -> EngineLoadFormat.PROMETHEUS.parse(bytes("go_goroutines 12\n")));
        assertThrows(EngineLoadFormat.MalformedLoadException.class,
                () -> EngineLoadFormat.PROMETHEUS.parse(bytes("vllm:num_requests_running{a=\"b\"} NaN\n")));
        assertThrows(EngineLoadFormat.MalformedLoadException.class,
                () -> EngineLoadFormat.SGLANG_GET_LOAD.parse(bytes("[]")));
    }

    @Test
    void kvShareOutOfRangeIsClamped() throws Exception {
        EngineLoad load = EngineLoadFormat.SGLANG_LOADS.parse(bytes(
                "{\"loads\": [{\"num_running_reqs\": 1, \"num_waiting_reqs\": 0, \"token_usage\": 1.7}]}"));
        assertTrue(load.kvKnown());
        assertEquals(1.0, load.kvUsage());
    }
}
