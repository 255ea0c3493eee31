package dev.smg.api.logging;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;

/**
 * Per-component log levels from the environment: {@code SMG_LOG=mesh=debug,router=info}, or the
 * seed's Rust form {@code RUST_LOG=smg::mesh=debug} (a bare level such as {@code RUST_LOG=warn}
 * sets every smg component). Components are the modules: {@code mesh}, {@code router}, {@code api}
 * (deeper names such as {@code mesh.membership} work too). Unknown levels are ignored with a
 * warning rather than stopping the process: logging must never be why a router does not start.
 */
public final class ComponentLevels {
    private ComponentLevels() {
    }

    /** Logger name ("dev.smg" or "dev.smg.mesh"...) to level, in the order given. */
    public static Map<String, Level> parse(String spec, java.util.function.Consumer<String> warn) {
        Map<String, Level> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String raw : spec.split("[,\\s]+")) {
            String item = raw.trim();
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            String target = eq < 0 ? "" : item.substring(0, eq).trim();
            String levelText = eq < 0 ? item : item.substring(eq + 1).trim();
            Optional<Level> level = level(levelText);
            if (level.isEmpty()) {
                warn.accept("ignoring log setting '" + item + "': unknown level '" + levelText + "'");
                continue;
            }
            String component = target.replace("::", ".");
            if (component.equals("smg") || component.startsWith("smg.")) {
                component = component.equals("smg") ? "" : component.substring(4);
            }
            if (!component.isEmpty() && !component.matches("[a-z_.]+")) {
                warn.accept("ignoring log setting '" + item + "': unknown component '" + target + "'");
                continue;
            }
            out.put(component.isEmpty() ? "dev.smg" : "dev.smg." + component, level.get());
        }
        return out;
    }

    static Optional<Level> level(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "trace" -> Optional.of(Level.FINEST);
            case "debug" -> Optional.of(Level.FINE);
            case "info" -> Optional.of(Level.INFO);
            case "warn", "warning" -> Optional.of(Level.WARNING);
            case "error" -> Optional.of(Level.SEVERE);
            case "off" -> Optional.of(Level.OFF);
            default -> Optional.empty();
        };
    }
}
