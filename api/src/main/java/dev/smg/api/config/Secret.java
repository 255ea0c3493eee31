package dev.smg.api.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * A secret from the command line (an API key). Its {@code toString} never shows the value, so it
 * cannot leak into logs by accident; comparison is constant-time over SHA-256 digests, so timing
 * tells an attacker nothing about how much of a guess was right.
 */
public final class Secret {
    private final String value;
    private final byte[] digest;

    public Secret(String value) {
        this.value = Objects.requireNonNull(value);
        this.digest = sha256(value);
    }

    public String reveal() {
        return value;
    }

    public boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(digest, sha256(candidate));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return "****";
    }
}
