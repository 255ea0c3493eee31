package dev.smg.router.policy;

import dev.smg.router.tree.CacheIndex;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adopting a spec swaps in a policy built from it, once; the same spec again swaps nothing. */
class LocalPolicyTableTest {
    @Test
    void adoptingASpecSwapsThePolicyOnce() {
        try (CacheIndex index = new CacheIndex(1 << 20, 16)) {
            PolicyFactory factory = new PolicyFactory(index, CacheAwareSettings.DEFAULTS, AssignmentMode.RANDOM,
                    Duration.ofHours(1));
            PolicyRegistry registry = new PolicyRegistry(factory.create("cache_aware"), Map.of());
            LocalPolicyTable table = new LocalPolicyTable(registry, factory,
                    Map.of(PolicyRegistry.DEFAULT, factory.spec("cache_aware")));

            assertFalse(table.adopt(PolicyRegistry.DEFAULT, factory.spec("cache_aware")));
            assertTrue(table.adopt(PolicyRegistry.DEFAULT, factory.spec("round_robin")));
            RoutingPolicy swapped = registry.defaultPolicy();
            assertEquals("round_robin", swapped.name());
            assertFalse(table.adopt(PolicyRegistry.DEFAULT, factory.spec("round_robin")));
            assertSame(swapped, registry.defaultPolicy());
            assertTrue(table.adopt("llama", factory.spec("power_of_two")));
            assertEquals("power_of_two", registry.forModel("llama").name());
            assertEquals(Map.of(PolicyRegistry.DEFAULT, factory.spec("round_robin"), "llama",
                    factory.spec("power_of_two")), table.specs());
        }
    }
}
