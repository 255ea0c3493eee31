package dev.smg.api.gateway;

import dev.smg.api.trace.TraceExport;
import dev.smg.router.trace.Tracing;

import dev.smg.api.Version;
import dev.smg.api.config.AdmissionConfig;
import dev.smg.api.config.GatewayConfig;
import dev.smg.api.config.RoutingConfig;
import dev.smg.api.discovery.MeshDiscovery;
import dev.smg.api.discovery.WorkerDiscovery;
import dev.smg.api.discovery.WorkerDiscoveryDuty;
import dev.smg.api.ha.HaContext;
import dev.smg.api.ha.HaLoop;
import dev.smg.api.ha.HaNamespaces;
import dev.smg.api.trace.TraceExport;
import dev.smg.mesh.membership.Quorum;
import dev.smg.mesh.runtime.MeshNode;
import dev.smg.router.admission.AdmissionControl;
import dev.smg.router.admission.RateLimiter;
import dev.smg.router.admission.TokenBucket;
import dev.smg.router.health.HealthChecker;
import dev.smg.router.load.LoadMonitor;
import dev.smg.router.load.LoadView;
import dev.smg.router.metrics.RouterMetrics;
import dev.smg.router.policy.PolicyFactory;
import dev.smg.router.policy.PolicyRegistry;
import dev.smg.router.policy.PolicySpec;
import dev.smg.router.policy.RoutingPolicy;
import dev.smg.router.metrics.GenerationMetrics;
import dev.smg.router.proxy.Dispatcher;
import dev.smg.router.proxy.InferenceRoute;
import dev.smg.router.proxy.UpstreamClient;
import dev.smg.router.trace.Tracing;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerSpec;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One gateway process: worker registry, health checker, dispatcher, the HTTP server with its
 * routes and filters, the metrics listener, and the graceful shutdown sequence.
 */
public final class GatewayProcess {
    private static final System.Logger LOG = System.getLogger(GatewayProcess.class.getName());
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final GatewayConfig config;
    private final WorkerRegistry registry;
    private final HealthChecker health;
    private final LoadMonitor loadMonitor;
    private final Dispatcher dispatcher;
    private final DrainState drain;
    private final WebServer server;
    private final WebServer metricsServer;
    private final Optional<MeshNode> mesh;
    private final Optional<HaContext> ha;
    private final AtomicReference<Runnable> shutdownRequest;
    private final Optional<MeshDiscovery> discovery;
    private final Optional<WorkerDiscoveryDuty> workerDiscovery;
    private final TraceExport traces;

    private GatewayProcess(GatewayConfig config, WorkerRegistry registry, HealthChecker health,
                           LoadMonitor loadMonitor, Dispatcher dispatcher, DrainState drain,
                           WebServer server, WebServer metricsServer, Optional<MeshNode> mesh,
                           Optional<HaContext> ha, AtomicReference<Runnable> shutdownRequest,
                           Optional<MeshDiscovery> discovery, Optional<WorkerDiscoveryDuty> workerDiscovery,
                           TraceExport traces) {
        this.workerDiscovery = workerDiscovery;
        this.traces = traces;
        this.ha = ha;
        this.shutdownRequest = shutdownRequest;
        this.config = config;
        this.registry = registry;
        this.health = health;
        this.loadMonitor = loadMonitor;
        this.dispatcher = dispatcher;
        this.drain = drain;
        this.server = server;
        this.metricsServer = metricsServer;
        this.mesh = mesh;
        this.discovery = discovery;
    }

