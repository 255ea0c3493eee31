package dev.smg.router.tree.bench;

import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.PromptBlocks;
import dev.smg.router.tree.RadixTree;
import dev.smg.router.tree.TreeInsert;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Cache-aware tree costs as a routing thread pays them: hashing the prompt into blocks plus one
 * insert (path copy) or one match, on a tree already holding 2,000 prompts of the same length
 * spread over the tenants, with shared prefixes as real traffic has (one of 20 system prompts,
 * then a unique tail). Not a test: run by scripts/bench/tree-jmh.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RadixTreeBench {
    @Param({"10", "50", "100", "4096"})
    public int chars;

    @Param({"10", "64"})
    public int tenants;

    private String[] prompts;
    private String[] tenantIds;
    private RadixTree tree;
    private CacheIndex index;
    private long clock;
    private int next;

    @Setup(Level.Trial)
    public void build() {
        SplittableRandom random = new SplittableRandom(7);
        String[] systems = new String[20];
        for (int s = 0; s < systems.length; s++) {
            systems[s] = text(random, chars * 3 / 4);
        }
        prompts = new String[4096];
        for (int i = 0; i < prompts.length; i++) {
            String system = systems[random.nextInt(systems.length)];
            prompts[i] = (system + text(random, chars)).substring(0, chars);
        }
        tenantIds = new String[tenants];
        for (int t = 0; t < tenants; t++) {
            tenantIds[t] = "http://10.0.0." + t + ":8000";
        }
        tree = RadixTree.empty();
        for (int i = 0; i < 2000; i++) {
            tree = tree.insert(PromptBlocks.of(prompts[i], 16).hashes(), tenantIds[i % tenants], ++clock);
        }
        index = new CacheIndex(Long.MAX_VALUE / 4, 16);
    }

    @TearDown(Level.Trial)
    public void close() {
        index.close();
    }

    private static String text(SplittableRandom random, int n) {
        StringBuilder b = new StringBuilder(n + 8);
        while (b.length() < n) {
            b.append((char) ('a' + random.nextInt(26)));
            if (random.nextInt(6) == 0) {
                b.append(' ');
            }
        }
        return b.toString();
    }

    private String nextPrompt() {
        return prompts[next++ & (prompts.length - 1)];
    }

    /** Hash the prompt and insert it: the writer's cost per routed request. */
    @Benchmark
    public RadixTree insert() {
        RadixTree t = tree.insert(PromptBlocks.of(nextPrompt(), 16).hashes(), tenantIds[next % tenants], ++clock);
        if ((clock & 1023) == 0) {
            tree = t; // grow slowly so the tree stays about the set-up size
        }
        return t;
    }

    /** Hash the prompt and find the longest cached prefix: the routing thread's cost. */
    @Benchmark
    public RadixTree.Match match() {
        return tree.match(PromptBlocks.of(nextPrompt(), 16).hashes(), t -> true);
    }

    /** Mixed: one thread routes (hash + match on the published tree) ... */
    @Benchmark
    @Group("mixed")
    @GroupThreads(1)
    public RadixTree.Match mixedMatch() {
        return index.match("m", PromptBlocks.of(nextPrompt(), 16), t -> true);
    }

    /** ... while another hands inserts to the single writer, which publishes new trees. */
    @Benchmark
    @Group("mixed")
    @GroupThreads(1)
    public boolean mixedInsert() {
        String p = nextPrompt();
        return index.offer(new TreeInsert("m", tenantIds[p.length() % tenants], PromptBlocks.of(p, 16).hashes()));
    }
}
