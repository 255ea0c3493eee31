package dev.smg.api.ha;

import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.store.Namespace;

import java.util.List;

/**
 * The replicated store's namespaces as the gateway uses them. Values of the LWW namespaces are
 * small JSON documents (the store knows nothing of workers or policies).
 */
public final class HaNamespaces {
    /** Worker URL -> its spec (url, models, labels, api key): the cluster's worker registry. */
    public static final Namespace<LwwRegister<String>> WORKERS = new Namespace<>("workers", LwwRegister.empty());
    /** "health:URL" and "breaker:URL" -> the latest verdict any router reached about that worker. */
    public static final Namespace<LwwRegister<String>> WORKER_STATE =
            new Namespace<>("worker_state", LwwRegister.empty());
    /** Model id (or "*" for the default) -> its routing policy and parameters. */
    public static final Namespace<LwwRegister<String>> POLICIES = new Namespace<>("policies", LwwRegister.empty());
    /** Application settings set through the HA API, e.g. the cluster rate limit. */
    public static final Namespace<LwwRegister<String>> APP = new Namespace<>("app", LwwRegister.empty());
    /** Request counters of the cluster rate limit: one G-Counter entry per router. */
    public static final Namespace<GCounter> RATE_LIMIT = new Namespace<>("rate_limit", GCounter.EMPTY);

    public static final List<Namespace<?>> ALL = List.of(WORKERS, WORKER_STATE, POLICIES, APP, RATE_LIMIT);

    private HaNamespaces() {
    }
}