    public static GatewayProcess start(GatewayConfig config) {
        for (String warning : config.warnings()) {
            LOG.log(System.Logger.Level.WARNING, warning);
        }
        PrometheusRegistry metricsRegistry = new PrometheusRegistry();
        JvmMetrics.builder().register(metricsRegistry);
        RouterMetrics[] routerMetrics = new RouterMetrics[1];
        WorkerRegistry registry = new WorkerRegistry(config.breaker(),
                (worker, from, to) -> {
                    LOG.log(System.Logger.Level.WARNING, "worker {0}: circuit breaker {1} -> {2}", worker, from, to);
                    routerMetrics[0].breakerTransition(worker, from, to);
                });
        routerMetrics[0] = new RouterMetrics(metricsRegistry, registry::snapshot);
        UpstreamClient upstream = new UpstreamClient(CONNECT_TIMEOUT, config.requestTimeout());
        // Probes get a client of their own too: their short read timeout must not reach a pooled connection
        // a proxied request reuses (see the load monitor's client below).
        HealthChecker health = new HealthChecker(registry, new UpstreamClient(CONNECT_TIMEOUT, config.health().timeout()),
                config.health(), routerMetrics[0]);
        RoutingConfig routing = config.routing();
        CacheIndex cacheIndex = new CacheIndex(routing.maxTreeChars(), routing.cacheAware().blockChars());
        PolicyFactory factory = new PolicyFactory(cacheIndex, routing.cacheAware(), routing.assignmentMode(),
                routing.maxIdle());
        // Policies balance on the load score: in-flight counts (the cluster's, with the mesh) and engine reports.
        LoadView loadView = new LoadView(config.load().score(), config.load().engineStaleAfter(), System::nanoTime);
        factory.balanceOn(loadView);
        // A client of its own: a poll's short read timeout must never stay on a pooled connection that a
        // proxied request (minutes long) reuses next (CI: a request timed out on one after 1 s).
        UpstreamClient pollClient = new UpstreamClient(config.load().monitorTimeout(), config.load().monitorTimeout());
        LoadMonitor loadMonitor = new LoadMonitor(registry, pollClient, loadView, config.load().monitorInterval(),
                config.load().monitorTimeout(), config.mesh().map(m -> m.serverName()).orElse("local"));
        routerMetrics[0].load(loadView, loadMonitor, registry::snapshot);
        Map<String, RoutingPolicy> perModel = new HashMap<>();
        Map<String, PolicySpec> configuredPolicies = new HashMap<>();
        routing.modelPolicies().forEach((model, name) -> {
            perModel.put(model, factory.create(name));
            configuredPolicies.put(model, factory.spec(name));
        });
        configuredPolicies.put(PolicyRegistry.DEFAULT, factory.spec(routing.policy()));
        PolicyRegistry policies = new PolicyRegistry(factory.create(routing.policy()), perModel);
        registry.onRemove(policies::forget);
        routerMetrics[0].cacheIndex(cacheIndex);
        // Periodic and short: a virtual thread, not a platform thread of its own (docs/architecture.md).
        ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("smg-policy-maintenance").factory());
        long every = routing.evictionInterval().toMillis();
        maintenance.scheduleWithFixedDelay(policies::maintain, every, every, TimeUnit.MILLISECONDS);
        DrainState drain = new DrainState();
        HttpMetrics httpMetrics = new HttpMetrics(metricsRegistry, drain);
        Optional<MeshNode> mesh;
        try {
            mesh = config.mesh().map(settings -> MeshNode.start(settings, config.meshTuning(), metricsRegistry,
                    HaNamespaces.ALL));
        } catch (UncheckedIOException e) {
            throw new StartupException(e.getMessage() + " (--mesh-host/--mesh-port)");
        } catch (IllegalArgumentException e) {
            // The TLS files were checked with the flags; this is one changed since (a rotation gone wrong).
            throw new StartupException("mesh TLS: " + e.getMessage() + " (--mesh-tls-cert/--mesh-tls-key/--mesh-tls-ca)");
        }
        Optional<MeshDiscovery> discovery;
        try {
            discovery = config.discovery().map(d -> MeshDiscovery.start(d, config.mesh().orElseThrow(),
                    mesh.orElseThrow(), metricsRegistry));
        } catch (IllegalStateException e) {
            mesh.ifPresent(MeshNode::close);
            throw new StartupException(e.getMessage() + " (--service-discovery)");
        }
        AdmissionConfig ac = config.admission();
        List<RateLimiter> limiters = new ArrayList<>();
        if (ac.ratePerSecond() > 0 && !ac.clusterWide()) {
            limiters.add(new TokenBucket(ac.ratePerSecond(), Math.max(1, ac.ratePerSecond()), System::nanoTime));
        }
        AtomicReference<Runnable> shutdownRequest = new AtomicReference<>();
        AtomicReference<AdmissionControl> admissionRef = new AtomicReference<>();
        Optional<HaContext> ha = mesh.map(node -> HaContext.start(node, HaLoop.onThread("smg-ha"),
                System::currentTimeMillis,
                new HaContext.Router(registry, cacheIndex, policies, factory, configuredPolicies, config.workers(),
                        loadView, config.load().engineStaleAfter()),
                new HaContext.Options(ac.clusterWide() ? ac.ratePerSecond() : 0, ac.clusterMaxConcurrent(),
                        cap -> {
                            AdmissionControl admission = admissionRef.get(); // null for the first few ms
                            if (admission != null) {
                                admission.resize(cap);
                            }
                            return admission != null;
                        }, config.breaker().openTimeout(),
                        // Seeds: there is a cluster to catch up from. Discovery: there is one unless the first
                        // pod list came back without other routers (then this is the first router of the fleet).
                        config.mesh().get().seeds().isEmpty()
                                ? () -> discovery.map(MeshDiscovery::mayHavePeers).orElse(false)
                                : () -> true,
                        config.treeSync(), config.load().sync()),
                () -> shutdownRequest.get().run()));
        if (config.load().sync()) {
            ha.ifPresent(h -> loadMonitor.shareThrough(h.load())); // one router polls each engine
        }
        ha.ifPresent(h -> limiters.add(h.rateLimit()));
        ha.ifPresent(h -> h.rateLimit().exportTo(metricsRegistry));
        // A cluster-wide cap starts whole here and shrinks to this router's share within 100 ms.
        int cap = ha.isPresent() && ac.clusterMaxConcurrent() > 0 ? ac.clusterMaxConcurrent() : ac.maxConcurrent();
        AdmissionControl admission = new AdmissionControl(cap, ac.queueSize(), ac.queueTimeout(), limiters);
        admissionRef.set(admission);
        routerMetrics[0].admission(admission);
        Dispatcher dispatcher = new Dispatcher(registry, policies, upstream, config.retry(), routerMetrics[0],
                config.streams(), config.generationMetrics() ? new GenerationMetrics(metricsRegistry) : null);
        TraceExport traces = TraceExport.start(config.tracing(),
                config.mesh().map(m -> m.serverName()).orElse(config.host() + ":" + config.port()), Version.current(),
                metricsRegistry);

