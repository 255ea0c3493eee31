package dev.smg.api.gateway;

import dev.smg.api.json.Json;
import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.api.ha.HaContext;
import dev.smg.api.ha.HaNamespaces;
import dev.smg.mesh.membership.Quorum;
import dev.smg.router.worker.WorkerUrl;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The HA management API on the HTTP port (behind {@code --api-key} when set). {@code /ha/status}
 * has exactly the seed's shape ({@code status} is the stringified status number); error bodies are
 * upstream's {@code {"error": "..."}}; with the mesh off every route answers
 * {@code 503 {"error":"mesh not enabled"}}.
 */
final class HaRoutes {
    private static final long MAX_BODY = 4096;

    private HaRoutes() {
    }

    static void register(HttpRouting.Builder routing, Optional<HaContext> ha) {
        routing.get("/ha/status", meshOnly(ha, (h, req, res) -> send(res, 200, status(h))))
                .get("/ha/health", meshOnly(ha, HaRoutes::health))
                .get("/ha/workers", meshOnly(ha, (h, req, res) -> send(res, 200, workers(h))))
                .get("/ha/workers/{id}", meshOnly(ha, (h, req, res) -> {
                    String id = req.path().pathParameters().get("id");
                    Optional<Map<String, Object>> worker = workers(h).stream()
                            .filter(w -> id.equals(w.get("worker_id"))).findFirst();
                    if (worker.isPresent()) {
                        send(res, 200, worker.get());
                    } else {
                        send(res, 404, Map.of("error", "Worker not found"));
                    }
                }))
                .get("/ha/policies", meshOnly(ha, (h, req, res) -> send(res, 200, h.policies().clusterPolicies())))
                .get("/ha/policies/{model}", meshOnly(ha, (h, req, res) -> {
                    String model = req.path().pathParameters().get("model");
                    Optional<Map<String, Object>> policy = h.policies().clusterPolicies().stream()
                            .filter(p -> model.equals(p.get("model_id"))).findFirst();
                    if (policy.isPresent()) {
                        send(res, 200, policy.get());
                    } else {
                        send(res, 404, Map.of("error", "Policy not found"));
                    }
                }))
                .post("/ha/shutdown", meshOnly(ha, (h, req, res) -> {
                    send(res, 202, Map.of("status", "shutdown initiated"));
                    h.shutdown().run();
                }))
                .get("/ha/rate-limit", meshOnly(ha, (h, req, res) -> {
                    Optional<Double> limit = h.rateLimit().limit();
                    if (limit.isPresent()) {
                        send(res, 200, Map.of("limit_per_second", limit.get()));
                    } else {
                        send(res, 404, Map.of("error", "Global rate limit not configured"));
                    }
                }))
                .post("/ha/rate-limit", meshOnly(ha, HaRoutes::setRateLimit))
                .get("/ha/rate-limit/stats", meshOnly(ha, (h, req, res) -> send(res, 200, h.rateLimit().stats())));
    }

    /** The cluster's workers, each with its load as this router sees it (in_flight: the whole cluster's). */
    static List<Map<String, Object>> workers(HaContext ha) {
        List<Map<String, Object>> workers = ha.workers().clusterWorkers();
        for (Map<String, Object> worker : workers) {
            worker.putAll(ha.load().json(WorkerUrl.parse((String) worker.get("url"))));
        }
        return workers;
    }

    private interface HaHandler {
        void handle(HaContext ha, ServerRequest req, ServerResponse res) throws IOException;
    }

    private static Handler meshOnly(Optional<HaContext> ha, HaHandler handler) {
        return (req, res) -> {
            if (ha.isEmpty()) {
                send(res, 503, Map.of("error", "mesh not enabled"));
                return;
            }
            handler.handle(ha.get(), req, res);
        };
    }

    private static void setRateLimit(HaContext ha, ServerRequest req, ServerResponse res) throws IOException {
        Optional<byte[]> body = RequestBody.read(req, MAX_BODY);
        Object limit = null;
        if (body.isPresent()) {
            try {
                Map<String, Object> json = Json.MAPPER.mapFrom(body.get());
                limit = json == null ? null : json.get("limit_per_second");
            } catch (IOException e) {
                limit = null;
            }
        }
        if (!(limit instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 1e9
                || Double.isNaN(n.doubleValue())) {
            send(res, 400, Map.of("error", "body must be {\"limit_per_second\": a number from 0 (off) to 1e9}"));
            return;
        }
        ha.rateLimit().setLimit(n.doubleValue());
        send(res, 200, Map.of("status", "updated", "limit_per_second", n.doubleValue()));
    }

    private static void health(HaContext ha, ServerRequest req, ServerResponse res) throws IOException {
        Map<String, Object> health = health(ha);
        String status = (String) health.get("status");
        send(res, status.equals("healthy") || status.equals("degraded") ? 200 : 503, health);
    }

    /** The body of {@code /ha/health} (also part of {@code /ha/overview}). */
    static Map<String, Object> health(HaContext ha) {
        MembershipView view = ha.mesh().view();
        MemberStatus self = view.self().status();
        Quorum quorum = Quorum.of(view);
        String status;
        String reason = null;
        if (self == MemberStatus.ALIVE && !quorum.present()) {
            status = "degraded";
            reason = "sees " + quorum.reachable() + " of " + quorum.members() + " members; a quorum is "
                    + quorum.needed();
        } else if (self == MemberStatus.ALIVE && !ha.startup().done()) {
            status = "starting";
            reason = "catching up with the cluster's state";
        } else {
            status = switch (self) {
                case ALIVE -> "healthy";
                case INIT -> "starting";
                case LEAVING -> "leaving";
                default -> "unhealthy";
            };
        }
        Map<String, Object> health = new LinkedHashMap<>();
        health.put("status", status);
        if (reason != null) {
            health.put("reason", reason);
        }
        health.put("node_name", view.self().name());
        health.put("node_status", String.valueOf(self.code()));
        health.put("alive_members", view.count(MemberStatus.ALIVE));
        health.put("member_count", view.members().size());
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("present", quorum.present());
        q.put("reachable", quorum.reachable());
        q.put("members", quorum.members());
        q.put("needed", quorum.needed());
        q.put("leader", quorum.leader().orElse(null));
        health.put("quorum", q);
        health.put("sync", ha.startup().state());
        return health;
    }

    static Map<String, Object> status(HaContext ha) {
        MembershipView view = ha.mesh().view();
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
        stores.putAll(HaNamespaces.counts(ha.mesh().store().snapshot()));
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("node_name", view.self().name());
        status.put("node_count", nodes.size());
        status.put("nodes", nodes);
        status.put("stores", stores);
        return status;
    }

    private static void send(ServerResponse res, int status, Object body) throws IOException {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.MAPPER.asBytes(body));
    }
}
