package dev.smg.mesh.store.bench;

import dev.smg.mesh.crdt.CausalContext;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.Dot;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.crdt.OrSet;
import dev.smg.mesh.runtime.MeshLoop;
import dev.smg.mesh.store.Namespace;
import dev.smg.mesh.store.ReplicatedStore;
import dev.smg.mesh.store.StoreSnapshot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What the mesh loop pays to apply a one-key change to a namespace of {@code keys} keys and publish
 * the new snapshot, through the store's real path: the delta is offered to the loop's inbox, and
 * the benchmark thread runs the loop's batch itself ({@link MeshLoop#runBatch}: merge, then publish
 * with one volatile write), so no thread hand-off is measured. "remoteDelta" merges a peer's delta
 * (a fresh dot replacing the key's previous one, a G-Counter entry); "localWrite" is a local
 * increment (delta built from current state, merged, handed to the delta sink). Not a test: run by
 * scripts/bench/store-jmh.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StorePublishBench {
    private static final Namespace<GCounter> COUNTERS = new Namespace<>("counters", GCounter.EMPTY);

    @Param({"1000", "10000", "100000"})
    public int keys;

    private MeshLoop loop;
    private ReplicatedStore store;
    private String[] names;
    /** The dot that currently supports each key (a peer's delta replaces it). */
    private Dot[] supporting;
    private long[] peerCounts;
    private long peerDots;
    private int next;

    @Setup(Level.Trial)
    public void fill() {
        loop = new MeshLoop("bench-loop"); // never started: the benchmark thread is the writer
        store = new ReplicatedStore("local", loop, List.of(COUNTERS));
        names = new String[keys];
        supporting = new Dot[keys];
        peerCounts = new long[keys];
        Map<String, Set<Dot>> entries = new HashMap<>();
        Map<String, GCounter> values = new HashMap<>();
        for (int i = 0; i < keys; i++) {
            names[i] = "key-" + i;
            supporting[i] = new Dot("seed", i + 1);
            entries.put(names[i], Set.of(supporting[i]));
            values.put(names[i], new GCounter(Map.of("seed", 1L)));
        }
        CausalContext seen = new CausalContext(Map.of("seed", (long) keys), Set.of());
        store.mergeRemote(COUNTERS.name(), new CrdtMap<>(new OrSet<>(entries, seen), values));
        loop.runBatch();
        if (store.snapshot().size(COUNTERS) != keys) {
            throw new IllegalStateException("seeding failed");
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        loop.close();
    }

    @Benchmark
    public StoreSnapshot remoteDelta() {
        int i = next++ % keys;
        Dot dot = new Dot("peer", ++peerDots);
        CausalContext seen = CausalContext.of(List.of(dot, supporting[i]));
        supporting[i] = dot;
        CrdtMap<String, GCounter> delta = new CrdtMap<>(new OrSet<>(Map.of(names[i], Set.of(dot)), seen),
                Map.of(names[i], new GCounter(Map.of("peer", ++peerCounts[i]))));
        store.mergeRemote(COUNTERS.name(), delta);
        loop.runBatch();
        return store.snapshot();
    }

    @Benchmark
    public StoreSnapshot localWrite() {
        int i = next++ % keys;
        store.update(COUNTERS, names[i], c -> c.incrementDelta("local", 1));
        loop.runBatch();
        return store.snapshot();
    }
}
