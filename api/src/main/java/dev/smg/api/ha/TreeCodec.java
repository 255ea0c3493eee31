package dev.smg.api.ha;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.smg.proto.ha.TreeEntry;
import dev.smg.proto.ha.TreeInsertBatch;
import dev.smg.router.tree.TreeInsert;

import java.util.ArrayList;
import java.util.List;

/**
 * Cache-tree inserts on the wire ({@code TreeEntry} of ha.proto): model, worker URL, stamp and block
 * hashes, never prompt text. Decoding refuses what a broken or hostile peer might send (bytes that
 * are not the message, an entry without blocks or without a model or worker) instead of inserting it.
 */
final class TreeCodec {
    private TreeCodec() {
    }

    static TreeEntry entry(TreeInsert insert) {
        TreeEntry.Builder entry = TreeEntry.newBuilder().setModel(insert.model()).setTenant(insert.tenant())
                .setStampMillis(insert.stamp()).setOrigin(insert.origin());
        for (long block : insert.blocks()) {
            entry.addBlocks(block);
        }
        return entry.build();
    }

    /**
     * @param sender the member the entry came from: its origin when the entry names none (an insert's
     *               origin is always its sender, so inserts leave the field empty); interned, as every
     *               tree node that the entry touches keeps a reference to it
     */
    static TreeInsert insert(TreeEntry entry, String sender) {
        if (entry.getBlocksCount() == 0 || entry.getTenant().isEmpty()) {
            throw new IllegalArgumentException("a tree entry needs a worker and at least one block");
        }
        long[] blocks = new long[entry.getBlocksCount()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = entry.getBlocks(i);
        }
        String origin = entry.getOrigin().isEmpty() ? sender : entry.getOrigin();
        return new TreeInsert(entry.getModel(), entry.getTenant(), blocks, entry.getStampMillis(), origin.intern());
    }

    static byte[] encode(List<TreeInsert> inserts) {
        TreeInsertBatch.Builder batch = TreeInsertBatch.newBuilder();
        inserts.forEach(i -> batch.addEntries(entry(i)));
        return batch.build().toByteArray();
    }

    static List<TreeInsert> decode(ByteString bytes, String sender) {
        try {
            TreeInsertBatch batch = TreeInsertBatch.parseFrom(bytes);
            List<TreeInsert> inserts = new ArrayList<>(batch.getEntriesCount());
            batch.getEntriesList().forEach(e -> inserts.add(insert(e, sender)));
            return inserts;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed tree insert batch");
        }
    }

    /** A snapshot record; its sender fills in the origin of its own entries, so it is always named. */
    static TreeInsert decodeEntry(ByteString bytes) {
        try {
            return insert(TreeEntry.parseFrom(bytes), "");
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed tree entry");
        }
    }

    /** Bytes one insert takes on the wire, closely enough to cut batches below a size bound. */
    static int size(TreeInsert insert) {
        return 16 + insert.model().length() * 3 + insert.tenant().length() * 3 + insert.origin().length() * 3
                + 10 * insert.blocks().length;
    }
}
