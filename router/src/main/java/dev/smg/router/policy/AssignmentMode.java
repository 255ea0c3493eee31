package dev.smg.router.policy;

import java.util.Locale;

/** How sticky sessions pick a worker for a new key ({@code --assignment-mode}). */
public enum AssignmentMode {
    /** Uniformly at random. */
    RANDOM,
    /** The worker with the fewest requests in flight. */
    MIN_LOAD,
    /** The worker holding the fewest live sessions. */
    MIN_GROUP;

    public static AssignmentMode parse(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
