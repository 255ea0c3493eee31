package dev.smg.api.gateway;

import dev.smg.api.Version;
import dev.smg.api.config.GatewayConfig;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.RoutingPolicy;
import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerUrl;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Wires one gateway process: registry, policy, upstream client, HTTP server. */
public final class GatewayProcess {
    private static final System.Logger LOG = System.getLogger(GatewayProcess.class.getName());
    /** Routes proxied to workers as they are. */
    static final List<String> PROXIED_ROUTES = List.of("/v1/chat/completions", "/v1/completions", "/generate");

    private final WebServer server;

    private GatewayProcess(WebServer server) {
        this.server = server;
    }

    public static GatewayProcess start(GatewayConfig config) {
        for (String warning : config.warnings()) {
            LOG.log(System.Logger.Level.WARNING, warning);
        }
        WorkerRegistry registry = new WorkerRegistry();
        for (WorkerUrl url : config.workerUrls()) {
            registry.add(url, List.of(), Optional.empty());
        }
        RoutingPolicy policy = PolicyFactory.create(config.policy());
        UpstreamClient upstream = new UpstreamClient(Duration.ofSeconds(10), config.requestTimeout());

        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false)
                .routing(routing -> routes(routing, registry, policy, upstream))
                .build()
                .start();
        GatewayProcess process = new GatewayProcess(server);
        LOG.log(System.Logger.Level.INFO, "smg {0} listening on http://{1}:{2} with {3} worker(s), policy {4}",
                Version.current(), config.host(), String.valueOf(server.port()), registry.snapshot().size(),
                policy.name());
        return process;
    }

    static void routes(HttpRouting.Builder routing, WorkerRegistry registry, RoutingPolicy policy,
                       UpstreamClient upstream) {
        HealthRoutes.register(routing, registry);
        for (String route : PROXIED_ROUTES) {
            routing.post(route, new ProxyHandler(route, registry, policy, upstream));
        }
    }

    public int port() {
        return server.port();
    }

    public void stop() {
        server.stop();
    }
}
