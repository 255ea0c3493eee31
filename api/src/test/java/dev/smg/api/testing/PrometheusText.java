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

    private PrometheusText(List<Sample> samples) {
        this.samples = samples;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
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
        return new PrometheusText(samples);
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
