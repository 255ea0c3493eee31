package dev.smg.api;

import dev.smg.api.cli.CliException;
import dev.smg.api.config.GatewayConfig;
import dev.smg.api.config.GatewayFlags;
import dev.smg.api.gateway.GatewayProcess;
import dev.smg.api.logging.LogSetup;
import dev.smg.api.mock.MockWorkerCommand;

import java.util.Arrays;

/**
 * The process entry point: {@code smg [launch] <flags>} runs the gateway, {@code smg mock-worker}
 * runs mock inference workers. A bad command line exits 2 with one line naming the flag.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (CliException e) {
            System.err.println("smg: " + e.getMessage());
            status = CliException.EXIT_STATUS;
        } catch (GatewayProcess.StartupException e) {
            System.err.println("smg: " + e.getMessage());
            status = 1;
        }
        if (status >= 0) {
            System.exit(status);
        }
        // A server is running: park until the JVM shuts down (SIGTERM/SIGINT run the shutdown hooks).
        try {
            new java.util.concurrent.CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a command; returns the exit status, or -1 when a long-running server was started. */
    static int run(String[] args) {
        if (args.length > 0 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println("smg " + Version.current());
            return 0;
        }
        if (args.length > 0 && args[0].equals("mock-worker")) {
            return MockWorkerCommand.run(Arrays.copyOfRange(args, 1, args.length));
        }
        String[] gatewayArgs = args.length > 0 && (args[0].equals("launch") || args[0].equals("start"))
                ? Arrays.copyOfRange(args, 1, args.length) : args;
        if (Arrays.asList(gatewayArgs).contains("--help") || Arrays.asList(gatewayArgs).contains("-h")) {
            System.out.print(GatewayFlags.flagSet().help());
            return 0;
        }
        GatewayConfig config = GatewayFlags.parse(gatewayArgs);
        LogSetup.configure(config.logLevel());
        GatewayProcess gateway = GatewayProcess.start(config);
        gateway.onShutdownRequest(ShutdownSignals.install(gateway::shutdownGracefully));
        return -1;
    }
}
