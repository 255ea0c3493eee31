package dev.smg.api.cli;

/** A command line the process cannot run with. The message is the one line the user sees; exit status 2. */
public final class CliException extends RuntimeException {
    public static final int EXIT_STATUS = 2;

    public CliException(String message) {
        super(message, null, false, false);
    }
}
