package dev.smg.mesh;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PeerAddressTest {
    @Test
    void parsesNamesIpv4AndBracketedIpv6() {
        assertEquals(new PeerAddress("smg-0.smg-mesh", 39527), PeerAddress.parse("smg-0.smg-mesh:39527"));
        assertEquals(new PeerAddress("10.0.0.1", 1), PeerAddress.parse(" 10.0.0.1:1 "));
        assertEquals(new PeerAddress("::1", 39527), PeerAddress.parse("[::1]:39527"));
        assertEquals("[::1]:39527", PeerAddress.parse("[::1]:39527").toString());
    }

    @Test
    void rejectsWhatCannotBeDialled() {
        for (String bad : new String[] {"", "host", "host:", ":1", "host:0", "host:70000", "host:x", "::1:5",
                "http://host:1", "[::1]", "bad host:1"}) {
            assertThrows(IllegalArgumentException.class, () -> PeerAddress.parse(bad), bad);
        }
    }
}
