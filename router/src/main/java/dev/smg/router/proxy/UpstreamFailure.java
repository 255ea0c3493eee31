package dev.smg.router.proxy;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;

/** A worker could not be reached or did not answer in time; no response byte came from it. */
public final class UpstreamFailure extends Exception {
    public enum Kind {
        /** Nothing listens, the host is unknown or unreachable: safe to retry elsewhere. */
        CONNECT,
        /** The worker did not answer in time. */
        TIMEOUT,
        /** The connection broke while sending the request or reading the status line. */
        IO
    }

    private final Kind kind;

    public UpstreamFailure(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Classifies whatever the HTTP client threw. */
    public static UpstreamFailure from(String worker, Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException) {
                return new UpstreamFailure(Kind.TIMEOUT, "worker " + worker + " timed out", error);
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException) {
                return new UpstreamFailure(Kind.CONNECT, "cannot connect to worker " + worker + ": " + t.getMessage(),
                        error);
            }
        }
        return new UpstreamFailure(Kind.IO, "connection to worker " + worker + " failed: " + error.getMessage(), error);
    }
}
