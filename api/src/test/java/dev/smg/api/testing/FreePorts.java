package dev.smg.api.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback ports that are free right now, for servers a test starts in another process. */
public final class FreePorts {
    private FreePorts() {
    }

    public static int one() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
                allFree = isFree(p);
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
