package dev.smg.api;

import dev.smg.api.testing.FreePorts;
import dev.smg.api.testing.HaStatus;
import dev.smg.api.testing.Http;
import dev.smg.api.testing.SmgProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three {@code smg --enable-mesh} JVMs on loopback: they form a cluster, a SIGKILLed node is
 * reported DOWN by the others, and restarted under the same name it is ALIVE again.
 */
class MeshClusterProcessTest {
    private static final Duration FORM = Duration.ofSeconds(90);

    private record Node(String name, int http, int mesh) {
        String url(String path) {
            return "http://127.0.0.1:" + http + path;
        }
    }

    private static SmgProcess start(Node node, Node seed) {
        List<String> args = new java.util.ArrayList<>(List.of("--host", "127.0.0.1", "--port",
                String.valueOf(node.http()), "--prometheus-host", "127.0.0.1", "--prometheus-port",
                String.valueOf(FreePorts.one()), "--enable-mesh", "--mesh-server-name", node.name(), "--mesh-host",
                "127.0.0.1", "--mesh-port", String.valueOf(node.mesh()), "--shutdown-grace-period-secs", "2"));
        if (seed != null) {
            args.addAll(List.of("--mesh-peer-urls", "127.0.0.1:" + seed.mesh()));
        }
        return SmgProcess.start(args.toArray(String[]::new));
    }

    /** name -> status string ("0".."4") as node {@code observer} reports it in /ha/status. */
    private static Map<String, String> statuses(Node observer) {
        return HaStatus.statuses(observer.url(""));
    }

    /** The names of a JVM's live platform threads that start with smg- ({@code jcmd Thread.print} lists no virtual ones). */
    private static List<String> ownPlatformThreads(long pid) throws Exception {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(pid), "Thread.print").redirectErrorStream(true).start();
        String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, jcmd.waitFor(), dump);
        return dump.lines().filter(l -> l.startsWith("\"smg-"))
                .map(l -> l.substring(1, l.indexOf('"', 1))).sorted().toList();
    }

    @Test
    void threeProcessesFormAClusterDetectAKillAndWelcomeTheRestart() throws Exception {
        Node n1 = new Node("node1", FreePorts.one(), FreePorts.one());
        Node n2 = new Node("node2", FreePorts.one(), FreePorts.one());
        Node n3 = new Node("node3", FreePorts.one(), FreePorts.one());
        Map<String, String> allAlive = Map.of("node1", "1", "node2", "1", "node3", "1");
        try (SmgProcess p1 = start(n1, null); SmgProcess p2 = start(n2, n1); SmgProcess p3 = start(n3, n1)) {
            for (Node observer : List.of(n1, n2, n3)) {
                await().atMost(FORM).ignoreExceptions().until(() -> statuses(observer).equals(allAlive));
            }
            // Healthy once it has also caught up with the cluster's state ("starting" until then).
            await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(n3.url("/ha/health")).statusCode() == 200);
            // docs/architecture.md: a mesh router runs at most four platform threads of its own.
            List<String> own = ownPlatformThreads(p1.pid());
            assertTrue(own.size() <= 4 && own.contains("smg-mesh-loop") && own.contains("smg-ha"),
                    "platform threads named smg-*: " + own);

            p3.kill();
            assertEquals(137, p3.waitForExit(Duration.ofSeconds(30)));
            for (Node observer : List.of(n1, n2)) {
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                        .until(() -> "3".equals(statuses(observer).get("node3")));
            }

            try (SmgProcess again = start(n3, n1)) {
                for (Node observer : List.of(n1, n2, n3)) {
                    await().atMost(FORM).ignoreExceptions().until(() -> statuses(observer).equals(allAlive));
                }
            }
        }
    }
}
