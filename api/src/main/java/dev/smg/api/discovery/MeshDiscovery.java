package dev.smg.api.discovery;

import dev.smg.api.config.DiscoveryConfig;
import dev.smg.mesh.MeshSettings;
import dev.smg.mesh.PeerAddress;
import dev.smg.mesh.runtime.MeshNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.HashSet;
import java.util.Set;

/**
 * {@code --service-discovery}: the Kubernetes client and the router-pod watch, feeding the pods it
 * finds to the mesh node as contact points. The client configures itself the standard way: in a
 * pod from the service account token and CA and {@code KUBERNETES_SERVICE_HOST/PORT}; elsewhere
 * from {@code KUBECONFIG} or {@code ~/.kube/config}. The token is never logged.
 */
public final class MeshDiscovery implements AutoCloseable {
    private final KubernetesClient client;
    private final RouterPodWatch watch;

    private MeshDiscovery(KubernetesClient client, RouterPodWatch watch) {
        this.client = client;
        this.watch = watch;
    }

    /** Builds the client from the environment and starts watching; the watch retries in the background. */
    public static MeshDiscovery start(DiscoveryConfig config, MeshSettings mesh, MeshNode node,
                                      PrometheusRegistry registry) {
        KubernetesClient client;
        try {
            client = new KubernetesClientBuilder().build();
        } catch (KubernetesClientException e) {
            throw new IllegalStateException("cannot configure the Kubernetes client: " + e.getMessage(), e);
        }
        return start(client, config, mesh, node, registry);
    }

    /** Starts watching through {@code client}, which the returned object owns and closes. */
    public static MeshDiscovery start(KubernetesClient client, DiscoveryConfig config, MeshSettings mesh,
                                      MeshNode node, PrometheusRegistry registry) {
        String namespace = PodNamespace.resolve(config.namespace(), PodNamespace.SERVICE_ACCOUNT_FILE,
                client.getConfiguration().getNamespace());
        Set<String> selfNames = new HashSet<>();
        selfNames.add(mesh.serverName());
        String podName = System.getenv("POD_NAME");
        if (podName != null && !podName.isBlank()) {
            selfNames.add(podName.strip());
        }
        MeshPeerPods rule = new MeshPeerPods(config.portAnnotation(), node.port(), selfNames,
                new PeerAddress(mesh.advertiseHost(), node.port()));
        RouterPodWatch watch = RouterPodWatch.start(client, namespace, config.selector(), rule,
                node::setDiscoveredPeers);
        GaugeWithCallback.builder()
                .name("router_mesh_discovered_peers")
                .help("Router pods found by Kubernetes discovery and handed to the mesh as contact points")
                .callback(cb -> cb.call(watch.peerCount()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("router_mesh_discovery_watching")
                .help("1 while the watch on router pods is open; 0 while listing, reconnecting or refused (RBAC)")
                .callback(cb -> cb.call(watch.isWatching() ? 1 : 0))
                .register(registry);
        return new MeshDiscovery(client, watch);
    }

    /** False only once the first pod list is in and names no other router (this is the first one). */
    public boolean mayHavePeers() {
        return !watch.hasListed() || watch.peerCount() > 0;
    }

    @Override
    public void close() {
        watch.close();
        client.close();
    }
}
