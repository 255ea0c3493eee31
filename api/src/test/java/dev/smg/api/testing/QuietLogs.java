package dev.smg.api.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Raises the level of some loggers for a test class, restored afterwards: a class that starts dozens
 * of servers, or breaks workers on purpose, would otherwise bury a real failure under expected INFO
 * and WARNING lines. {@code @ExtendWith(QuietLogs.Helidon.class)} for Helidon's INFO lines only, or
 * {@code @RegisterExtension static final QuietLogs QUIET = new QuietLogs(Level.SEVERE, "dev.smg")}.
 */
public class QuietLogs implements BeforeAllCallback, AfterAllCallback {
    private final Level level;
    private final List<Logger> loggers = new ArrayList<>();
    private final List<Level> before = new ArrayList<>();

    public QuietLogs(Level level, String... names) {
        this.level = level;
        for (String name : names) {
            loggers.add(Logger.getLogger(name)); // held here, so the level set sticks (loggers are weakly kept)
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        before.clear();
        for (Logger logger : loggers) {
            before.add(logger.getLevel());
            logger.setLevel(level);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).setLevel(before.get(i));
        }
    }

    /** Helidon's "bound"/"stopped" INFO pairs kept out (a pair per server started). */
    public static final class Helidon extends QuietLogs {
        public Helidon() {
            super(Level.WARNING, "io.helidon");
        }
    }
}
