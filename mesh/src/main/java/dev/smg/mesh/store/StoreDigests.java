package dev.smg.mesh.store;

import com.google.protobuf.ByteString;
import dev.smg.mesh.crdt.CrdtMap;
import dev.smg.mesh.crdt.Dot;
import dev.smg.mesh.crdt.GCounter;
import dev.smg.mesh.crdt.LwwRegister;
import dev.smg.mesh.crdt.PNCounter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compact summaries of a namespace for anti-entropy: keys fall into {@value #BUCKETS} buckets by a
 * hash every JVM computes alike, and a bucket's digest is the sum of its live entries' hashes (key,
 * dots and value), so two replicas holding the same entries in any order agree, and any difference
 * (a missing key, a removed one, a newer value) changes the bucket. Hashes are computed from the
 * CRDT values themselves, never from their protobuf bytes (protobuf map order is not canonical).
 */
final class StoreDigests {
    static final int BUCKETS = 64;
    /** At most this many missing dots are asked for per namespace and round. */
    static final int MAX_GAPS = 1024;
    private static final long FNV_OFFSET = 0xCBF29CE484222325L;
    private static final long FNV_PRIME = 0x100000001B3L;

    private StoreDigests() {
    }

    static int bucketOf(String key) {
        return Math.floorMod(key.hashCode(), BUCKETS);
    }

    static long[] buckets(CrdtMap<String, ?> map) {
        long[] buckets = new long[BUCKETS];
        map.keys().entries().forEach((key, dots) -> buckets[bucketOf(key)] += entryHash(key, dots,
                map.values().get(key)));
        return buckets;
    }

    static long entryHash(String key, Set<Dot> dots, Object value) {
        long h = string(FNV_OFFSET, key);
        long dotSum = 0;
        for (Dot d : dots) {
            dotSum += mix(string(FNV_OFFSET, d.replica()) ^ d.counter());
        }
        return mix(h ^ mix(dotSum) ^ Long.rotateLeft(valueHash(value), 17));
    }

    private static long valueHash(Object value) {
        if (value == null) {
            return 0;
        }
        if (value instanceof LwwRegister<?> r) {
            long h = mix(r.stamp().wallMillis()) ^ Long.rotateLeft(mix(r.stamp().logical()), 7)
                    ^ string(FNV_OFFSET, r.stamp().replica());
            return mix(h ^ (r.value() == null ? 1 : r.value() instanceof ByteString bytes ? bytes(bytes)
                    : string(FNV_OFFSET, r.value().toString())));
        }
        if (value instanceof GCounter g) {
            return counter(g);
        }
        if (value instanceof PNCounter p) {
            return mix(counter(p.increments()) ^ Long.rotateLeft(counter(p.decrements()), 31));
        }
        throw new IllegalArgumentException("no digest for " + value.getClass().getSimpleName());
    }

    private static long counter(GCounter g) {
        long sum = 0;
        for (Map.Entry<String, Long> e : g.entries().entrySet()) {
            sum += mix(string(FNV_OFFSET, e.getKey()) ^ e.getValue());
        }
        return mix(sum);
    }

    /** Dots this replica knows it has not seen: holes below the newest dot it has of each replica. */
    static List<Dot> gaps(CrdtMap<String, ?> map) {
        List<Dot> gaps = new ArrayList<>();
        Map<String, Long> vector = map.keys().context().vector();
        for (Dot seen : map.keys().context().cloud()) {
            long from = vector.getOrDefault(seen.replica(), 0L) + 1;
            for (long c = from; c < seen.counter() && gaps.size() < MAX_GAPS; c++) {
                Dot candidate = new Dot(seen.replica(), c);
                if (!map.keys().context().contains(candidate) && !gaps.contains(candidate)) {
                    gaps.add(candidate);
                }
            }
        }
        return gaps;
    }

    private static long bytes(ByteString bytes) {
        long h = FNV_OFFSET;
        for (int i = 0; i < bytes.size(); i++) {
            h = (h ^ bytes.byteAt(i)) * FNV_PRIME;
        }
        return h;
    }

    private static long string(long h, String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ b) * FNV_PRIME;
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
