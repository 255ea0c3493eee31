package dev.smg.api.gateway;

import dev.smg.api.json.Json;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.runtime.MeshNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The HA management API on the HTTP port. {@code /ha/status} has exactly the seed's shape
 * ({@code status} is the stringified status number); with the mesh off every route answers
 * {@code 503 {"error":"mesh not enabled"}}.
 */
final class HaRoutes {
    private HaRoutes() {
    }

    static void register(HttpRouting.Builder routing, Optional<MeshNode> mesh) {
        routing.get("/ha/status", (req, res) -> {
            if (mesh.isEmpty()) {
                meshOff(res);
                return;
            }
            send(res, 200, status(mesh.get().view()));
        }).get("/ha/health", (req, res) -> {
            if (mesh.isEmpty()) {
                meshOff(res);
                return;
            }
            MembershipView view = mesh.get().view();
            MemberStatus self = view.self().status();
            Map<String, Object> health = new LinkedHashMap<>();
            health.put("status", switch (self) {
                case ALIVE -> "healthy";
                case INIT -> "starting";
                case LEAVING -> "leaving";
                default -> "unhealthy";
            });
            health.put("node_name", view.self().name());
            health.put("node_status", String.valueOf(self.code()));
            health.put("alive_members", view.count(MemberStatus.ALIVE));
            health.put("member_count", view.members().size());
            send(res, self == MemberStatus.ALIVE ? 200 : 503, health);
        });
        for (String path : List.of("/ha/workers", "/ha/policies")) {
            routing.get(path, (req, res) -> {
                if (mesh.isEmpty()) {
                    meshOff(res);
                    return;
                }
                // Replicated workers and policies come with the replicated-state work; until then
                // the cluster-wide view of them is empty, not made up.
                send(res, 200, Map.of(path.endsWith("workers") ? "workers" : "policies", List.of()));
            });
        }
    }

    static Map<String, Object> status(MembershipView view) {
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (Member m : view.members()) {
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("name", m.name());
            node.put("address", m.address());
            node.put("status", String.valueOf(m.status().code()));
            node.put("version", m.incarnation());
            nodes.add(node);
        }
        Map<String, Object> stores = new LinkedHashMap<>();
        stores.put("membership_count", nodes.size());
        stores.put("worker_count", 0);
        stores.put("policy_count", 0);
        stores.put("app_count", 0);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("node_name", view.self().name());
        status.put("node_count", nodes.size());
        status.put("nodes", nodes);
        status.put("stores", stores);
        return status;
    }

    private static void meshOff(ServerResponse res) throws IOException {
        send(res, 503, Map.of("error", "mesh not enabled"));
    }

    private static void send(ServerResponse res, int status, Object body) throws IOException {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.MAPPER.asBytes(body));
    }
}
