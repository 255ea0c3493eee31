package dev.smg.api.discovery;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * A fake Kubernetes API server for tests: fabric8's mock server in CRUD mode, which keeps what is
 * created and serves real list and watch requests. It can be restarted on the same port with the
 * same contents, which drops every open watch the way an API server restart does.
 */
public final class FakeApiServer implements AutoCloseable {
    public static final String NAMESPACE = "smg-test";

    private final KubernetesCrudDispatcher state = new KubernetesCrudDispatcher();
    /** While true, every request is answered 500 (an API server in trouble); the contents stay. */
    private volatile boolean failing;
    private KubernetesMockServer server;
    private int port;

    public FakeApiServer() {
        server = newServer();
        server.init(InetAddress.getLoopbackAddress(), 0);
        port = server.getPort();
    }

    private KubernetesMockServer newServer() {
        Dispatcher dispatcher = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (failing) {
                    return new MockResponse().setResponseCode(500).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                            + "\"status\":\"Failure\",\"message\":\"etcd is unhappy\",\"code\":500}");
                }
                return state.dispatch(request);
            }
        };
        return new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    }

    /**
     * Makes every request fail with 500 from now on (or stops it). Open watches are not cut: call
     * {@link #restart()} for that, after which the client's lists and watches fail until this is undone.
     */
    public void failRequests(boolean fail) {
        failing = fail;
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** A client for this server that ignores any kubeconfig on the machine and reconnects fast. */
    public KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(config()).build();
    }

    /** The client configuration of {@link #client()}, for code that builds its own client. */
    public Config config() {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withNamespace(NAMESPACE)
                .withWatchReconnectInterval(100)
                .withRequestRetryBackoffInterval(100)
                .build();
    }

    /** Stops and starts the server on the same port with the same contents: open watches break. */
    public void restart() {
        server.destroy();
        server = newServer();
        server.init(InetAddress.getLoopbackAddress(), port);
    }

    /**
     * Stops the server. The fake's own shutdown can hang: it closes a watch on its event loop
     * while waiting for an event it is still sending on that loop (30 s), which is a flaw of the
     * fake, not of the client; the test's assertions are already done, so it is reported, not thrown.
     */
    @Override
    public void close() {
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            System.err.println("fake API server did not shut down cleanly: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ pods

    /** A pod labelled app=smg; callers adjust status, labels and annotations. */
    public static PodBuilder routerPod(String name) {
        return pod(name, NAMESPACE, Map.of("app", "smg"));
    }

    public static PodBuilder pod(String name, String namespace, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .withLabels(labels).endMetadata();
    }

    /** Running with an IP, and Ready if {@code ready}. */
    public static Pod running(PodBuilder pod, String ip, boolean ready) {
        return pod.withNewStatus().withPhase("Running").withPodIP(ip)
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build())
                .endStatus().build();
    }

    public static Pod pending(PodBuilder pod) {
        return pod.withNewStatus().withPhase("Pending").endStatus().build();
    }
}
