package dev.smg.mesh.tls;

/**
 * Mesh TLS files that cannot be used. The message is one line naming the file and what is wrong with
 * it; it never quotes the content of a key.
 */
public final class TlsMaterialException extends Exception {
    /** Which of the three files is at fault, so that a caller can name the flag that gave it. */
    public enum Part { CERT, KEY, CA }

    private final Part part;

    public TlsMaterialException(Part part, String message) {
        super(message, null, false, false);
        this.part = part;
    }

    public Part part() {
        return part;
    }
}
