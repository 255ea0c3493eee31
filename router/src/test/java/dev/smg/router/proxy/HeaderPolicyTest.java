package dev.smg.router.proxy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeaderPolicyTest {
    @Test
    void clientAuthorizationNeverReachesWorkers() {
        List<HeaderField> out = HeaderPolicy.towardsWorker(List.of(
                new HeaderField("Authorization", "Bearer client-secret"),
                new HeaderField("X-Request-Id", "abc"),
                new HeaderField("traceparent", "00-1-2-01"),
                new HeaderField("x-request-id-extra", "e"),
                new HeaderField("Cookie", "c")));
        assertEquals(List.of("X-Request-Id", "traceparent", "x-request-id-extra"),
                out.stream().map(HeaderField::name).toList());
    }

    @Test
    void hopByHopHeadersAreNotReturned() {
        assertFalse(HeaderPolicy.returnToClient("Transfer-Encoding"));
        assertFalse(HeaderPolicy.returnToClient("connection"));
        assertTrue(HeaderPolicy.returnToClient("Content-Type"));
        assertTrue(HeaderPolicy.returnToClient("X-Mock-Worker"));
    }
}
