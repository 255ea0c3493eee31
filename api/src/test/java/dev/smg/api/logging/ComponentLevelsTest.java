package dev.smg.api.logging;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ComponentLevelsTest {
    @Test
    void smgLogFormNamesModules() {
        assertEquals(Map.of("dev.smg.mesh", Level.FINE, "dev.smg.router", Level.INFO),
                ComponentLevels.parse("mesh=debug,router=info", w -> { }));
    }

    @Test
    void theSeedsRustFormIsUnderstood() {
        assertEquals(Map.of("dev.smg.mesh", Level.FINE), ComponentLevels.parse("smg::mesh=debug", w -> { }));
        assertEquals(Map.of("dev.smg.mesh.membership", Level.FINEST),
                ComponentLevels.parse("smg::mesh::membership=trace", w -> { }));
        assertEquals(Map.of("dev.smg", Level.WARNING), ComponentLevels.parse("warn", w -> { }));
        assertEquals(Map.of("dev.smg", Level.SEVERE), ComponentLevels.parse("smg=error", w -> { }));
    }

    @Test
    void nonsenseIsIgnoredWithAWarningNotAFailure() {
        List<String> warnings = new ArrayList<>();
        assertEquals(Map.of("dev.smg.api", Level.INFO),
                ComponentLevels.parse("mesh=loud, api=info, Bad-Name=debug", warnings::add));
        assertEquals(2, warnings.size());
        assertTrue(ComponentLevels.parse("", warnings::add).isEmpty());
        assertTrue(ComponentLevels.parse(null, warnings::add).isEmpty());
    }
}
