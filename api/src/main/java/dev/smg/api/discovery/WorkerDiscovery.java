package dev.smg.api.discovery;

import dev.smg.api.config.WorkerDiscoveryConfig;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerRemoval;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Duration;

/**
 * {@code --service-discovery --selector ...}: the Kubernetes client and the worker-pod watch,
 * registering a worker for every Ready pod and draining it when the pod goes. The client
 * configures itself as for router discovery (service account in a pod, else the kubeconfig).
 */
public final class WorkerDiscovery implements AutoCloseable {
    private final KubernetesClient client;
    private final WorkerPodWatch watch;
    private final WorkerReconciler reconciler;

    private final ApiErrorCounter errors;

    private WorkerDiscovery(KubernetesClient client, WorkerPodWatch watch, WorkerReconciler reconciler,
                            ApiErrorCounter errors) {
        this.errors = errors;
        this.client = client;
        this.watch = watch;
        this.reconciler = reconciler;
    }

    /** Builds the client from the environment and starts watching; the watch retries in the background. */
    public static WorkerDiscovery start(WorkerDiscoveryConfig config, WorkerRegistry registry, Duration drainLimit,
                                        PrometheusRegistry metrics) {
        Config kubernetes;
        try {
            kubernetes = Config.autoConfigure(null);
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot configure the Kubernetes client: " + e.getMessage(), e);
        }
        return start(kubernetes, config, registry, drainLimit, metrics);
    }

    /** Starts watching through a client of its own for {@code kubernetes}, closed with the returned object. */
    public static WorkerDiscovery start(Config kubernetes, WorkerDiscoveryConfig config, WorkerRegistry registry,
                                        Duration drainLimit, PrometheusRegistry metrics) {
        ApiErrorCounter errors = new ApiErrorCounter();
        KubernetesClient client;
        try {
            client = new KubernetesClientBuilder().withConfig(kubernetes)
                    .withHttpClientBuilderConsumer(http -> http.addOrReplaceInterceptor("smg-discovery-errors", errors))
                    .build();
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot configure the Kubernetes client: " + e.getMessage(), e);
        }
        String namespace = PodNamespace.resolve(config.namespace(), PodNamespace.SERVICE_ACCOUNT_FILE,
                client.getConfiguration().getNamespace());
        WorkerReconciler reconciler = new WorkerReconciler(registry, new WorkerRemoval(registry, drainLimit));
        WorkerPodWatch watch = WorkerPodWatch.start(client, namespace, config.selector(),
                new WorkerPods(config.port(), config.modelIdFrom()), reconciler);
        CounterWithCallback.builder()
                .name("smg_discovery_errors_total")
                .help("Failed Kubernetes API calls of worker discovery (error answers, refused connections); each is retried with backoff and the workers are kept meanwhile")
                .labelNames("source")
                .callback(cb -> cb.call(errors.count(), "kubernetes"))
                .register(metrics);
        GaugeWithCallback.builder()
                .name("smg_discovery_workers")
                .help("Workers registered by Kubernetes discovery (Ready pods matching --selector)")
                .labelNames("source")
                .callback(cb -> cb.call(reconciler.ownedCount(), "kubernetes"))
                .register(metrics);
        GaugeWithCallback.builder()
                .name("smg_discovery_watching")
                .help("1 while the watch on worker pods is open; 0 while listing, reconnecting or refused (RBAC)")
                .labelNames("source")
                .callback(cb -> cb.call(watch.isWatching() ? 1 : 0, "kubernetes"))
                .register(metrics);
        return new WorkerDiscovery(client, watch, reconciler, errors);
    }

    /** Failed API calls so far (the {@code smg_discovery_errors_total} counter). */
    public long errors() {
        return errors.count();
    }

    public WorkerPodWatch watch() {
        return watch;
    }

    public WorkerReconciler reconciler() {
        return reconciler;
    }

    @Override
    public void close() {
        watch.close();
        client.close();
    }
}
