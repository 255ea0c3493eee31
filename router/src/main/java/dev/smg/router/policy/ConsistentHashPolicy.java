package dev.smg.router.policy;

import dev.smg.router.worker.Worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Consistent hashing on a routing key ({@code X-SMG-Routing-Key}, else a configured body field such
 * as {@code user}): the same key goes to the same worker while it is available, and when workers
 * come or go only the keys on the affected arc move. The ring is built over the candidates' URLs
 * (so it is the same on every router for the same worker set) and cached ({@link RingCache}) per set.
 * Requests without a key go to a random worker.
 */
public final class ConsistentHashPolicy implements RoutingPolicy {
    private final RandomPolicy fallback = new RandomPolicy();
    private final RingCache rings = new RingCache(RingCache.DEFAULT_CAPACITY);

    @Override
    public String name() {
        return "consistent_hash";
    }

    @Override
    public Optional<Worker> select(List<Worker> candidates, RoutingRequest request) {
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        if (request.routingKey().isEmpty()) {
            return fallback.select(candidates, request);
        }
        Map<String, Worker> byUrl = new HashMap<>(candidates.size() * 2);
        List<String> urls = new ArrayList<>(candidates.size());
        for (Worker w : candidates) {
            String url = w.url().toString();
            byUrl.put(url, w);
            urls.add(url);
        }
        java.util.Collections.sort(urls);
        HashRing current = rings.ring(urls);
        int start = current.start(request.routingKey().get());
        for (int i = 0; i < current.size(); i++) {
            Worker w = byUrl.get(current.ownerAt(start + i));
            if (w != null) {
                return Optional.of(w);
            }
        }
        return fallback.select(candidates, request);
    }

    RingCache rings() {
        return rings;
    }
}
