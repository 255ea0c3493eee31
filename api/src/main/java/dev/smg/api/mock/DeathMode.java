package dev.smg.api.mock;

/** How a mock worker told to die ({@link MockWorker#dieAfterTokens}) goes. */
public enum DeathMode {
    /** Not dying: a reset (also lifts a stall). */
    NONE,
    /** Open streams are cut without their end, open requests unanswered, and the server stops listening. */
    CRASH,
    /** Open streams and later generation requests send nothing more, holding their connections open. */
    STALL
}
