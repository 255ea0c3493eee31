package dev.smg.api;

import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM and SIGINT start the graceful shutdown, then the process exits 0: a drained, orderly stop
 * is a success (a shutdown hook alone would exit 143). A second signal while draining exits at once.
 */
final class ShutdownSignals {
    private static final System.Logger LOG = System.getLogger(ShutdownSignals.class.getName());

    private ShutdownSignals() {
    }

    /**
     * Installs the handlers and returns the same shutdown as a call (for {@code POST /ha/shutdown}):
     * it starts the graceful shutdown once; later calls do nothing.
     */
    static Runnable install(Runnable gracefulShutdown) {
        AtomicBoolean started = new AtomicBoolean();
        Runnable begin = () -> Thread.ofPlatform().name("smg-shutdown").start(() -> {
            int status = 0;
            try {
                gracefulShutdown.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "graceful shutdown failed; exiting", e);
                status = 1;
            } finally {
                System.exit(status); // never left half-stopped
            }
        });
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (!started.compareAndSet(false, true)) {
                        LOG.log(System.Logger.Level.WARNING, "second SIG{0}: exiting now", name);
                        Runtime.getRuntime().halt(1);
                    }
                    begin.run();
                });
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot handle SIG{0}: {1}", name, e.getMessage());
            }
        }
        return () -> {
            if (started.compareAndSet(false, true)) {
                begin.run();
            }
        };
    }
}
