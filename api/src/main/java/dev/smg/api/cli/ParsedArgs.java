package dev.smg.api.cli;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * The flags given on a command line, with typed accessors. A flag that is absent reads as its
 * default from the flag table ({@link Flag#defaultValue}), so no caller writes a default of its own.
 * Every conversion failure is a {@link CliException} whose message names the flag and the bad value;
 * asking for a flag the table does not declare, or for the value of a flag that has no default, is
 * a programming error ({@link IllegalStateException}).
 */
public final class ParsedArgs {
    private final Map<String, List<String>> values;
    private final Map<String, Flag> table;

    ParsedArgs(Map<String, List<String>> values, Map<String, Flag> table) {
        this.values = Map.copyOf(values);
        this.table = Map.copyOf(table);
    }

    private Flag declared(String flag) {
        Flag f = table.get(flag);
        if (f == null) {
            throw new IllegalStateException(flag + " is not in the flag table");
        }
        return f;
    }

    /** Whether the flag was given on the command line (its default does not count). */
    public boolean has(String flag) {
        declared(flag);
        return values.containsKey(flag);
    }

    public boolean enabled(String flag) {
        return value(flag).equals("true");
    }

    /** The given value, else the table's default; empty when the flag has no default value. */
    public Optional<String> string(String flag) {
        List<String> v = values.get(flag);
        return v == null ? declared(flag).defaultValue() : Optional.of(v.get(0));
    }

    /** The given value, else the table's default, which this flag must have. */
    public String value(String flag) {
        return string(flag).orElseThrow(() -> new IllegalStateException(flag + " has no default in the flag table"));
    }

    /** All values of a list flag; each value may itself hold several space-separated entries. */
    public List<String> list(String flag) {
        declared(flag);
        return values.getOrDefault(flag, List.of()).stream()
                .flatMap(v -> java.util.Arrays.stream(v.trim().split("\\s+")))
                .filter(s -> !s.isEmpty())
                .toList();
    }

    public String choice(String flag, List<String> allowed) {
        String v = value(flag);
        if (!allowed.contains(v)) {
            throw new CliException(flag + ": '" + v + "' is not one of " + String.join(", ", allowed));
        }
        return v;
    }

    public long longValue(String flag, long min, long max) {
        return parseLong(flag, value(flag), min, max);
    }

    public int intValue(String flag, int min, int max) {
        return (int) longValue(flag, min, max);
    }

    /** A whole number for a flag without a default value: empty when absent. */
    public OptionalLong optionalLong(String flag, long min, long max) {
        Optional<String> raw = string(flag);
        return raw.isEmpty() ? OptionalLong.empty() : OptionalLong.of(parseLong(flag, raw.get(), min, max));
    }

    public double doubleValue(String flag, double min, double max) {
        return parseDouble(flag, value(flag), min, max);
    }

    /** A number for a flag without a default value: empty when absent. */
    public OptionalDouble optionalDouble(String flag, double min, double max) {
        Optional<String> raw = string(flag);
        return raw.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(parseDouble(flag, raw.get(), min, max));
    }

    private static long parseLong(String flag, String raw, long min, long max) {
        long v;
        try {
            v = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new CliException(flag + ": '" + raw + "' is not an integer");
        }
        if (v < min || v > max) {
            throw new CliException(flag + ": " + v + " is out of range [" + min + ", " + max + "]");
        }
        return v;
    }

    private static double parseDouble(String flag, String raw, double min, double max) {
        double v;
        try {
            v = Double.parseDouble(raw.trim());
        } catch (NumberFormatException e) {
            throw new CliException(flag + ": '" + raw + "' is not a number");
        }
        if (!Double.isFinite(v) || v < min || v > max) {
            throw new CliException(flag + ": " + raw + " is out of range [" + min + ", " + max + "]");
        }
        return v;
    }

    public String matching(String flag, Predicate<String> valid, String expectation) {
        String v = value(flag);
        if (!valid.test(v)) {
            throw new CliException(flag + ": '" + v + "' is not " + expectation);
        }
        return v;
    }

    /** A host name or IP literal; names are not resolved here (DNS may not be up yet at start). */
    public String host(String flag) {
        return matching(flag, ParsedArgs::looksLikeHost, "a host name or IP address");
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
