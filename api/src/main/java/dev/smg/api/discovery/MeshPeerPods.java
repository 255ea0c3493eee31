package dev.smg.api.discovery;

import dev.smg.mesh.PeerAddress;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which of the watched router pods are mesh peers, and at which address. A pod counts when it is
 * Running, has a pod IP and is not being deleted; its mesh port is the port annotation, else this
 * node's own mesh port. This node itself is left out, recognised by name (the pod name is the
 * mesh server name) or by its advertised address.
 *
 * <p>Readiness is deliberately not required. A router's readiness says whether it can serve
 * requests (it has healthy workers), not whether its mesh port answers; and if readiness ever
 * depends on the mesh (state synced from peers), requiring it would deadlock a fleet that starts
 * together, since no pod would become ready before it had joined one that already is. Listing a
 * not-ready pod only means sending it a join: membership is still decided by SWIM.
 */
public final class MeshPeerPods {
    private final String portAnnotation;
    private final int defaultPort;
    private final Set<String> selfNames;
    private final PeerAddress selfAddress;

    /** The peers found, and the pods left out because their port annotation is unusable (name to reason). */
    public record Selection(Set<PeerAddress> peers, Map<String, String> refused) {
        public Selection {
            peers = Set.copyOf(peers);
            refused = Map.copyOf(refused);
        }
    }

    /**
     * @param selfNames   names under which this node's own pod may appear (mesh server name, POD_NAME)
     * @param selfAddress this node's advertised mesh address
     */
    public MeshPeerPods(String portAnnotation, int defaultPort, Set<String> selfNames, PeerAddress selfAddress) {
        this.portAnnotation = Objects.requireNonNull(portAnnotation);
        this.defaultPort = defaultPort;
        this.selfNames = Set.copyOf(selfNames);
        this.selfAddress = Objects.requireNonNull(selfAddress);
    }

    public Selection select(Collection<Pod> pods) {
        Set<PeerAddress> peers = new LinkedHashSet<>();
        Map<String, String> refused = new TreeMap<>();
        for (Pod pod : pods) {
            String name = pod.getMetadata() == null ? null : pod.getMetadata().getName();
            if (name == null || selfNames.contains(name) || !isUp(pod)) {
                continue;
            }
            String annotated = pod.getMetadata().getAnnotations() == null ? null
                    : pod.getMetadata().getAnnotations().get(portAnnotation);
            int port = defaultPort;
            if (annotated != null) {
                port = parsePort(annotated.strip());
                if (port < 0) {
                    // A wrong port would send joins to whatever listens there: leave the pod out and say so.
                    refused.put(name, portAnnotation + "='" + annotated + "' is not a port number");
                    continue;
                }
            }
            PeerAddress address = new PeerAddress(pod.getStatus().getPodIP(), port);
            if (!address.equals(selfAddress)) {
                peers.add(address);
            }
        }
        return new Selection(peers, refused);
    }

    /** Running, with an IP, and not terminating (a terminating router announces LEAVING itself). */
    private static boolean isUp(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() == null
                && pod.getStatus() != null
                && "Running".equals(pod.getStatus().getPhase())
                && pod.getStatus().getPodIP() != null && !pod.getStatus().getPodIP().isEmpty();
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text);
            return port >= 1 && port <= 65535 ? port : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
