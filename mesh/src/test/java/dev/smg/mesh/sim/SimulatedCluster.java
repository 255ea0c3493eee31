package dev.smg.mesh.sim;

import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipEvents;
import dev.smg.mesh.membership.MembershipSettings;
import dev.smg.mesh.membership.SwimNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * A cluster of simulated members named {@code n0..n(N-1)} at addresses {@code n0:7000...}, on one
 * {@link SimulatedNetwork}. Tests and the failure-detection benchmark drive it.
 */
public final class SimulatedCluster {
    private final SimulatedNetwork network;
    private final MembershipSettings settings;
    private final Map<String, SwimNode> nodes = new LinkedHashMap<>();
    private final Map<String, List<String>> seedsOf = new LinkedHashMap<>();
    private BiConsumer<String, Member[]> statusObserver = (observer, change) -> { };

    public SimulatedCluster(long seed, MembershipSettings settings) {
        this.network = new SimulatedNetwork(seed);
        this.settings = settings;
    }

    public SimulatedNetwork network() {
        return network;
    }

    public static String address(String name) {
        return name + ":7000";
    }

    /** Sees every status change at every node: (observer name, [before, after]). */
    public void observeStatusChanges(BiConsumer<String, Member[]> observer) {
        this.statusObserver = observer;
    }

    /** Starts {@code name}, joining through {@code seeds} (node names). */
    public SwimNode start(String name, List<String> seeds) {
        List<String> seedAddresses = seeds.stream().map(SimulatedCluster::address).toList();
        seedsOf.put(name, seeds);
        SwimNode node = network.node(settings, name, address(name), seedAddresses, new MembershipEvents() {
            @Override
            public void statusChanged(Member before, Member after) {
                statusObserver.accept(name, new Member[] {before, after});
            }
        });
        nodes.put(name, node);
        node.start();
        return node;
    }

    /** Starts n0..n(count-1); every node but n0 joins through n0. */
    public void startAll(int count) {
        for (int i = 0; i < count; i++) {
            start("n" + i, i == 0 ? List.of() : List.of("n0"));
        }
    }

    /** Crash: no leave, the node just stops answering. */
    public void crash(String name) {
        SwimNode node = nodes.remove(name);
        if (node != null) {
            node.stop();
            network.detach(address(name));
        }
    }

    /** Restart under the same name with empty state. */
    public SwimNode restart(String name) {
        crash(name);
        return start(name, seedsOf.getOrDefault(name, List.of("n0")));
    }

    public void leave(String name, Runnable done) {
        nodes.get(name).leave(() -> {
            crash(name);
            done.run();
        });
    }

    public SwimNode node(String name) {
        return nodes.get(name);
    }

    public List<String> running() {
        return new ArrayList<>(nodes.keySet());
    }

    /** What {@code observer} believes about {@code member}. */
    public Optional<MemberStatus> statusAt(String observer, String member) {
        SwimNode node = nodes.get(observer);
        return node == null ? Optional.empty() : node.view().member(member).map(Member::status);
    }

    /** Whether every running node sees exactly the running nodes, all ALIVE. */
    public boolean converged() {
        for (SwimNode node : nodes.values()) {
            for (String other : nodes.keySet()) {
                if (statusAt(node.name(), other).orElse(null) != MemberStatus.ALIVE) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether every running node other than {@code target} sees it in {@code status}. */
    public boolean allSee(String target, MemberStatus status) {
        for (String observer : nodes.keySet()) {
            if (!observer.equals(target) && statusAt(observer, target).orElse(null) != status) {
                return false;
            }
        }
        return true;
    }
}
