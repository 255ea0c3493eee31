package dev.smg.mesh.tls;

import dev.smg.mesh.MeshTls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What makes a set of mesh TLS files usable, and the one-line reasons when it is not. */
class TlsMaterialTest {
    @TempDir
    Path dir;

    private TlsMaterialException refused(MeshTls files) {
        return assertThrows(TlsMaterialException.class, () -> TlsMaterial.load(files));
    }

    @Test
    void aCertificateFromTheCaWithItsKeyIsAccepted() throws Exception {
        TestPki pki = new TestPki(dir);
        TestPki.Ca ca = pki.ca("one");
        TestPki.Issued node = ca.issue("node1");
        TlsMaterial material = TlsMaterial.load(new MeshTls(node.cert(), node.key(), ca.cert()));
        assertTrue(material.describe().contains("CN=node1"), material.describe());
        assertEquals(1, material.trust().length);
    }

    @Test
    void eachUnusableFileIsNamedWithTheReason() throws Exception {
        TestPki pki = new TestPki(dir);
        TestPki.Ca ca = pki.ca("one");
        TestPki.Ca other = pki.ca("two");
        TestPki.Issued node = ca.issue("node1");
        TestPki.Issued stranger = other.issue("node2");
        Path missing = dir.resolve("nope.pem");

        TlsMaterialException e = refused(new MeshTls(missing, node.key(), ca.cert()));
        assertEquals(TlsMaterialException.Part.CERT, e.part());
        assertEquals(missing + " does not exist", e.getMessage());

        e = refused(new MeshTls(node.cert(), node.key(), node.key())); // a key given as the CA bundle
        assertEquals(TlsMaterialException.Part.CA, e.part());
        assertTrue(e.getMessage().contains("holds no PEM certificate"), e.getMessage());

        e = refused(new MeshTls(node.cert(), stranger.key(), ca.cert()));
        assertEquals(TlsMaterialException.Part.KEY, e.part());
        assertTrue(e.getMessage().contains("is not the private key of the certificate"), e.getMessage());

        e = refused(new MeshTls(stranger.cert(), stranger.key(), ca.cert()));
        assertEquals(TlsMaterialException.Part.CERT, e.part());
        assertTrue(e.getMessage().contains("is not issued by a CA in " + ca.cert()), e.getMessage());

        Path sec1 = dir.resolve("sec1.key");
        pki.openssl("ec", "-in", node.key().toString(), "-out", sec1.toString());
        e = refused(new MeshTls(node.cert(), sec1, ca.cert()));
        assertEquals(TlsMaterialException.Part.KEY, e.part());
        assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());

        Path garbage = dir.resolve("garbage.key");
        Files.writeString(garbage, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        e = refused(new MeshTls(node.cert(), garbage, ca.cert()));
        assertEquals(garbage + " is not a valid EC PKCS#8 private key", e.getMessage());
    }

    @Test
    void aBundleOfTwoCasAcceptsCertificatesFromEither() throws Exception {
        TestPki pki = new TestPki(dir);
        TestPki.Ca one = pki.ca("one");
        TestPki.Ca two = pki.ca("two");
        MeshTls files = pki.install("n", two.issue("n"), one.cert(), two.cert());
        assertEquals(2, TlsMaterial.load(files).trust().length);
    }
}
