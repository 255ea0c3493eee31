package dev.smg.api.config;

import dev.smg.api.cli.CliException;
import dev.smg.api.cli.Flag;
import dev.smg.api.cli.FlagSet;
import dev.smg.api.cli.ParsedArgs;
import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.PeerAddress;
import dev.smg.router.worker.WorkerUrl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** The gateway's command line: flag definitions (names and defaults as upstream's) and validation. */
public final class GatewayFlags {
    /** Every policy name upstream accepts; those not built yet are accepted with a warning. */
    public static final List<String> POLICIES = List.of(
            "random", "round_robin", "cache_aware", "power_of_two", "consistent_hashing", "manual");
    public static final List<String> BUILT_POLICIES = List.of("random", "round_robin");
    public static final List<String> LOG_LEVELS = List.of("trace", "debug", "info", "warn", "error");

    private GatewayFlags() {
    }

    public static FlagSet flagSet() {
        return new FlagSet("""
                Usage: smg [launch] [flags]          run the gateway
                       smg mock-worker [flags]       run mock inference workers (see smg mock-worker --help)
                       smg --version | --help""")
                .group("Server",
                        Flag.value("--host", "0.0.0.0", "address the HTTP server binds"),
                        Flag.value("--port", "30000", "HTTP port for the OpenAI API"),
                        Flag.list("--worker-urls", "", "worker base URLs (space-separated; the flag may repeat)"),
                        Flag.value("--policy", "round_robin", "routing policy: " + String.join(", ", POLICIES)),
                        Flag.value("--request-timeout-secs", "1800", "total time allowed for one upstream request, body included"),
                        Flag.value("--log-level", "info", "log level: " + String.join(", ", LOG_LEVELS)))
                .group("Mesh (high availability)",
                        Flag.toggle("--enable-mesh", "join routers into one HA mesh"),
                        Flag.value("--mesh-server-name", "Mesh_<4 random chars>", "unique name of this node in the cluster"),
                        Flag.value("--mesh-host", MeshSettings.DEFAULT_BIND_HOST, "bind address for mesh gRPC"),
                        Flag.value("--mesh-advertise-host", "--mesh-host", "routable address advertised to peers (required when --mesh-host is 0.0.0.0 or ::)"),
                        Flag.value("--mesh-port", String.valueOf(MeshSettings.DEFAULT_PORT), "port for mesh gRPC"),
                        Flag.list("--mesh-peer-urls", "", "bootstrap peers host:port, tried in order until one answers"),
                        Flag.toggle("--service-discovery", "discover router peers through the Kubernetes API"),
                        Flag.list("--router-selector", "", "Kubernetes label selector for router pods, e.g. app=smg tier=router"));
    }

    public static GatewayConfig parse(String[] args) {
        ParsedArgs a = flagSet().parse(args);
        List<String> warnings = new ArrayList<>();

        String host = a.host("--host", "0.0.0.0");
        int port = a.intValue("--port", 30000, 1, 65535);
        List<WorkerUrl> workers = new ArrayList<>();
        LinkedHashSet<WorkerUrl> seen = new LinkedHashSet<>();
        for (String raw : a.list("--worker-urls")) {
            WorkerUrl url;
            try {
                url = WorkerUrl.parse(raw);
            } catch (IllegalArgumentException e) {
                throw new CliException("--worker-urls: " + e.getMessage());
            }
            if (!seen.add(url)) {
                throw new CliException("--worker-urls: " + url + " is given twice");
            }
            workers.add(url);
        }
        String policy = a.choice("--policy", "round_robin", POLICIES);
        if (!BUILT_POLICIES.contains(policy)) {
            warnings.add("--policy " + policy + " is not built yet in this version; routing with round_robin");
            policy = "round_robin";
        }
        String logLevel = a.choice("--log-level", "info", LOG_LEVELS);
        Duration requestTimeout = Duration.ofSeconds(a.longValue("--request-timeout-secs", 1800, 1, 7 * 24 * 3600));

        boolean meshEnabled = a.enabled("--enable-mesh");
        String meshHost = a.host("--mesh-host", MeshSettings.DEFAULT_BIND_HOST);
        Optional<String> advertise = a.has("--mesh-advertise-host")
                ? Optional.of(a.host("--mesh-advertise-host", "")) : Optional.empty();
        int meshPort = a.intValue("--mesh-port", MeshSettings.DEFAULT_PORT, 1, 65535);
        List<PeerAddress> peers = new ArrayList<>();
        for (String raw : a.list("--mesh-peer-urls")) {
            try {
                peers.add(PeerAddress.parse(raw));
            } catch (IllegalArgumentException e) {
                throw new CliException("--mesh-peer-urls: " + e.getMessage());
            }
        }
        boolean discovery = a.enabled("--service-discovery");
        List<String> selector = a.list("--router-selector");
        for (String pair : selector) {
            if (!pair.matches("[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*")) {
                throw new CliException("--router-selector: '" + pair + "' is not a key=value label pair");
            }
        }

        Optional<MeshSettings> mesh = Optional.empty();
        if (meshEnabled) {
            Optional<String> advertiseHost = MeshSettings.advertiseHostFor(meshHost, advertise);
            if (advertiseHost.isEmpty()) {
                throw new CliException("--enable-mesh with --mesh-host " + meshHost
                        + " (an unspecified address) needs --mesh-advertise-host set to this node's routable IP or name");
            }
            String name = a.string("--mesh-server-name").orElseGet(MeshSettings::randomServerName);
            try {
                mesh = Optional.of(new MeshSettings(name, meshHost, advertiseHost.get(), meshPort, peers));
            } catch (IllegalArgumentException e) {
                String flag = e.getMessage().startsWith("server name") ? "--mesh-server-name"
                        : "--mesh-advertise-host";
                throw new CliException(flag + ": " + e.getMessage());
            }
            warnings.add("--enable-mesh: the mesh is not built yet in this version; this node runs alone");
            if (discovery || !selector.isEmpty()) {
                warnings.add("--service-discovery/--router-selector: Kubernetes discovery is not built yet; ignored");
            }
        } else {
            for (String meshOnly : List.of("--mesh-server-name", "--mesh-host", "--mesh-advertise-host",
                    "--mesh-port", "--mesh-peer-urls", "--router-selector")) {
                if (a.has(meshOnly)) {
                    warnings.add(meshOnly + " has no effect without --enable-mesh");
                }
            }
            if (discovery) {
                warnings.add("--service-discovery: Kubernetes discovery is not built yet; ignored");
            }
        }
        if (discovery && selector.isEmpty()) {
            throw new CliException("--service-discovery needs --router-selector key=value ...");
        }
        return new GatewayConfig(host, port, workers, policy, logLevel, requestTimeout, mesh, discovery, selector,
                warnings);
    }
}
