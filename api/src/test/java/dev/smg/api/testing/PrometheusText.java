package dev.smg.api.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small parser of the Prometheus text exposition format, so tests read metrics back the way a
 * scraper would instead of grepping strings.
 */
public final class PrometheusText {
    /** One sample line: metric name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    /** Family name -> its TYPE, for families that also have a HELP line. */
    private final Map<String, String> families;

    private PrometheusText(List<Sample> samples, Map<String, String> families) {
        this.samples = samples;
        this.families = families;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        java.util.Set<String> helped = new java.util.HashSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ") || line.startsWith("# HELP ")) {
                String[] words = line.split(" ", 4);
                if (words.length >= 3 && words[1].equals("TYPE")) {
                    types.put(words[2], words.length > 3 ? words[3].trim() : "");
                } else if (words.length >= 3) {
                    helped.add(words[2]);
                }
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space;
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < line.indexOf(' ')) {
                name = line.substring(0, brace);
                int end = parseLabels(line, brace + 1, labels);
                space = end + 1;
            } else {
                space = line.indexOf(' ');
                name = line.substring(0, space);
            }
            String rest = line.substring(space).trim();
            String value = rest.split("\\s+")[0];
            samples.add(new Sample(name, labels, Double.parseDouble(value.replace("+Inf", "Infinity"))));
        }
        types.keySet().retainAll(helped);
        return new PrometheusText(samples, types);
    }

    /** Parses {@code a="x",b="y"} from {@code start}; returns the index of the closing brace. */
    private static int parseLabels(String line, int start, Map<String, String> labels) {
        int i = start;
        while (line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String key = line.substring(i, eq).trim();
            StringBuilder value = new StringBuilder();
            int j = eq + 2; // skip ="
            while (line.charAt(j) != '"') {
                if (line.charAt(j) == '\\') {
                    j++;
                    char c = line.charAt(j);
                    value.append(c == 'n' ? '\n' : c);
                } else {
                    value.append(line.charAt(j));
                }
                j++;
            }
            labels.put(key, value.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i;
    }

    /**
     * Whether {@code series} (a name as PromQL selects it, e.g. {@code x_total} or {@code x_bucket})
     * has samples here and belongs to a family declared with HELP and TYPE: the family of that name, or
     * for {@code _bucket}, {@code _count}, {@code _sum} the histogram or summary it is part of, or for
     * {@code _total} the counter named without it (OpenMetrics declares counters so).
     */
    public boolean exposes(String series) {
        if (samples(series).isEmpty()) {
            return false;
        }
        if (families.containsKey(series)) {
            return true;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum", "_total")) {
            if (series.endsWith(suffix)) {
                String type = families.get(series.substring(0, series.length() - suffix.length()));
                if (type != null && (suffix.equals("_total") ? type.equals("counter")
                        : type.equals("histogram") || (type.equals("summary") && !suffix.equals("_bucket")))) {
                    return true;
                }
            }
        }
        return false;
    }

    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** Sum of the samples of {@code name} whose labels include all of {@code labels} (k, v, k, v...). */
    public double sum(String name, String... labels) {
        double total = 0;
        for (Sample s : samples(name)) {
            boolean match = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                match &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (match) {
                total += s.value();
            }
        }
        return total;
    }
}
