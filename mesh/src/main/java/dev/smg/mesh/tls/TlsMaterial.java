package dev.smg.mesh.tls;

import dev.smg.mesh.MeshTls;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * One consistent set of mesh TLS material: this node's chain and key, and the CAs it accepts peers
 * from. "Consistent" is checked here, once, so that neither a start nor a reload can put a
 * half-rotated pair in service: the key must belong to the leaf certificate, the leaf must be within
 * its validity period, and the chain must lead to a CA of the bundle (a node whose own certificate
 * its CA bundle does not accept would be refused by every peer configured like it).
 */
public final class TlsMaterial {
    private final X509Certificate[] chain;
    private final PrivateKey key;
    private final X509Certificate[] trust;

    private TlsMaterial(X509Certificate[] chain, PrivateKey key, X509Certificate[] trust) {
        this.chain = chain;
        this.key = key;
        this.trust = trust;
    }

    /** Reads and checks the three files; the exception names the file at fault and why. */
    public static TlsMaterial load(MeshTls files) throws TlsMaterialException {
        return parse(TlsFileBytes.read(files));
    }

    static TlsMaterial parse(TlsFileBytes bytes) throws TlsMaterialException {
        MeshTls files = bytes.files();
        String certFile = files.cert().toString();
        X509Certificate[] chain = PemFiles.certificates(bytes.cert(), certFile, TlsMaterialException.Part.CERT);
        X509Certificate[] trust = PemFiles.certificates(bytes.ca(), files.ca().toString(), TlsMaterialException.Part.CA);
        X509Certificate leaf = chain[0];
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new TlsMaterialException(TlsMaterialException.Part.CERT,
                    certFile + " expired on " + leaf.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new TlsMaterialException(TlsMaterialException.Part.CERT,
                    certFile + " is not valid before " + leaf.getNotBefore().toInstant());
        }
        String algorithm = leaf.getPublicKey().getAlgorithm();
        String signature = switch (algorithm) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new TlsMaterialException(TlsMaterialException.Part.CERT,
                    certFile + " has a " + algorithm + " key; use EC or RSA");
        };
        PrivateKey key = PemFiles.privateKey(bytes.key(), files.key().toString(), algorithm);
        if (!belongsTo(key, leaf, signature)) {
            throw new TlsMaterialException(TlsMaterialException.Part.KEY,
                    files.key() + " is not the private key of the certificate in " + certFile);
        }
        requireIssuedByBundle(chain, trust, certFile, files.ca().toString());
        return new TlsMaterial(chain, key, trust);
    }

    /** Signs a random challenge with the key and checks it with the certificate's public key. */
    private static boolean belongsTo(PrivateKey key, X509Certificate leaf, String algorithm) {
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signed = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signed);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void requireIssuedByBundle(X509Certificate[] chain, X509Certificate[] trust, String certFile,
                                              String caFile) throws TlsMaterialException {
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate ca : trust) {
                anchors.add(new TrustAnchor(ca, null));
            }
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false); // no CRL or OCSP infrastructure for a private mesh CA
            // A chain file may end with the root itself; PKIX wants the path without its anchor.
            var path = Arrays.stream(chain).filter(c -> anchors.stream().noneMatch(a -> a.getTrustedCert().equals(c)))
                    .toList();
            if (path.isEmpty()) {
                return; // the leaf is itself in the bundle: trusted as it is
            }
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
        } catch (CertPathValidatorException e) {
            throw new TlsMaterialException(TlsMaterialException.Part.CERT,
                    certFile + " is not issued by a CA in " + caFile + " (" + e.getMessage() + ")");
        } catch (GeneralSecurityException e) {
            throw new TlsMaterialException(TlsMaterialException.Part.CA,
                    caFile + " cannot be used as a CA bundle: " + e.getMessage());
        }
    }

    X509Certificate[] chain() {
        return chain.clone();
    }

    PrivateKey key() {
        return key;
    }

    X509Certificate[] trust() {
        return trust.clone();
    }

    /** Public facts about the leaf for logs: subject, serial and expiry (never the key). */
    public String describe() {
        X509Certificate leaf = chain[0];
        return "certificate " + leaf.getSubjectX500Principal().getName() + " serial "
                + leaf.getSerialNumber().toString(16) + " valid until " + leaf.getNotAfter().toInstant()
                + ", " + trust.length + " CA certificate(s)";
    }

    public Instant notAfter() {
        return chain[0].getNotAfter().toInstant();
    }
}
