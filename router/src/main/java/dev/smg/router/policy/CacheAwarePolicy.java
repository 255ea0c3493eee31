package dev.smg.router.policy;

import dev.smg.router.replication.WorkerLoad;
import dev.smg.router.tree.CacheIndex;
import dev.smg.router.tree.PromptBlocks;
import dev.smg.router.tree.RadixTree;
import dev.smg.router.tree.TreeInsert;
import dev.smg.router.worker.Worker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cache-aware routing: send a prompt to the worker most likely to hold its prefix in KV cache,
 * unless load is out of balance.
 * <ol>
 *   <li>Imbalanced (max − min in-flight &gt; {@code balanceAbs} and max &gt; min × {@code balanceRel}):
 *       the least-loaded worker.</li>
 *   <li>Otherwise the longest cached prefix among available workers: if it covers more than
 *       {@code cacheThreshold} of the prompt, its most recent holder; else the least-loaded worker.</li>
 * </ol>
 * Either way the prompt is then recorded for the chosen worker (a {@link TreeInsert} handed to the
 * index's single writer). Ties in load go to the worker with fewer requests served so far.
 */
public final class CacheAwarePolicy implements RoutingPolicy {
    private final CacheIndex index;
    private final CacheAwareSettings settings;

    private final WorkerLoad load;

    /** @param load what the balance check compares ({@link WorkerLoad#LOCAL}: this router's in-flight counts) */
    public CacheAwarePolicy(CacheIndex index, CacheAwareSettings settings, WorkerLoad load) {
        this.index = index;
        this.settings = settings;
        this.load = load;
    }

    public CacheAwarePolicy(CacheIndex index, CacheAwareSettings settings) {
        this(index, settings, WorkerLoad.LOCAL);
    }

    @Override
    public String name() {
        return "cache_aware";
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request) {
        return select(candidates, request, SelectionNotes.NONE);
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request, SelectionNotes notes) {
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        // Two minima. The balance check and its remedy use the cluster's load (every router's requests).
        // Without a cache match, the least loaded is this router's by its own fresh view (ties: fewer
        // served here): routers that all took the minimum of the shared view, a publication old, or
        // broke ties by it, sent their next requests to the same worker (cache_aware behind 3 routers at
        // 95% load: TTFT p99 1.7x and engine imbalance 1.10x those of routers balancing their own
        // traffic; docs/benchmarks.md, load sharing). Routers that each balance their own stream
        // balance the sum.
        Worker clusterLeast = candidates.get(0);
        Worker least = candidates.get(0);
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double leastOwn = Double.MAX_VALUE;
        for (Worker w : candidates) {
            double load = this.load.of(w);
            if (load < min || load == min && w.served() < clusterLeast.served()) {
                clusterLeast = w;
            }
            min = Math.min(min, load);
            max = Math.max(max, load);
            double own = this.load.ownFresh(w);
            if (own < leastOwn || own == leastOwn && w.served() < least.served()) {
                least = w;
                leastOwn = own;
            }
        }
        PromptBlocks prompt = PromptBlocks.of(request.promptText(), settings.blockChars());
        boolean imbalanced = max - min > settings.balanceAbs() && max > min * settings.balanceRel();
        Worker chosen = imbalanced ? clusterLeast : least;
        String reason = imbalanced ? "imbalance" : "least_loaded";
        if (!imbalanced && prompt.chars() > 0) {
            Map<String, Worker> byUrl = new HashMap<>(candidates.size() * 2);
            for (Worker w : candidates) {
                byUrl.put(w.url().toString(), w);
            }
            RadixTree.Match match = index.match(request.modelOrDefault(), prompt, byUrl::containsKey);
            if (match.tenant() != null && prompt.matchRatio(match.blocks()) > settings.cacheThreshold()) {
                chosen = byUrl.get(match.tenant());
                reason = "cache_match";
            }
            notes.cacheMatch(match.blocks(), prompt.hashes().length, match.origin());
        }
        notes.reason(reason);
        if (prompt.chars() > 0) {
            index.offer(new TreeInsert(request.modelOrDefault(), chosen.url().toString(), prompt.hashes()));
        }
        return Optional.of(chosen);
    }

    @Override
    public void forget(Worker worker) {
        index.removeTenant(worker.url().toString());
    }
}
