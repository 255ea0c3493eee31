package dev.smg.api.cli;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The flags actually given on a command line, with typed accessors. Every conversion failure is a
 * {@link CliException} whose message names the flag and the bad value.
 */
public final class ParsedArgs {
    private final Map<String, List<String>> values;

    ParsedArgs(Map<String, List<String>> values) {
        this.values = Map.copyOf(values);
    }

    public boolean has(String flag) {
        return values.containsKey(flag);
    }

    public boolean enabled(String flag) {
        return values.getOrDefault(flag, List.of("false")).get(0).equals("true");
    }

    public Optional<String> string(String flag) {
        List<String> v = values.get(flag);
        return v == null ? Optional.empty() : Optional.of(v.get(0));
    }

    public String string(String flag, String fallback) {
        return string(flag).orElse(fallback);
    }

    /** All values of a list flag; each value may itself hold several space-separated entries. */
    public List<String> list(String flag) {
        return values.getOrDefault(flag, List.of()).stream()
                .flatMap(v -> java.util.Arrays.stream(v.trim().split("\\s+")))
                .filter(s -> !s.isEmpty())
                .toList();
    }

    public String choice(String flag, String fallback, List<String> allowed) {
        String v = string(flag, fallback);
        if (!allowed.contains(v)) {
            throw new CliException(flag + ": '" + v + "' is not one of " + String.join(", ", allowed));
        }
        return v;
    }

    public long longValue(String flag, long fallback, long min, long max) {
        Optional<String> raw = string(flag);
        if (raw.isEmpty()) {
            return fallback;
        }
        long v;
        try {
            v = Long.parseLong(raw.get().trim());
        } catch (NumberFormatException e) {
            throw new CliException(flag + ": '" + raw.get() + "' is not an integer");
        }
        if (v < min || v > max) {
            throw new CliException(flag + ": " + v + " is out of range [" + min + ", " + max + "]");
        }
        return v;
    }

    public int intValue(String flag, int fallback, int min, int max) {
        return (int) longValue(flag, fallback, min, max);
    }

    public double doubleValue(String flag, double fallback, double min, double max) {
        Optional<String> raw = string(flag);
        if (raw.isEmpty()) {
            return fallback;
        }
        double v;
        try {
            v = Double.parseDouble(raw.get().trim());
        } catch (NumberFormatException e) {
            throw new CliException(flag + ": '" + raw.get() + "' is not a number");
        }
        if (!Double.isFinite(v) || v < min || v > max) {
            throw new CliException(flag + ": " + raw.get() + " is out of range [" + min + ", " + max + "]");
        }
        return v;
    }

    public String matching(String flag, String fallback, Predicate<String> valid, String expectation) {
        String v = string(flag, fallback);
        if (!valid.test(v)) {
            throw new CliException(flag + ": '" + v + "' is not " + expectation);
        }
        return v;
    }

    /** A host name or IP literal; names are not resolved here (DNS may not be up yet at start). */
    public String host(String flag, String fallback) {
        return matching(flag, fallback, ParsedArgs::looksLikeHost, "a host name or IP address");
    }

    static boolean looksLikeHost(String v) {
        if (v == null || v.isEmpty() || v.length() > 253) {
            return false;
        }
        if (v.contains(":")) {
            String literal = v.startsWith("[") && v.endsWith("]") ? v.substring(1, v.length() - 1) : v;
            if (!literal.matches("[0-9A-Fa-f:.%a-zA-Z0-9]+")) {
                return false;
            }
            try {
                // A string with ':' is parsed as an IPv6 literal, never looked up in DNS.
                InetAddress.getByName(literal);
                return true;
            } catch (java.net.UnknownHostException | SecurityException e) {
                return false;
            }
        }
        return v.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?") && !v.contains("..");
    }
}
