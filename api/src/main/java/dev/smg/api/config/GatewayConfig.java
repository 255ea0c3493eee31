package dev.smg.api.config;

import dev.smg.mesh.MeshSettings;
import dev.smg.router.worker.WorkerUrl;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything the gateway process was asked to do, validated. Built by {@link GatewayFlags} from the
 * command line; nothing downstream re-checks these values.
 *
 * @param warnings things the user asked for that this build does not do yet, printed at start-up
 */
public record GatewayConfig(
        String host,
        int port,
        List<WorkerUrl> workerUrls,
        String policy,
        String logLevel,
        Duration requestTimeout,
        Optional<MeshSettings> mesh,
        boolean serviceDiscovery,
        List<String> routerSelector,
        List<String> warnings) {

    public GatewayConfig {
        workerUrls = List.copyOf(workerUrls);
        routerSelector = List.copyOf(routerSelector);
        warnings = List.copyOf(warnings);
    }
}
