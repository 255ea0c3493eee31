package dev.smg.api.discovery;

import dev.smg.router.worker.WorkerSpec;
import dev.smg.router.worker.WorkerUrl;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which of the watched pods are workers now, and with what spec: a pod is the worker
 * {@code http://<podIP>:<port>} while it is Running, Ready, has an IP and is not being deleted.
 * Unlike router pods (see {@link MeshPeerPods}), readiness is required: it is the engine saying it
 * has loaded its model and takes requests, and a pod that stops being Ready (an engine that hangs,
 * a rolling update taking it out) should stop getting traffic. Its worker is labelled with the pod
 * name so {@code GET /workers} says where it came from.
 */
public final class WorkerPods {
    /** Worker label naming the pod a discovered worker came from. */
    public static final String POD_LABEL = "k8s-pod";

    private final int port;
    private final Optional<ModelIdFrom> modelIdFrom;

    public WorkerPods(int port, Optional<ModelIdFrom> modelIdFrom) {
        this.port = port;
        this.modelIdFrom = modelIdFrom;
    }

    /** The desired workers, by URL (two pods cannot hold one IP at once; if they seem to, the first wins). */
    public Map<WorkerUrl, WorkerSpec> desired(Collection<Pod> pods) {
        Map<WorkerUrl, WorkerSpec> desired = new LinkedHashMap<>();
        for (Pod pod : pods) {
            if (!isServing(pod)) {
                continue;
            }
            WorkerUrl url = WorkerUrl.parse("http://" + hostPart(pod.getStatus().getPodIP()) + ":" + port);
            List<String> models = modelIdFrom.flatMap(m -> m.of(pod)).map(List::of).orElse(List.of());
            desired.putIfAbsent(url, new WorkerSpec(url, models, Optional.empty(),
                    Map.of(POD_LABEL, pod.getMetadata().getName())));
        }
        return desired;
    }

    /** Running, Ready, with an IP, and not terminating (a terminating pod's worker drains at once). */
    static boolean isServing(Pod pod) {
        if (pod.getMetadata() == null || pod.getMetadata().getName() == null
                || pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null) {
            return false;
        }
        String ip = pod.getStatus().getPodIP();
        return "Running".equals(pod.getStatus().getPhase()) && ip != null && !ip.isEmpty() && isReady(pod);
    }

    private static boolean isReady(Pod pod) {
        List<PodCondition> conditions = pod.getStatus().getConditions();
        return conditions != null && conditions.stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** An IPv6 pod IP goes in brackets in a URL. */
    private static String hostPart(String ip) {
        return ip.contains(":") && !ip.startsWith("[") ? "[" + ip + "]" : ip;
    }
}
