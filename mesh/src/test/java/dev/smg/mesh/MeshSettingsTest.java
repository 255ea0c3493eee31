package dev.smg.mesh;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeshSettingsTest {
    @Test
    void unspecifiedBindAddressHasNoDefaultAdvertiseHost() {
        assertTrue(MeshSettings.advertiseHostFor("0.0.0.0", Optional.empty()).isEmpty());
        assertTrue(MeshSettings.advertiseHostFor("::", Optional.empty()).isEmpty());
        assertTrue(MeshSettings.advertiseHostFor("[::]", Optional.empty()).isEmpty());
        assertEquals(Optional.of("10.0.0.1"), MeshSettings.advertiseHostFor("0.0.0.0", Optional.of("10.0.0.1")));
        assertEquals(Optional.of("127.0.0.1"), MeshSettings.advertiseHostFor("127.0.0.1", Optional.empty()));
    }

    @Test
    void defaultNameIsMeshUnderscoreAndFourAlphanumerics() {
        for (int i = 0; i < 50; i++) {
            assertTrue(MeshSettings.randomServerName().matches("Mesh_[A-Za-z0-9]{4}"));
        }
    }

    @Test
    void namesWithColonsOrNothingAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new MeshSettings("a:b", "0.0.0.0", "10.0.0.1", 39527, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new MeshSettings("", "0.0.0.0", "10.0.0.1", 39527, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new MeshSettings("node1", "0.0.0.0", "0.0.0.0", 39527, List.of()));
        assertEquals("node-1.a_b", new MeshSettings("node-1.a_b", "0.0.0.0", "h", 1, List.of()).serverName());
    }
}
