package dev.smg.api.cli;

import java.util.Objects;

/**
 * One command line flag: its name, how many values it takes, the default shown in {@code --help},
 * and a one-line description.
 *
 * @param name        long name including the leading dashes, e.g. {@code --port}
 * @param arity       whether the flag is a switch, takes one value, or a list of values
 * @param defaultText the default as shown to users ("" when there is none)
 * @param help        one-line description
 */
public record Flag(String name, Arity arity, String defaultText, String help) {
    public enum Arity {
        /** Present or absent; {@code --flag=true|false} is accepted too. */
        SWITCH,
        /** Exactly one value: {@code --flag V} or {@code --flag=V}; given twice, the last wins. */
        VALUE,
        /** One or more values up to the next flag; repeating the flag appends. */
        LIST
    }

    public Flag {
        Objects.requireNonNull(name);
        Objects.requireNonNull(arity);
        Objects.requireNonNull(defaultText);
        Objects.requireNonNull(help);
        if (!name.startsWith("--")) {
            throw new IllegalArgumentException("flag names start with --: " + name);
        }
    }

    public static Flag toggle(String name, String help) {
        return new Flag(name, Arity.SWITCH, "false", help);
    }

    public static Flag value(String name, String defaultText, String help) {
        return new Flag(name, Arity.VALUE, defaultText, help);
    }

    public static Flag list(String name, String defaultText, String help) {
        return new Flag(name, Arity.LIST, defaultText, help);
    }
}
