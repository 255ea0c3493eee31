package dev.smg.router.load;

import java.nio.charset.StandardCharsets;

/**
 * Reads an engine's load from its Prometheus text exposition: the running and waiting request
 * gauges and the KV-cache share, summed (requests) or averaged (KV share) over every series, as an
 * engine with several models or ranks exposes one series each. vLLM names them
 * {@code vllm:num_requests_running}, {@code vllm:num_requests_waiting} and {@code vllm:kv_cache_usage_perc}
 * (before v0.10: {@code vllm:gpu_cache_usage_perc}; a share 0..1 despite the name); SGLang
 * {@code sglang:num_running_reqs}, {@code sglang:num_queue_reqs} and {@code sglang:token_usage}
 * (or with {@code _} for {@code :}). A text without the running gauge is not an engine's.
 */
final class PrometheusLoad {
    private static final String[] RUNNING = {"vllm:num_requests_running", "sglang:num_running_reqs",
            "sglang_num_running_reqs"};
    private static final String[] WAITING = {"vllm:num_requests_waiting", "sglang:num_queue_reqs",
            "sglang_num_queue_reqs"};
    private static final String[] KV = {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage",
            "sglang_token_usage"};

    private PrometheusLoad() {
    }

    static EngineLoad parse(byte[] body) throws EngineLoadFormat.MalformedLoadException {
        String text = new String(body, StandardCharsets.UTF_8);
        double running = 0;
        double waiting = 0;
        double kv = 0;
        int runningSeries = 0;
        int kvSeries = 0;
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            String name = metricName(line);
            if (matches(name, RUNNING)) {
                running += value(line);
                runningSeries++;
            } else if (matches(name, WAITING)) {
                waiting += value(line);
            } else if (matches(name, KV)) {
                kv += value(line);
                kvSeries++;
            }
        }
        if (runningSeries == 0) {
            throw new EngineLoadFormat.MalformedLoadException("no running-requests gauge");
        }
        if (running < 0 || waiting < 0) {
            throw new EngineLoadFormat.MalformedLoadException("negative request gauge");
        }
        return new EngineLoad(EngineLoadFormat.clamp(Math.round(running)), EngineLoadFormat.clamp(Math.round(waiting)),
                kvSeries == 0 ? Double.NaN : kv / kvSeries);
    }

    private static String metricName(String line) {
        int end = 0;
        while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
            end++;
        }
        return line.substring(0, end);
    }

    private static boolean matches(String name, String[] names) {
        for (String n : names) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** The sample value: the first field after the name and labels (a timestamp may follow). */
    private static double value(String line) throws EngineLoadFormat.MalformedLoadException {
        int labelsEnd = line.lastIndexOf('}');
        String rest = (labelsEnd >= 0 ? line.substring(labelsEnd + 1) : line.substring(metricName(line).length())).trim();
        int space = rest.indexOf(' ');
        String number = space >= 0 ? rest.substring(0, space) : rest;
        try {
            double v = Double.parseDouble(number);
            if (!Double.isFinite(v)) {
                throw new EngineLoadFormat.MalformedLoadException("a load gauge is not finite");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new EngineLoadFormat.MalformedLoadException("a load gauge's value is not a number");
        }
    }
}
