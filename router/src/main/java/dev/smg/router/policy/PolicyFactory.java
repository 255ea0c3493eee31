package dev.smg.router.policy;

import dev.smg.router.replication.SessionReplication;
import dev.smg.router.replication.WorkerLoad;
import dev.smg.router.tree.CacheIndex;

import java.time.Duration;

/** Builds policies from their command-line names. */
public final class PolicyFactory {

    private final CacheIndex cacheIndex;
    private final CacheAwareSettings cacheAware;
    private final AssignmentMode assignmentMode;
    private final Duration maxIdle;
    private volatile SessionReplication sessions = SessionReplication.NONE;
    private volatile WorkerLoad load = WorkerLoad.LOCAL;
    /** What every policy made here balances on: read through the factory, so a later {@link #balanceOn} reaches them all. */
    private final WorkerLoad currentLoad = new WorkerLoad() {
        @Override
        public double of(dev.smg.router.worker.Worker worker) {
            return load.of(worker);
        }

        @Override
        public double ownFresh(dev.smg.router.worker.Worker worker) {
            return load.ownFresh(worker);
        }
    };

    public PolicyFactory(CacheIndex cacheIndex, CacheAwareSettings cacheAware, AssignmentMode assignmentMode,
                         Duration maxIdle) {
        this.cacheIndex = cacheIndex;
        this.cacheAware = cacheAware;
        this.assignmentMode = assignmentMode;
        this.maxIdle = maxIdle;
    }

    /** "consistent_hashing" (upstream's spelling) is accepted for "consistent_hash". */
    public RoutingPolicy create(String name) {
        return create(spec(name));
    }

    /** The session-replication port of every manual policy this factory made or makes. */
    public void replicateSessionsTo(SessionReplication port) {
        this.sessions = port;
    }

    /** The load view of every policy this factory made or makes (default: this router's in-flight counts). */
    public void balanceOn(WorkerLoad view) {
        this.load = view;
    }

    /** The spec of policy {@code name} with this router's parameters (its flags). */
    public PolicySpec spec(String name) {
        return new PolicySpec(name, cacheAware, assignmentMode, maxIdle);
    }

    public RoutingPolicy create(PolicySpec spec) {
        return switch (spec.name()) {
            case "random" -> new RandomPolicy();
            case "round_robin" -> new RoundRobinPolicy();
            case "power_of_two" -> new PowerOfTwoPolicy(currentLoad);
            case "cache_aware" -> new CacheAwarePolicy(cacheIndex, spec.cacheAware(), currentLoad);
            case "consistent_hash" -> new ConsistentHashPolicy();
            case "manual" -> {
                ManualPolicy manual = new ManualPolicy(spec.assignment(), spec.maxIdle(), ManualPolicy.MAX_SESSIONS,
                        System::nanoTime, currentLoad);
                manual.replicateTo((policy, key, url, placed) -> sessions.placed(policy, key, url, placed));
                yield manual;
            }
            default -> throw new IllegalArgumentException("unknown policy " + spec.name());
        };
    }
}
