package dev.smg.mesh;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The files that put the mesh port under mutual TLS. Every member presents {@code cert} (with the
 * private key {@code key}) and accepts a peer only if the peer's chain ends at a CA in {@code ca}.
 * The files are read again whenever their content changes, checked every {@code reloadInterval}.
 *
 * @param cert           PEM certificate chain, leaf first
 * @param key            PEM PKCS#8 private key of the leaf ({@code -----BEGIN PRIVATE KEY-----}), unencrypted
 * @param ca             PEM bundle of the CA certificates a peer's chain must end at
 * @param reloadInterval how often the files are compared with what is loaded
 */
public record MeshTls(Path cert, Path key, Path ca, Duration reloadInterval) {
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);

    public MeshTls {
        Objects.requireNonNull(cert);
        Objects.requireNonNull(key);
        Objects.requireNonNull(ca);
        if (reloadInterval.isNegative() || reloadInterval.isZero()) {
            throw new IllegalArgumentException("reload interval must be positive");
        }
    }

    public MeshTls(Path cert, Path key, Path ca) {
        this(cert, key, ca, DEFAULT_RELOAD_INTERVAL);
    }
}
