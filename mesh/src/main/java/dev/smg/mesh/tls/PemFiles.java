package dev.smg.mesh.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificates and PKCS#8 private keys from the bytes of a file. Errors are one line and
 * say how to fix the file; nothing of a key's content ever goes into a message.
 */
final class PemFiles {
    private static final String BEGIN_CERT = "-----BEGIN CERTIFICATE-----";
    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private PemFiles() {
    }

    /** Every certificate in the file, in file order. */
    static X509Certificate[] certificates(byte[] pem, String file, TlsMaterialException.Part part)
            throws TlsMaterialException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        if (!text.contains(BEGIN_CERT)) {
            throw new TlsMaterialException(part, file + " holds no PEM certificate (" + BEGIN_CERT + ")");
        }
        try {
            Collection<? extends java.security.cert.Certificate> parsed =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            return parsed.stream().map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
        } catch (CertificateException e) {
            throw new TlsMaterialException(part, file + " is not a valid PEM certificate file: "
                    + firstLine(e.getMessage()));
        }
    }

    /**
     * The unencrypted PKCS#8 key in the file, for the algorithm of the certificate it belongs to
     * ({@code EC} or {@code RSA}). Other PEM key formats are named, with the command that converts them.
     */
    static PrivateKey privateKey(byte[] pem, String file, String algorithm) throws TlsMaterialException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        Matcher m = PKCS8.matcher(text);
        if (!m.find()) {
            String convert = "; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key-pkcs8.pem";
            if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
                throw new TlsMaterialException(TlsMaterialException.Part.KEY,
                        file + " is an encrypted key, which cannot be read unattended" + convert);
            }
            if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
                throw new TlsMaterialException(TlsMaterialException.Part.KEY,
                        file + " is a PKCS#1/SEC1 key, not PKCS#8 (-----BEGIN PRIVATE KEY-----)" + convert);
            }
            throw new TlsMaterialException(TlsMaterialException.Part.KEY,
                    file + " holds no PEM PKCS#8 private key (-----BEGIN PRIVATE KEY-----)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(m.group(1));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            // The exception's own text is left out on purpose: it might describe the key's bytes.
            throw new TlsMaterialException(TlsMaterialException.Part.KEY,
                    file + " is not a valid " + algorithm + " PKCS#8 private key");
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
