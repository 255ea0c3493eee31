package dev.smg.mesh;

import java.util.Objects;

/**
 * A mesh endpoint as given on the command line or gossiped between members: {@code host:port},
 * where host is a DNS name, an IPv4 literal or a bracketed IPv6 literal ({@code [::1]:39527}).
 * Names are kept as names: they are resolved when dialled, so a peer whose address changes (a
 * restarted pod) is found again.
 */
public record PeerAddress(String host, int port) {
    public PeerAddress {
        Objects.requireNonNull(host);
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 1-65535");
        }
    }

    /** Parses {@code host:port}; the message of the exception says what is wrong with the text. */
    public static PeerAddress parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.contains("://")) {
            throw new IllegalArgumentException("'" + t + "' must be host:port, without a scheme");
        }
        String host;
        String portText;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + t + "' must be [ipv6]:port");
            }
            host = t.substring(1, close);
            portText = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || t.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + t + "' must be host:port");
            }
            host = t.substring(0, colon);
            portText = t.substring(colon + 1);
            if (!host.matches("[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")) {
                throw new IllegalArgumentException("'" + host + "' is not a valid host name or IPv4 address");
            }
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + t + "' has no valid port");
        }
        return new PeerAddress(host, port);
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
