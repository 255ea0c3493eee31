package dev.smg.router.proxy;

/** The client sent something the gateway cannot route; becomes a 400 with this message. */
public final class InvalidRequestException extends RuntimeException {
    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
