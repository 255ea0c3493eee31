package dev.smg.api.ha;

import dev.smg.router.tree.TreeInsert;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The tree wire format round-trips, and refuses what a broken or hostile peer might send. */
class TreeCodecTest {
    @Test
    void roundTrip() {
        List<TreeInsert> in = List.of(new TreeInsert("m", "http://w:1", new long[] {1, -2, Long.MAX_VALUE}, 42),
                new TreeInsert("model/ü", "http://w:2", new long[] {7}, 43));
        List<TreeInsert> out = TreeCodec.decode(new ByteArrayInputStream(TreeCodec.encode(in)));
        assertEquals(2, out.size());
        for (int i = 0; i < in.size(); i++) {
            assertEquals(in.get(i).model(), out.get(i).model());
            assertEquals(in.get(i).tenant(), out.get(i).tenant());
            assertEquals(in.get(i).stamp(), out.get(i).stamp());
            assertArrayEquals(in.get(i).blocks(), out.get(i).blocks());
        }
    }

    @Test
    void malformedMessagesAreRefusedNotAllocated() {
        byte[] good = TreeCodec.encode(List.of(new TreeInsert("m", "t", new long[] {1, 2}, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> TreeCodec.decode(new ByteArrayInputStream(Arrays.copyOf(good, good.length - 3))));
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThrows(IllegalArgumentException.class, () -> TreeCodec.decode(new ByteArrayInputStream(trailing)));
        byte[] hugeCount = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
        assertThrows(IllegalArgumentException.class, () -> TreeCodec.decode(new ByteArrayInputStream(hugeCount)));
        byte[] negative = ByteBuffer.allocate(4).putInt(-1).array();
        assertThrows(IllegalArgumentException.class, () -> TreeCodec.decode(new ByteArrayInputStream(negative)));
        // One insert claiming a billion blocks in a few bytes.
        ByteBuffer lying = ByteBuffer.allocate(4 + 3 + 3 + 8 + 4);
        lying.putInt(1).putShort((short) 1).put((byte) 'm').putShort((short) 1).put((byte) 't').putLong(1)
                .putInt(1_000_000_000);
        assertThrows(IllegalArgumentException.class, () -> TreeCodec.decode(new ByteArrayInputStream(lying.array())));
    }
}
