package dev.smg.mesh.sim;

import dev.smg.mesh.membership.Scheduler;
import dev.smg.mesh.membership.SwimNode;
import dev.smg.mesh.membership.Transport;
import dev.smg.proto.mesh.Envelope;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A deterministic discrete-event world for membership tests and benchmarks: one simulated clock,
 * one seeded random source, and a network that delays, drops, duplicates, reorders and partitions
 * messages between node addresses. Everything runs on the caller's thread; the same seed gives
 * the same run, so a failure can be replayed exactly.
 */
public final class SimulatedNetwork {
    private record Event(long at, long order, Runnable task) {
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    private final SplittableRandom random;
    private final Map<String, Consumer<Envelope>> endpoints = new HashMap<>();
    private final Set<String> partitionA = new HashSet<>();
    private final Set<String> partitionB = new HashSet<>();
    private final Map<String, Long> bytesSent = new HashMap<>();
    private long now;
    private long order;
    private double lossRate;
    private double duplicateRate;
    private long minDelayNanos = 200_000;
    private long maxDelayNanos = 2_000_000;
    private long messages;

    public SimulatedNetwork(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public long now() {
        return now;
    }

    public SplittableRandom random() {
        return random;
    }

    public void setLossRate(double rate) {
        this.lossRate = rate;
    }

    public void setDuplicateRate(double rate) {
        this.duplicateRate = rate;
    }

    public void setDelay(long minNanos, long maxNanos) {
        this.minDelayNanos = minNanos;
        this.maxDelayNanos = maxNanos;
    }

    /** Messages between the two groups are dropped until {@link #heal()}. */
    public void partition(Set<String> sideA, Set<String> sideB) {
        partitionA.clear();
        partitionA.addAll(sideA);
        partitionB.clear();
        partitionB.addAll(sideB);
    }

    public void heal() {
        partitionA.clear();
        partitionB.clear();
    }

    public void attach(String address, Consumer<Envelope> endpoint) {
        endpoints.put(address, endpoint);
    }

    /** The address stops answering (a crash): messages to it vanish. */
    public void detach(String address) {
        endpoints.remove(address);
    }

    public long messagesSent() {
        return messages;
    }

    public long bytesSentBy(String address) {
        return bytesSent.getOrDefault(address, 0L);
    }

    /** A scheduler on this world's clock. */
    public Scheduler scheduler() {
        return new Scheduler() {
            @Override
            public long nanoTime() {
                return now;
            }

            @Override
            public Cancellable schedule(long delayNanos, Runnable task) {
                boolean[] cancelled = new boolean[1];
                at(now + Math.max(0, delayNanos), () -> {
                    if (!cancelled[0]) {
                        task.run();
                    }
                });
                return () -> cancelled[0] = true;
            }
        };
    }

    /** A transport for the node at {@code from}. */
    public Transport transport(String from) {
        return (to, envelope) -> {
            messages++;
            bytesSent.merge(from, (long) envelope.getSerializedSize(), Long::sum);
            if (blocked(from, to) || random.nextDouble() < lossRate) {
                return;
            }
            deliverLater(to, envelope);
            if (duplicateRate > 0 && random.nextDouble() < duplicateRate) {
                deliverLater(to, envelope);
            }
        };
    }

    private void deliverLater(String to, Envelope envelope) {
        long delay = minDelayNanos + (maxDelayNanos > minDelayNanos
                ? random.nextLong(maxDelayNanos - minDelayNanos) : 0);
        at(now + delay, () -> {
            Consumer<Envelope> endpoint = endpoints.get(to);
            if (endpoint != null) {
                endpoint.accept(envelope);
            }
        });
    }

    private boolean blocked(String from, String to) {
        return partitionA.contains(from) && partitionB.contains(to) || partitionB.contains(from) && partitionA.contains(to);
    }

    private void at(long time, Runnable task) {
        queue.add(new Event(time, order++, task));
    }

    /** Runs events until simulated time reaches {@code until}. */
    public void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().at <= until) {
            Event e = queue.poll();
            now = e.at;
            e.task.run();
        }
        now = Math.max(now, until);
    }

    public void runFor(long nanos) {
        runUntil(now + nanos);
    }

    /** Runs until {@code condition} holds (checked after every event) or {@code limitNanos} pass. */
    public boolean runUntil(java.util.function.BooleanSupplier condition, long limitNanos) {
        long until = now + limitNanos;
        while (!condition.getAsBoolean()) {
            if (queue.isEmpty() || queue.peek().at > until) {
                now = until;
                return condition.getAsBoolean();
            }
            Event e = queue.poll();
            now = e.at;
            e.task.run();
        }
        return true;
    }

    /** Creates a node wired to this world. */
    public SwimNode node(dev.smg.mesh.membership.MembershipSettings settings, String name, String address,
                         java.util.List<String> seeds, dev.smg.mesh.membership.MembershipEvents events) {
        SwimNode node = new SwimNode(settings, name, address, seeds, scheduler(), transport(address),
                new SplittableRandom(random.nextLong()), events);
        attach(address, node::receive);
        return node;
    }
}
