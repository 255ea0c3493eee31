package dev.smg.router.worker;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerUrlTest {
    @Test
    void spellingsOfOneWorkerNormalizeToOneValue() {
        assertEquals(WorkerUrl.parse("http://Worker1"), WorkerUrl.parse("http://worker1:80/"));
        assertEquals("http://worker1:80", WorkerUrl.parse("http://worker1/").toString());
        assertEquals("https://w:443", WorkerUrl.parse("https://w").toString());
    }

    @Test
    void bareHostPortIsHttp() {
        assertEquals("http://127.0.0.1:9000", WorkerUrl.parse("127.0.0.1:9000").toString());
    }

    @Test
    void basePathIsKeptAndRoutesResolveUnderIt() {
        assertEquals("http://w:8000/prefix/v1/models", WorkerUrl.parse("http://w:8000/prefix/").resolve("/v1/models"));
    }

    @Test
    void ipv6LiteralsWork() {
        assertEquals("http://[::1]:9000", WorkerUrl.parse("http://[::1]:9000").toString());
    }

    @Test
    void badUrlsAreRejectedWithAReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WorkerUrl.parse("grpc://w:1")).getMessage()
                .contains("scheme"));
        assertThrows(IllegalArgumentException.class, () -> WorkerUrl.parse("HTTP://w:1"));
        assertThrows(IllegalArgumentException.class, () -> WorkerUrl.parse(""));
        assertThrows(IllegalArgumentException.class, () -> WorkerUrl.parse("http://"));
        assertThrows(IllegalArgumentException.class, () -> WorkerUrl.parse("http://w:1/?q=1"));
        assertThrows(IllegalArgumentException.class, () -> WorkerUrl.parse("http://user:pw@w:1"));
        assertThrows(IllegalArgumentException.class, () -> WorkerUrl.parse("http://w w:1"));
    }
}
