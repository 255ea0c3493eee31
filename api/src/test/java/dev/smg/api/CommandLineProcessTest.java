package dev.smg.api;

import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real process's answers to command lines: exit status and the one line it prints. */
class CommandLineProcessTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @Test
    void meshOnAnUnspecifiedAddressWithoutAdvertiseHostRefusesToStart() throws Exception {
        try (SmgProcess smg = SmgProcess.start("--enable-mesh", "--mesh-host", "0.0.0.0")) {
            assertEquals(2, smg.waitForExit(LIMIT));
            assertTrue(smg.output().contains("--mesh-advertise-host"), smg.output());
            assertEquals(1, smg.output().strip().lines().count(), smg.output());
        }
    }

    @Test
    void unknownFlagAndBadValueExitTwoNamingTheFlag() throws Exception {
        try (SmgProcess smg = SmgProcess.start("--no-such-flag")) {
            assertEquals(2, smg.waitForExit(LIMIT));
            assertTrue(smg.output().contains("--no-such-flag"), smg.output());
        }
        try (SmgProcess smg = SmgProcess.start("launch", "--port", "http")) {
            assertEquals(2, smg.waitForExit(LIMIT));
            assertTrue(smg.output().startsWith("smg: --port:"), smg.output());
        }
    }

    @Test
    void aPortInUseIsARefusedStartNotAZombie() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             SmgProcess smg = SmgProcess.start("--host", "127.0.0.1", "--port", String.valueOf(taken.getLocalPort()),
                     "--prometheus-port", "0")) {
            assertEquals(1, smg.waitForExit(LIMIT));
            assertTrue(smg.output().contains("smg: cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (--port)"),
                    smg.output());
        }
    }

    @Test
    void helpListsEveryFlagAndVersionPrintsIt() throws Exception {
        try (SmgProcess smg = SmgProcess.start("launch", "--help")) {
            assertEquals(0, smg.waitForExit(LIMIT));
            for (String flag : new String[] {"--host", "--port", "--worker-urls", "--policy", "--log-level",
                    "--enable-mesh", "--mesh-server-name", "--mesh-host", "--mesh-advertise-host", "--mesh-port",
                    "--mesh-peer-urls", "--mesh-tls-cert", "--mesh-tls-key", "--mesh-tls-ca", "--service-discovery",
                    "--router-selector", "--service-discovery-namespace", "--router-mesh-port-annotation"}) {
                assertTrue(smg.output().contains(flag + " "), flag);
            }
            assertTrue(smg.output().contains("[default: 30000]"));
        }
        try (SmgProcess smg = SmgProcess.start("--version")) {
            assertEquals(0, smg.waitForExit(LIMIT));
            assertTrue(smg.output().strip().matches("smg \\d+\\.\\d+\\.\\d+.*"), smg.output());
        }
    }
}
