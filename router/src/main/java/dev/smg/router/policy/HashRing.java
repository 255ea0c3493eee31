package dev.smg.router.policy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A consistent-hash ring: {@value #VIRTUAL_NODES} points per member, so adding or removing a member
 * moves only about 1/N of the keys. Immutable.
 */
final class HashRing {
    static final int VIRTUAL_NODES = 150;

    private final long[] points;
    private final String[] owners;
    private final List<String> members;

    HashRing(List<String> members) {
        this.members = List.copyOf(members);
        int n = members.size() * VIRTUAL_NODES;
        long[][] pairs = new long[n][2];
        int k = 0;
        for (int m = 0; m < members.size(); m++) {
            for (int v = 0; v < VIRTUAL_NODES; v++) {
                pairs[k][0] = hash(members.get(m) + "#" + v);
                pairs[k][1] = m;
                k++;
            }
        }
        Arrays.sort(pairs, (x, y) -> Long.compare(x[0], y[0]));
        points = new long[n];
        owners = new String[n];
        for (int i = 0; i < n; i++) {
            points[i] = pairs[i][0];
            owners[i] = members.get((int) pairs[i][1]);
        }
    }

    List<String> members() {
        return members;
    }

    /** Owners clockwise from the key's position, for walking past unavailable members. */
    int start(String key) {
        int i = Arrays.binarySearch(points, hash(key));
        return i >= 0 ? i : Math.min(-(i + 1), points.length) % Math.max(1, points.length);
    }

    String ownerAt(int index) {
        return owners[index % owners.length];
    }

    int size() {
        return points.length;
    }

    /** 64-bit FNV-1a over UTF-8, finished with splitmix64's mixer for an even spread. */
    static long hash(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001B3L;
        }
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        return h ^ (h >>> 31);
    }
}
