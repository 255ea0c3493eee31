package dev.smg.mesh.tls;

import dev.smg.mesh.MeshTls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the {@code openssl} command line, in a directory the test
 * owns: a CA per call of {@link #ca}, and node certificates it issues (EC P-256, both server and
 * client use). Node certificates name {@code <node>.mesh.invalid}, never the loopback address the
 * tests dial, so the tests also show that host names are not verified.
 */
public final class TestPki {
    private final Path dir;

    public TestPki(Path dir) {
        this.dir = dir;
    }

    /** A key pair and certificate, as files. */
    public record Issued(Path cert, Path key) {
    }

    /** A CA: its certificate (the bundle peers trust) and its key (for issuing). */
    public record Ca(TestPki pki, String name, Path cert, Path key) {
        public Issued issue(String node) {
            Path key = pki.dir.resolve(node + "-" + name + ".key");
            Path csr = pki.dir.resolve(node + "-" + name + ".csr");
            Path cert = pki.dir.resolve(node + "-" + name + ".pem");
            Path ext = pki.dir.resolve(node + "-" + name + ".ext");
            write(ext, "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    + "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:" + node + ".mesh.invalid\n");
            pki.openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                    "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + node);
            pki.openssl("x509", "-req", "-in", csr.toString(), "-CA", cert().toString(), "-CAkey", key().toString(),
                    "-set_serial", String.valueOf(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE)),
                    "-days", "30", "-extfile", ext.toString(), "-out", cert.toString());
            return new Issued(cert, key);
        }
    }

    public Ca ca(String name) {
        Path key = dir.resolve("ca-" + name + ".key");
        Path cert = dir.resolve("ca-" + name + ".pem");
        openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "30", "-subj", "/CN=smg test CA " + name);
        return new Ca(this, name, cert, key);
    }

    /** A certificate signed by its own key: a stranger to every cluster CA. */
    public Issued selfSigned(String node) {
        Path key = dir.resolve(node + "-self.key");
        Path cert = dir.resolve(node + "-self.pem");
        openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "30", "-subj", "/CN=" + node,
                "-addext", "extendedKeyUsage=serverAuth,clientAuth");
        return new Issued(cert, key);
    }

    /** The node's own files (copies it may later have rotated under it), reloaded every 100 ms. */
    public MeshTls install(String node, Issued issued, Path... caCerts) {
        Path home = dir.resolve("node-" + node);
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MeshTls files = new MeshTls(home.resolve("tls.crt"), home.resolve("tls.key"), home.resolve("ca.crt"),
                Duration.ofMillis(100));
        rotate(files, issued, caCerts);
        return files;
    }

    /**
     * Replaces a node's files, each by an atomic rename, as a secret-mounting tool would: the node
     * never reads half a file (it may read a new certificate with the old key, and refuse that pair).
     */
    public static void rotate(MeshTls files, Issued issued, Path... caCerts) {
        try {
            StringBuilder bundle = new StringBuilder();
            for (Path ca : caCerts) {
                bundle.append(Files.readString(ca));
            }
            replace(files.ca(), bundle.toString().getBytes(StandardCharsets.US_ASCII));
            replace(files.key(), Files.readAllBytes(issued.key()));
            replace(files.cert(), Files.readAllBytes(issued.cert()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void replace(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void write(Path path, String text) {
        try {
            Files.writeString(path, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed:\n"
                        + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
