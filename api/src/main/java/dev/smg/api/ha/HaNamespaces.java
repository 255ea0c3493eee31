package dev.smg.api.ha;

import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.store.StoreSnapshot;
import dev.smg.proto.ha.BreakerVerdict;
import dev.smg.proto.ha.EngineLoadReport;
import dev.smg.proto.ha.HealthVerdict;
import dev.smg.proto.ha.PolicyValue;
import dev.smg.proto.ha.RateLimitSetting;
import dev.smg.proto.ha.RouterLoadReport;
import dev.smg.proto.ha.WorkerSpecValue;
import dev.smg.router.worker.WorkerUrl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The replicated store's namespaces as the gateway uses them, each with its key type and its value
 * message (ha.proto). The store knows nothing of workers or policies: it holds bytes under strings;
 * these tables are the only place that turns keys into strings and values into bytes.
 */
public final class HaNamespaces {
    /** Worker URL -> its spec (url, models, labels, api key): the cluster's worker registry. */
    static final LwwTable<WorkerUrl, WorkerSpecValue> WORKERS =
            new LwwTable<>("workers", WorkerUrl::toString, WorkerUrl::parse, WorkerSpecValue.parser());
    /** Worker URL -> the latest health verdict any router's probes reached about it. */
    static final LwwTable<WorkerUrl, HealthVerdict> HEALTH =
            new LwwTable<>("worker_health", WorkerUrl::toString, WorkerUrl::parse, HealthVerdict.parser());
    /** Worker URL -> the latest breaker opening or closing any router saw. */
    static final LwwTable<WorkerUrl, BreakerVerdict> BREAKERS =
            new LwwTable<>("worker_breaker", WorkerUrl::toString, WorkerUrl::parse, BreakerVerdict.parser());
    /** Model id (or "*" for the default) -> its routing policy and parameters. */
    static final LwwTable<String, PolicyValue> POLICIES =
            new LwwTable<>("policies", Function.identity(), HaNamespaces::modelKey, PolicyValue.parser());
    /** The cluster-wide rate limit set through the HA API (one key). */
    static final LwwTable<Setting, RateLimitSetting> RATE_LIMIT_SETTING =
            new LwwTable<>("app", Setting::key, Setting::parse, RateLimitSetting.parser());
    /** Requests offered to each router incarnation, for the cluster rate limit's shares: one G-Counter each. */
    public static final Namespace<GCounter> OFFERED = new Namespace<>("rate_offered", GCounter.EMPTY);
    /** Requests each router incarnation admitted (the cluster's admitted rate, for the stats). */
    public static final Namespace<GCounter> ADMITTED = new Namespace<>("rate_admitted", GCounter.EMPTY);

    /** Router name -> its requests in flight per worker (load sharing). */
    static final LwwTable<String, RouterLoadReport> ROUTER_LOAD =
            new LwwTable<>("router_load", Function.identity(), HaNamespaces::routerKey, RouterLoadReport.parser());
    /** Router name -> the engine loads it polled (load sharing). */
    static final LwwTable<String, EngineLoadReport> ENGINE_LOAD =
            new LwwTable<>("engine_load", Function.identity(), HaNamespaces::routerKey, EngineLoadReport.parser());

    public static final List<Namespace<?>> ALL = List.of(WORKERS.namespace(), HEALTH.namespace(),
            BREAKERS.namespace(), POLICIES.namespace(), RATE_LIMIT_SETTING.namespace(), OFFERED, ADMITTED,
            ROUTER_LOAD.namespace(), ENGINE_LOAD.namespace());

    /** Keys of the settings namespace. */
    enum Setting {
        RATE_LIMIT("rate_limit");

        private final String key;

        Setting(String key) {
            this.key = key;
        }

        String key() {
            return key;
        }

        static Setting parse(String key) {
            for (Setting s : values()) {
                if (s.key.equals(key)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown setting");
        }
    }

    /** The seed's store counts for /ha/status: workers, policies and application settings. */
    public static Map<String, Integer> counts(StoreSnapshot snapshot) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("worker_count", snapshot.size(WORKERS.namespace()));
        counts.put("policy_count", snapshot.size(POLICIES.namespace()));
        counts.put("app_count", snapshot.size(RATE_LIMIT_SETTING.namespace()));
        return counts;
    }

    private static String modelKey(String key) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("empty model id");
        }
        return key;
    }

    private static String routerKey(String key) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("empty router name");
        }
        return key;
    }

    private HaNamespaces() {
    }
}
