package dev.smg.api.ha;

import com.google.protobuf.ByteString;
import dev.smg.proto.ha.TreeEntry;
import dev.smg.proto.ha.TreeInsertBatch;
import dev.smg.router.tree.TreeInsert;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The tree wire format (ha.proto TreeEntry) round-trips, and refuses what a broken or hostile peer might send. */
class TreeCodecTest {
    @Test
    void roundTrip() {
        List<TreeInsert> in = List.of(new TreeInsert("m", "http://w:1", new long[] {1, -2, Long.MAX_VALUE}, 42),
                new TreeInsert("model/ü", "http://w:2", new long[] {7}, 43));
        List<TreeInsert> out = TreeCodec.decode(ByteString.copyFrom(TreeCodec.encode(in)), "router-a");
        assertEquals(2, out.size());
        for (int i = 0; i < in.size(); i++) {
            assertEquals("router-a", out.get(i).origin(), "an insert's origin is its sender");
            assertEquals(in.get(i).model(), out.get(i).model());
            assertEquals(in.get(i).tenant(), out.get(i).tenant());
            assertEquals(in.get(i).stamp(), out.get(i).stamp());
            assertArrayEquals(in.get(i).blocks(), out.get(i).blocks());
        }
        TreeInsert one = TreeCodec.decodeEntry(TreeCodec.entry(in.get(0)).toByteString());
        assertArrayEquals(in.get(0).blocks(), one.blocks());
    }

    @Test
    void malformedMessagesAreRefused() {
        byte[] good = TreeCodec.encode(List.of(new TreeInsert("m", "t", new long[] {1, 2}, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> TreeCodec.decode(ByteString.copyFrom(Arrays.copyOf(good, good.length - 3)), "p"));
        assertThrows(IllegalArgumentException.class,
                () -> TreeCodec.decode(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}), "p"));
        // Well-formed protobuf, but an entry no router could have written: no blocks, or no worker.
        ByteString noBlocks = TreeInsertBatch.newBuilder().addEntries(TreeEntry.newBuilder().setModel("m")
                .setTenant("http://w:1")).build().toByteString();
        assertThrows(IllegalArgumentException.class, () -> TreeCodec.decode(noBlocks, "p"));
        ByteString noWorker = TreeEntry.newBuilder().setModel("m").addBlocks(1).build().toByteString();
        assertThrows(IllegalArgumentException.class, () -> TreeCodec.decodeEntry(noWorker));
        // A length prefix claiming far more bytes than the message holds.
        assertThrows(IllegalArgumentException.class,
                () -> TreeCodec.decode(ByteString.copyFrom(new byte[] {0x0A, (byte) 0xFF, (byte) 0xFF, 0x7F, 1}), "p"));
    }
}
