package dev.smg.api.mock;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps Helidon's INFO lines (a "bound"/"stopped" pair per worker) out of the output of a test class
 * that starts dozens of workers, so a failure is not buried; restored afterwards.
 */
final class QuietHelidon implements BeforeAllCallback, AfterAllCallback {
    private static final Logger HELIDON = Logger.getLogger("io.helidon");
    private Level before;

    @Override
    public void beforeAll(ExtensionContext context) {
        before = HELIDON.getLevel();
        HELIDON.setLevel(Level.WARNING);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        HELIDON.setLevel(before);
    }
}
