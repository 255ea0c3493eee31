package dev.smg.api.cli;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.Optional;

/**
 * One command line flag: its name, how many values it takes, its default, and a one-line
 * description. The default is declared here and nowhere else: {@code --help} shows it and
 * {@link ParsedArgs} returns it when the flag is absent, so the two cannot disagree.
 *
 * @param name         long name including the leading dashes, e.g. {@code --port}
 * @param arity        whether the flag is a switch, takes one value, or a list of values
 * @param defaultValue the value parsing uses when the flag is absent; empty when there is none, or
 *                     when the program works the default out itself (then {@code defaultText} says how)
 * @param defaultText  the default as shown to users: the value itself, a description, or "" for none
 * @param help         one-line description
 */
public record Flag(String name, Arity arity, Optional<String> defaultValue, String defaultText, String help) {
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
        Objects.requireNonNull(defaultValue);
        Objects.requireNonNull(defaultText);
        Objects.requireNonNull(help);
        if (!name.startsWith("--")) {
            throw new IllegalArgumentException("flag names start with --: " + name);
        }
        if (defaultValue.isPresent() && (defaultValue.get().isEmpty() || !defaultValue.get().equals(defaultText))) {
            throw new IllegalArgumentException(name + ": a default value is shown as itself and is never empty");
        }
    }

    /** A switch; absent means false. */
    public static Flag toggle(String name, String help) {
        return new Flag(name, Arity.SWITCH, Optional.of("false"), "false", help);
    }

    /** A flag with one value and a default parsing uses when it is absent. */
    public static Flag value(String name, String defaultValue, String help) {
        return new Flag(name, Arity.VALUE, Optional.of(defaultValue), defaultValue, help);
    }

    /** A whole-number flag; the default is written as a number, once. */
    public static Flag value(String name, long defaultValue, String help) {
        return value(name, String.valueOf(defaultValue), help);
    }

    /** A decimal flag; the default is shown without trailing zeros ({@code 1.5}, {@code 8000}). */
    public static Flag value(String name, double defaultValue, String help) {
        return value(name, BigDecimal.valueOf(defaultValue).stripTrailingZeros().toPlainString(), help);
    }

    /** A flag with one value and no default: absent means "none". */
    public static Flag value(String name, String help) {
        return new Flag(name, Arity.VALUE, Optional.empty(), "", help);
    }

    /**
     * A flag whose default the program works out when it is absent (from another flag, the
     * environment, chance); {@code description} says how, in {@code --help}.
     */
    public static Flag described(String name, String description, String help) {
        if (description.isEmpty()) {
            throw new IllegalArgumentException(name + ": describe the default");
        }
        return new Flag(name, Arity.VALUE, Optional.empty(), description, help);
    }

    /** A list flag; absent means an empty list. */
    public static Flag list(String name, String help) {
        return new Flag(name, Arity.LIST, Optional.empty(), "", help);
    }
}
