package dev.smg.router.load;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The load endpoints engines serve, tried in this order until one answers, and how each answer is
 * read. Parsing is strict about shape (a garbage answer is {@link MalformedLoadException}, never a
 * zero load) and lenient about extra fields.
 */
enum EngineLoadFormat {
    /** SGLang (and smg's mock): {@code {"loads": [{"num_running_reqs", "num_waiting_reqs", "token_usage"}, ...]}}. */
    SGLANG_LOADS("/v1/loads") {
        @Override
        EngineLoad parse(byte[] body) throws MalformedLoadException {
            Object root = json(body);
            if (!(root instanceof Map<?, ?> map) || !(map.get("loads") instanceof List<?> ranks) || ranks.isEmpty()) {
                throw new MalformedLoadException("no \"loads\" array");
            }
            return sumRanks(ranks, "num_running_reqs", "num_waiting_reqs", "token_usage");
        }
    },
    /** Older SGLang: {@code [{"num_reqs", "num_waiting_reqs", "num_tokens"}, ...]}, one entry per rank; no KV share. */
    SGLANG_GET_LOAD("/get_load") {
        @Override
        EngineLoad parse(byte[] body) throws MalformedLoadException {
            Object root = json(body);
            List<?> ranks = root instanceof List<?> list ? list : root instanceof Map<?, ?> one ? List.of(one) : null;
            if (ranks == null || ranks.isEmpty()) {
                throw new MalformedLoadException("not a list of rank loads");
            }
            return sumRanks(ranks, "num_reqs", "num_waiting_reqs", null);
        }
    },
    /** vLLM ({@code vllm:num_requests_running}, ...) or SGLang ({@code sglang:num_running_reqs}, ...) Prometheus gauges. */
    PROMETHEUS("/metrics") {
        @Override
        EngineLoad parse(byte[] body) throws MalformedLoadException {
            return PrometheusLoad.parse(body);
        }
    };

    private final String path;

    EngineLoadFormat(String path) {
        this.path = path;
    }

    String path() {
        return path;
    }

    abstract EngineLoad parse(byte[] body) throws MalformedLoadException;

    private static Object json(byte[] body) throws MalformedLoadException {
        try {
            return JSON.std.anyFrom(body);
        } catch (IOException | RuntimeException e) {
            throw new MalformedLoadException("not JSON");
        }
    }

    private static EngineLoad sumRanks(List<?> ranks, String runningField, String waitingField, String kvField)
            throws MalformedLoadException {
        long running = 0;
        long waiting = 0;
        double kv = 0;
        int kvRanks = 0;
        for (Object rank : ranks) {
            if (!(rank instanceof Map<?, ?> r)) {
                throw new MalformedLoadException("a rank's load is not an object");
            }
            running += count(r, runningField);
            waiting += r.containsKey(waitingField) ? count(r, waitingField) : 0;
            Optional<Double> usage = kvField == null ? Optional.empty() : fraction(r.get(kvField));
            if (usage.isPresent()) {
                kv += usage.get();
                kvRanks++;
            }
        }
        return new EngineLoad(clamp(running), clamp(waiting), kvRanks == 0 ? Double.NaN : kv / kvRanks);
    }

    private static long count(Map<?, ?> rank, String field) throws MalformedLoadException {
        if (!(rank.get(field) instanceof Number n) || n.doubleValue() < 0 || !Double.isFinite(n.doubleValue())) {
            throw new MalformedLoadException("\"" + field + "\" is not a count");
        }
        return n.longValue();
    }

    private static Optional<Double> fraction(Object value) {
        return value instanceof Number n && Double.isFinite(n.doubleValue()) && n.doubleValue() >= 0
                ? Optional.of(n.doubleValue()) : Optional.empty();
    }

    static int clamp(long count) {
        return (int) Math.min(Integer.MAX_VALUE, count);
    }

    /** The engine answered, but not with a load this format can read. */
    static final class MalformedLoadException extends Exception {
        MalformedLoadException(String message) {
            super(message, null, false, false);
        }
    }
}
