package dev.smg.api.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ordered set of flags, grouped for {@code --help}, with a strict parser: an unknown flag, a
 * missing value or a stray positional argument is a {@link CliException} naming it. The one table of
 * a command's flags: it yields the help text, the parser, and (through {@link ParsedArgs}) every
 * default.
 */
public final class FlagSet {
    private final String usage;
    private final Map<String, Flag> flags = new LinkedHashMap<>();
    private final Map<String, List<Flag>> groups = new LinkedHashMap<>();

    public FlagSet(String usage) {
        this.usage = usage;
    }

    public FlagSet group(String title, Flag... members) {
        List<Flag> list = groups.computeIfAbsent(title, t -> new ArrayList<>());
        for (Flag flag : members) {
            if (flags.putIfAbsent(flag.name(), flag) != null) {
                throw new IllegalArgumentException("duplicate flag " + flag.name());
            }
            list.add(flag);
        }
        return this;
    }

    public ParsedArgs parse(String[] args) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        int i = 0;
        while (i < args.length) {
            String token = args[i++];
            if (!token.startsWith("--") || token.equals("--")) {
                throw new CliException("unexpected argument '" + token + "' (flags start with --; see --help)");
            }
            String name = token;
            String inline = null;
            int eq = token.indexOf('=');
            if (eq > 0) {
                name = token.substring(0, eq);
                inline = token.substring(eq + 1);
            }
            Flag flag = flags.get(name);
            if (flag == null) {
                throw new CliException("unknown flag " + name + " (see --help)");
            }
            switch (flag.arity()) {
                case SWITCH -> {
                    String v = inline == null ? "true" : inline.toLowerCase();
                    if (!v.equals("true") && !v.equals("false")) {
                        throw new CliException(name + ": expected true or false, got '" + inline + "'");
                    }
                    values.put(name, List.of(v));
                }
                case VALUE -> {
                    String v = inline;
                    if (v == null) {
                        if (i >= args.length || isFlag(args[i])) {
                            throw new CliException(name + ": missing value");
                        }
                        v = args[i++];
                    }
                    values.put(name, List.of(v));
                }
                case LIST -> {
                    List<String> list = new ArrayList<>(values.getOrDefault(name, List.of()));
                    int before = list.size();
                    if (inline != null) {
                        list.add(inline);
                    } else {
                        while (i < args.length && !isFlag(args[i])) {
                            list.add(args[i++]);
                        }
                    }
                    if (list.size() == before) {
                        throw new CliException(name + ": missing value");
                    }
                    values.put(name, List.copyOf(list));
                }
            }
        }
        return new ParsedArgs(values, flags);
    }

    /** Every flag, in the order of {@code --help}. */
    public List<Flag> flags() {
        return List.copyOf(flags.values());
    }

    private static boolean isFlag(String token) {
        // "-5" is a value, "--x" is a flag.
        return token.startsWith("--") && token.length() > 2;
    }

    /** The help text: usage line, then each group with every flag and its default. */
    public String help() {
        StringBuilder out = new StringBuilder(usage).append("\n");
        int width = flags.values().stream().mapToInt(f -> label(f).length()).max().orElse(10) + 2;
        for (Map.Entry<String, List<Flag>> group : groups.entrySet()) {
            out.append("\n").append(group.getKey()).append(":\n");
            for (Flag flag : group.getValue()) {
                String label = label(flag);
                out.append("  ").append(label).append(" ".repeat(Math.max(1, width - label.length())))
                        .append(flag.help());
                out.append(" [default: ").append(flag.defaultText().isEmpty() ? "none" : flag.defaultText())
                        .append("]\n");
            }
        }
        return out.toString();
    }

    private static String label(Flag flag) {
        return switch (flag.arity()) {
            case SWITCH -> flag.name();
            case VALUE -> flag.name() + " V";
            case LIST -> flag.name() + " V...";
        };
    }
}
