package dev.smg.api.logging;

import java.time.Instant;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Configures java.util.logging: one line per event on stderr, {@code time LEVEL [component] message},
 * with the level chosen by {@code --log-level}. Every smg class logs through {@link System.Logger},
 * which the JDK routes here.
 */
public final class LogSetup {
    /** Strong references: java.util.logging keeps loggers weakly, and a collected one loses its level. */
    private static final java.util.List<Logger> COMPONENT_LOGGERS = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static Logger configured(String name, Level level) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(level);
        return logger;
    }

    private LogSetup() {
    }

    public static void configure(String level) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Handler handler = new ConsoleHandler(); // writes to System.err
        handler.setFormatter(new OneLineFormatter());
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
        Level threshold = toJul(level);
        root.setLevel(threshold);
        COMPONENT_LOGGERS.add(configured("dev.smg", threshold));
        // SMG_LOG wins over RUST_LOG when both are set; both refine --log-level per component.
        java.util.List<String> warnings = new java.util.ArrayList<>();
        for (String variable : new String[] {"RUST_LOG", "SMG_LOG"}) {
            ComponentLevels.parse(System.getenv(variable), w -> warnings.add(variable + ": " + w))
                    // The root handler takes every level; a record's fate is decided by its own
                    // logger's level, so other libraries stay at the --log-level threshold.
                    .forEach((logger, componentLevel) -> COMPONENT_LOGGERS.add(configured(logger, componentLevel)));
        }
        // Libraries speak only when something is wrong unless the operator asked for debug output.
        Level libraries = threshold.intValue() <= Level.FINE.intValue() ? threshold : Level.WARNING;
        for (String library : new String[] {"io.helidon", "io.grpc", "io.netty", "io.fabric8"}) {
            Logger.getLogger(library).setLevel(libraries);
        }
        warnings.forEach(w -> Logger.getLogger("dev.smg.api.logging").warning(w));
    }

    public static Level toJul(String level) {
        return switch (level.toLowerCase(Locale.ROOT)) {
            case "trace" -> Level.FINEST;
            case "debug" -> Level.FINE;
            case "warn", "warning" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> Level.INFO;
        };
    }

    /** {@code 2026-11-26T06:49:38.123Z INFO  [router.proxy] message}; stack traces only at debug. */
    static final class OneLineFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder line = new StringBuilder(160);
            line.append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(levelName(r.getLevel())).append(" [").append(component(r.getLoggerName())).append("] ")
                    .append(formatMessage(r).replace('\n', ' '));
            if (r.getThrown() != null) {
                line.append(": ").append(r.getThrown());
            }
            line.append('\n');
            if (r.getThrown() != null && Logger.getLogger("").isLoggable(Level.FINE)) {
                java.io.StringWriter trace = new java.io.StringWriter();
                r.getThrown().printStackTrace(new java.io.PrintWriter(trace));
                line.append(trace);
            }
            return line.toString();
        }

        private static String levelName(Level level) {
            if (level.intValue() >= Level.SEVERE.intValue()) {
                return "ERROR";
            }
            if (level.intValue() >= Level.WARNING.intValue()) {
                return "WARN ";
            }
            if (level.intValue() >= Level.INFO.intValue()) {
                return "INFO ";
            }
            return level.intValue() >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
        }

        private static String component(String logger) {
            if (logger == null) {
                return "-";
            }
            return logger.startsWith("dev.smg.") ? logger.substring("dev.smg.".length()) : logger;
        }
    }
}
