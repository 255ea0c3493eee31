package dev.smg.api.ha;

import dev.smg.router.tree.TreeInsert;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Wire form of cache-tree inserts: model, worker URL, stamp and block hashes (never prompt text).
 * Decoding bounds every count, so a malformed or hostile message is refused, not allocated.
 */
final class TreeCodec {
    static final int MAX_INSERTS_PER_MESSAGE = 1 << 20;
    static final int MAX_BLOCKS_PER_INSERT = 1 << 20;

    private TreeCodec() {
    }

    /** Bytes one insert takes on the wire (close enough to cut messages below a size bound). */
    static int size(TreeInsert insert) {
        return 2 + insert.model().length() * 3 + 2 + insert.tenant().length() * 3 + 8 + 4 + 8 * insert.blocks().length;
    }

    static void write(DataOutputStream out, List<TreeInsert> inserts) throws IOException {
        out.writeInt(inserts.size());
        for (TreeInsert insert : inserts) {
            out.writeUTF(insert.model());
            out.writeUTF(insert.tenant());
            out.writeLong(insert.stamp());
            out.writeInt(insert.blocks().length);
            for (long b : insert.blocks()) {
                out.writeLong(b);
            }
        }
    }

    static byte[] encode(List<TreeInsert> inserts) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(out, inserts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static List<TreeInsert> read(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count < 0 || count > MAX_INSERTS_PER_MESSAGE) {
            throw new IllegalArgumentException("bad insert count " + count);
        }
        List<TreeInsert> out = new ArrayList<>(Math.min(count, 4096));
        for (int i = 0; i < count; i++) {
            String model = in.readUTF();
            String tenant = in.readUTF();
            long stamp = in.readLong();
            int n = in.readInt();
            if (n <= 0 || n > MAX_BLOCKS_PER_INSERT || n > in.available() / 8) {
                throw new IllegalArgumentException("bad block count " + n);
            }
            long[] blocks = new long[n];
            for (int j = 0; j < n; j++) {
                blocks[j] = in.readLong();
            }
            out.add(new TreeInsert(model, tenant, blocks, stamp));
        }
        return out;
    }

    static List<TreeInsert> decode(InputStream bytes) {
        try (DataInputStream in = new DataInputStream(bytes)) {
            List<TreeInsert> inserts = read(in);
            if (in.available() > 0) {
                throw new IllegalArgumentException("trailing bytes");
            }
            return inserts;
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated tree message");
        }
    }
}
