package dev.smg.mesh.tls;

import dev.smg.mesh.MeshTls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The raw content of the three mesh TLS files, read together. Its fingerprint is how a change is
 * noticed: comparing content rather than modification times also sees a rotation written within
 * the mtime granularity of the file system (one second on some), and a Kubernetes secret update,
 * which swaps a symbolic link and leaves the old files' times alone.
 */
record TlsFileBytes(MeshTls files, byte[] cert, byte[] key, byte[] ca) {
    static TlsFileBytes read(MeshTls files) throws TlsMaterialException {
        return new TlsFileBytes(files, read(files.cert(), TlsMaterialException.Part.CERT),
                read(files.key(), TlsMaterialException.Part.KEY), read(files.ca(), TlsMaterialException.Part.CA));
    }

    private static byte[] read(Path path, TlsMaterialException.Part part) throws TlsMaterialException {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new TlsMaterialException(part, path + " does not exist");
        } catch (IOException | SecurityException e) {
            throw new TlsMaterialException(part, "cannot read " + path + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }

    /** SHA-256 over the three contents, each prefixed with its length so that no two splits collide. */
    byte[] fingerprint() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] part : new byte[][] {cert, key, ca}) {
                sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(part.length).array());
                sha.update(part);
            }
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
