package dev.smg.mesh.tls;

import dev.smg.mesh.MeshTls;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;

import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's mesh TLS credentials, kept current with the files. The key and trust managers are
 * gRPC's swappable ones: every TLS handshake asks them afresh, so a reload takes effect at the next
 * handshake, while connections already open keep the material they were made with.
 *
 * <p>The files are compared with what is loaded every {@link MeshTls#reloadInterval()} on a thread of
 * their own (gRPC's built-in file refresh would do, but polls at most once a minute, logs a failure as
 * SEVERE with a stack trace, and reloads the key pair and the CA bundle independently). A change is
 * installed only when all three files parse and agree ({@link TlsMaterial}); otherwise the previous
 * material stays in use and one WARNING line says why (once per distinct reason, not every poll).
 * Until the files are fixed they are tried again at every poll, so a certificate that is not valid
 * yet is picked up when it becomes valid.
 *
 * <p>Peers are verified against the CA bundle only, never against the host name they were dialled
 * by: see {@link #trustManager()}.
 */
public final class ReloadingCredentials implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReloadingCredentials.class.getName());

    private final MeshTls files;
    private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
    private final AdvancedTlsX509TrustManager trustManager;
    private final ScheduledExecutorService poller;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failedReloads = new AtomicLong();
    private volatile Instant notAfter;
    /** Fingerprint of the files in service; poller thread only after construction. */
    private byte[] loaded;
    /** The reason last warned about, so that a broken file is reported once; poller thread only. */
    private String lastRefusal;

    private ReloadingCredentials(MeshTls files, TlsFileBytes initial) throws TlsMaterialException {
        this.files = files;
        try {
            // Certificate-only verification: a peer is any holder of a certificate issued by the
            // cluster CA. Host names are not checked because members dial each other by the address
            // each one advertises (often a pod IP that changes on every restart), so no certificate
            // could name it in advance; the CA is the membership boundary.
            trustManager = AdvancedTlsX509TrustManager.newBuilder()
                    .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
                    .build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create the mesh trust manager", e);
        }
        install(TlsMaterial.parse(initial));
        loaded = initial.fingerprint();
        poller = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("smg-mesh-tls-reload").factory());
        long every = files.reloadInterval().toMillis();
        poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }

    /** Loads the files (failing with the reason when they are unusable) and starts watching them. */
    public static ReloadingCredentials watch(MeshTls files) throws TlsMaterialException {
        return new ReloadingCredentials(Objects.requireNonNull(files), TlsFileBytes.read(files));
    }

    private void poll() {
        try {
            TlsFileBytes bytes = TlsFileBytes.read(files);
            byte[] fingerprint = bytes.fingerprint();
            if (MessageDigest.isEqual(fingerprint, loaded)) {
                lastRefusal = null; // back to what is in service: a later breakage is news again
                return;
            }
            TlsMaterial material = TlsMaterial.parse(bytes);
            install(material);
            loaded = fingerprint;
            lastRefusal = null;
            reloads.incrementAndGet();
            LOG.log(System.Logger.Level.INFO, "mesh TLS reloaded: {0}", material.describe());
        } catch (TlsMaterialException e) {
            refuse(e.getMessage());
        } catch (RuntimeException e) {
            // Unexpected; the poller must survive it. The exception's text is left out: it is not ours.
            refuse("unexpected " + e.getClass().getSimpleName() + " while reading " + files.cert() + ", "
                    + files.key() + " and " + files.ca());
        }
    }

    private void refuse(String reason) {
        if (!reason.equals(lastRefusal)) {
            lastRefusal = reason;
            failedReloads.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING,
                    "mesh TLS files changed but cannot be used, keeping the previous certificate, key and CA: {0}",
                    reason);
        }
    }

    private void install(TlsMaterial material) throws TlsMaterialException {
        try {
            trustManager.updateTrustCredentials(material.trust());
        } catch (IOException | GeneralSecurityException e) {
            throw new TlsMaterialException(TlsMaterialException.Part.CA,
                    files.ca() + " cannot be used as a CA bundle: " + e.getClass().getSimpleName());
        }
        keyManager.updateIdentityCredentials(material.chain(), material.key());
        notAfter = material.notAfter();
    }

    /** Presents this node's current certificate chain, as client and as server. */
    public X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /**
     * Accepts a peer whose chain leads to a CA of the current bundle (path, signatures, validity,
     * key usage), whatever name or address it was reached at.
     */
    public X509ExtendedTrustManager trustManager() {
        return trustManager;
    }

    /** Successful reloads since start (the initial load not counted). */
    public long reloads() {
        return reloads.get();
    }

    /** Changes of the files that were refused (each distinct reason counted once). */
    public long failedReloads() {
        return failedReloads.get();
    }

    /** When the certificate in service expires. */
    public Instant notAfter() {
        return notAfter;
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