        WebServer server = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownHook(false)
                .routing(r -> {
                    routes(r, config, registry, dispatcher, admission, routerMetrics[0], drain, httpMetrics, ha,
                            traces.tracing());
                    new HaUiRoutes(new ClusterOverview(registry, ha, metricsRegistry,
                            config.host() + ":" + config.port(), System::currentTimeMillis)).register(r);
                })
                .build()
                .start();
        if (!server.isRunning() || server.port() < 0) {
            discovery.ifPresent(MeshDiscovery::close);
            mesh.ifPresent(MeshNode::close);
        }
        requireListening(server, config.host(), config.port(), "--port");
        WebServer metricsServer = MetricsServer.start(config.prometheusHost(), config.prometheusPort(),
                metricsRegistry);
        if (!metricsServer.isRunning() || metricsServer.port() < 0) {
            server.stop();
            discovery.ifPresent(MeshDiscovery::close);
            mesh.ifPresent(MeshNode::close);
        }
        requireListening(metricsServer, config.prometheusHost(), config.prometheusPort(), "--prometheus-port");
        health.start();
        loadMonitor.start();
        if (ha.isEmpty()) {
            for (WorkerSpec worker : config.workers()) {
                registry.add(worker); // probed at once by the health checker
            }
        } // in a mesh they are registered once caught up (HaContext), so a restart cannot reset their spec
        // After the static workers: a pod at one of their URLs is then seen as theirs, never removed by discovery.
        // In a mesh only the quorum's leader watches, once caught up (static workers are registered by then too).
        Optional<WorkerDiscoveryDuty> workerDiscovery;
        try {
            workerDiscovery = config.workerDiscovery().map(d -> WorkerDiscoveryDuty.start(WorkerDiscovery.environment(),
                    d, registry, config.requestTimeout(),
                    ha.isEmpty() ? () -> true : () -> ha.get().startup().done()
                            && Quorum.of(mesh.get().view()).isLeader(mesh.get().name()),
                    metricsRegistry));
        } catch (IllegalStateException e) {
            server.stop();
            metricsServer.stop();
            discovery.ifPresent(MeshDiscovery::close);
            ha.ifPresent(HaContext::close);
            mesh.ifPresent(MeshNode::close);
            throw new StartupException(e.getMessage() + " (--service-discovery --selector)");
        }
        LOG.log(System.Logger.Level.INFO,
                "smg {0} listening on http://{1}:{2} (metrics on :{3}) with {4} worker(s), policy {5}{6}",
                Version.current(), config.host(), String.valueOf(server.port()), String.valueOf(metricsServer.port()),
                registry.snapshot().size(), policies.defaultPolicy().name(),
                config.apiKey().isPresent() ? ", API key required" : "");
        GatewayProcess process = new GatewayProcess(config, registry, health, loadMonitor, dispatcher, drain, server,
                metricsServer, mesh, ha, shutdownRequest, discovery, workerDiscovery, traces);
        shutdownRequest.set(() -> Thread.ofPlatform().name("smg-shutdown").start(process::shutdownGracefully));
        return process;
    }

    /**
     * Replaces what {@code POST /ha/shutdown} does (the default drains and stops this process; the
     * command line also exits the JVM, as a SIGTERM would).
     */
    public void onShutdownRequest(Runnable shutdown) {
        shutdownRequest.set(shutdown);
    }

    private static void routes(HttpRouting.Builder routing, GatewayConfig config, WorkerRegistry registry,
                               Dispatcher dispatcher, AdmissionControl admission, RouterMetrics metrics,
                               DrainState drain, HttpMetrics httpMetrics, Optional<HaContext> ha, Tracing tracing) {
        routing.addFilter(new RequestTracking(drain, httpMetrics));
        config.apiKey().ifPresent(key -> routing.addFilter(new ApiKeyFilter(key)));
        HealthRoutes.register(routing, registry, drain, ha.map(h -> h.startup()));
        for (InferenceRoute route : InferenceRoute.values()) {
            routing.post(route.path(), new ProxyHandler(route, dispatcher, config.maxPayloadSize(), admission, metrics,
                    config.routing().routingKeyField(), tracing));
        }
        routing.get("/v1/models", new ModelsHandler(registry));
        new WorkerRoutes(registry, config.requestTimeout()).register(routing);
        HaRoutes.register(routing, ha);
    }

    /** Helidon logs a failed bind and carries on with port -1; we refuse to start instead. */
    private static void requireListening(WebServer server, String host, int port, String flag) {
        if (!server.isRunning() || server.port() < 0) {
            throw new StartupException("cannot listen on " + host + ":" + port + " (" + flag
                    + "): the address is in use or not available");
        }
    }

    /** The process cannot start; the message is the one line the operator sees. */
    public static final class StartupException extends RuntimeException {
        public StartupException(String message) {
            super(message, null, false, false);
        }
    }

    public int port() {
        return server.port();
    }

    public int metricsPort() {
        return metricsServer.port();
    }

    public WorkerRegistry registry() {
        return registry;
    }

    public DrainState drainState() {
        return drain;
    }

    /**
     * Graceful shutdown: readiness 503 at once; keep serving through the settle period; then refuse
     * new requests and wait for in-flight ones (streams included) up to the grace period; then stop.
     */
    public void shutdownGracefully() {
        Duration grace = config.shutdownGrace();
        Duration settle = config.settlePeriod();
        long deadline = System.nanoTime() + grace.toNanos();
        LOG.log(System.Logger.Level.INFO, "shutting down: readiness is 503; serving for {0} ms more, then draining",
                String.valueOf(settle.toMillis()));
        long settleEnd = System.nanoTime() + settle.toNanos();
        drain.settle();
        // Tell the mesh at once (peers see LEAVING, not a crash), without eating into the drain: the
        // announcement runs beside the settle period and is joined before the process stops.
        Thread leaving = Thread.ofVirtual().name("smg-mesh-leave").start(() ->
                mesh.ifPresent(node -> node.leave(config.meshTuning().membership().leaveTimeout())));
        sleepUntil(settleEnd);
        drain.drain();
        while (drain.inFlight() > 0 && System.nanoTime() < deadline) {
            sleepUntil(Math.min(deadline, System.nanoTime() + 20_000_000L));
        }
        if (drain.inFlight() > 0) {
            LOG.log(System.Logger.Level.WARNING, "grace period over with {0} request(s) still in flight",
                    drain.inFlight());
        } else {
            LOG.log(System.Logger.Level.INFO, "all in-flight requests finished");
        }
        try {
            leaving.join(config.meshTuning().membership().leaveTimeout().plusSeconds(3));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stop();
    }

    private static void sleepUntil(long deadlineNanos) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            return;
        }
        try {
            Thread.sleep(Duration.ofNanos(remaining)); // shutdown pacing: settle period, drain polling
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops at once, cutting whatever is in flight. */
    public void stop() {
        workerDiscovery.ifPresent(WorkerDiscoveryDuty::close);
        discovery.ifPresent(MeshDiscovery::close);
        ha.ifPresent(HaContext::close);
        mesh.ifPresent(MeshNode::close);
        health.close();
        loadMonitor.close();
        server.stop();
        dispatcher.close();
        metricsServer.stop();
        traces.close(); // last: flushes the spans of the requests that just finished
    }
}
