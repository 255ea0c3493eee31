package dev.smg.api.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Loopback ports that are free right now, for servers a test starts in another process. They are
 * drawn from 20000-31999, below Linux's ephemeral range (32768-60999): a port the kernel hands out
 * (port 0) may be taken a moment later by some outgoing connection's local end, which made a test
 * fail once with "address already in use"; ports outside that range are not used that way.
 * A port is handed out once per test JVM: a process started with one binds it only seconds later,
 * and until then it looks free (a mesh test once gave a worker's port to a router's metrics listener).
 */
public final class FreePorts {
    private static final int LOW = 20_000;
    private static final int HIGH = 32_000;
    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    public static int one() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = random.nextInt(LOW, HIGH);
            if (GIVEN.add(port) && isFree(port)) {
                return port;
            }
        }
        throw new UncheckedIOException(new IOException("no free port in " + LOW + "-" + HIGH));
    }

    /** The first of {@code count} consecutive free ports. */
    public static int consecutive(int count) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = one();
            if (base + count > 65535) {
                continue;
            }
            boolean allFree = true;
            for (int p = base + 1; p < base + count && allFree; p++) {
                allFree = GIVEN.add(p) && isFree(p);
            }
            if (allFree) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
