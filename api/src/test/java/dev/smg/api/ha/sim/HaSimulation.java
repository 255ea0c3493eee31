package dev.smg.api.ha.sim;

import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.sim.SimulatedNetwork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A cluster of {@link SimulatedRouter}s on one {@link SimulatedNetwork}: seeded, so a run replays
 * exactly; minutes of cluster time in well under a second of test time. Routers join through the
 * first router, crash (their address stops answering, their loop stops) and restart empty under the
 * same name, as processes do.
 */
final class HaSimulation {
    final SimulatedNetwork network;
    final List<Throwable> failures = new ArrayList<>();
    private final Map<String, SimulatedRouter> routers = new LinkedHashMap<>();
    private final Map<String, Integer> incarnations = new LinkedHashMap<>();
    private final Map<String, String> policyOf = new LinkedHashMap<>();
    private final double rateLimit;

    HaSimulation(long seed, double rateLimit) {
        this.network = new SimulatedNetwork(seed);
        this.rateLimit = rateLimit;
    }

    static String address(String name) {
        return name + ":39527";
    }

    /** Starts a router with {@code --policy defaultPolicy}, joining through the first router. */
    SimulatedRouter start(String name, String defaultPolicy) {
        // Every other router is a seed, tried in order: the first may be the one that crashed.
        List<String> seeds = routers.keySet().stream().filter(n -> !n.equals(name)).map(HaSimulation::address)
                .toList();
        int incarnation = incarnations.merge(name, 1, Integer::sum);
        policyOf.put(name, defaultPolicy);
        SimulatedRouter router = new SimulatedRouter(network, failures, name, incarnation, seeds, defaultPolicy,
                rateLimit);
        routers.put(name, router);
        return router;
    }

    SimulatedRouter start(String name) {
        return start(name, "cache_aware");
    }

    /** The router stops answering at once, with whatever it had (SIGKILL). */
    void crash(String name) {
        SimulatedRouter router = routers.get(name);
        network.detach(router.address);
        router.loop.close();
    }

    /** A crashed router starts again, empty, under its name and flags. */
    SimulatedRouter restart(String name) {
        return start(name, policyOf.get(name));
    }

    SimulatedRouter router(String name) {
        return routers.get(name);
    }

    /** The routers that run (not crashed). */
    List<SimulatedRouter> live() {
        return routers.values().stream().filter(r -> r.loop.isOpen()).toList();
    }

    void runFor(Duration time) {
        network.runFor(time.toNanos());
    }

    boolean runUntil(BooleanSupplier condition, Duration limit) {
        return network.runUntil(condition, limit.toNanos());
    }

    /** Every live router sees every live router ALIVE. */
    boolean formed() {
        Set<String> names = live().stream().map(r -> r.name).collect(Collectors.toSet());
        return live().stream().allMatch(r -> r.swim.view().members().stream()
                .filter(m -> m.status() == MemberStatus.ALIVE).map(Member::name).collect(Collectors.toSet())
                .containsAll(names));
    }
}
