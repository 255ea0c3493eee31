package dev.smg.api.config;

import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;

/**
 * One {@code --worker-urls} value: a URL, then options after commas, {@code URL[,weight=N]}, e.g.
 * {@code http://w1:8000,weight=3}. A comma cannot be part of the URL here (none of a worker's base
 * URLs needs one).
 */
final class WorkerArgument {
    private WorkerArgument() {
    }

    /** @throws IllegalArgumentException with a message that names the value and what is wrong with it */
    static WorkerSpec parse(String raw) {
        String[] parts = raw.split(",", -1);
        WorkerUrl url = WorkerUrl.parse(parts[0]);
        Integer weight = null;
        for (int i = 1; i < parts.length; i++) {
            String option = parts[i];
            int eq = option.indexOf('=');
            String name = eq < 0 ? option : option.substring(0, eq);
            if (!name.equals("weight")) {
                throw new IllegalArgumentException("'" + raw + "': unknown option '" + option
                        + "' (the options are: weight=N)");
            }
            if (weight != null) {
                throw new IllegalArgumentException("'" + raw + "': weight is given twice");
            }
            String value = eq < 0 ? "" : option.substring(eq + 1);
            try {
                weight = WorkerSpec.checkWeight(parseWeight(value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + raw + "': " + e.getMessage());
            }
        }
        return WorkerSpec.of(url, weight == null ? WorkerSpec.DEFAULT_WEIGHT : weight);
    }

    private static long parseWeight(String value) {
        if (!value.matches("-?[0-9]{1,9}")) {
            throw new IllegalArgumentException("weight must be an integer from " + WorkerSpec.MIN_WEIGHT + " to "
                    + WorkerSpec.MAX_WEIGHT + ", got '" + value + "'");
        }
        return Long.parseLong(value);
    }
}
