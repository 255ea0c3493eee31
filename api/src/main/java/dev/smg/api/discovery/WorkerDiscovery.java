package dev.smg.api.discovery;

import dev.smg.api.config.WorkerDiscoveryConfig;
import dev.smg.router.worker.WorkerRegistry;
import dev.smg.router.worker.WorkerRemoval;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.time.Duration;

/**
 * One worker-pod watch with its own Kubernetes client, registering a worker for every Ready pod
 * and draining it when the pod goes. {@link WorkerDiscoveryDuty} decides when this router runs one
 * (always without the mesh; on the quorum's leader only with it).
 */
public final class WorkerDiscovery implements AutoCloseable {
    private final KubernetesClient client;
    private final WorkerPodWatch watch;
    private final WorkerReconciler reconciler;

    private WorkerDiscovery(KubernetesClient client, WorkerPodWatch watch, WorkerReconciler reconciler) {
        this.client = client;
        this.watch = watch;
        this.reconciler = reconciler;
    }

    /**
     * The client configuration from the environment, as for router discovery: in a pod the service
     * account token and CA, elsewhere {@code KUBECONFIG} or {@code ~/.kube/config}. The token is never logged.
     */
    public static Config environment() {
        try {
            return Config.autoConfigure(null);
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot configure the Kubernetes client: " + e.getMessage(), e);
        }
    }

    /**
     * Starts watching through a client of its own for {@code kubernetes}, closed with the returned
     * object; every failed API call of that client is counted in {@code errors}.
     */
    static WorkerDiscovery start(Config kubernetes, WorkerDiscoveryConfig config, WorkerRegistry registry,
                                        Duration drainLimit, ApiErrorCounter errors) {
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
        return new WorkerDiscovery(client, watch, reconciler);
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
