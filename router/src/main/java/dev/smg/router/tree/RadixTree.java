package dev.smg.router.tree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A persistent (immutable, path-copied) radix tree over sequences of block hashes, whose nodes
 * record which tenants (workers) hold each prefix, when they last used it, and which router's request
 * that last use was (its origin: "" for this router, else the peer the insert was replicated from). Every operation
 * returns a new tree and leaves the old one intact, so a reader holding a tree reference sees a
 * consistent picture without locks while the single writer builds the next one; an insert copies
 * only the nodes on its path.
 *
 * <p>Invariants (checked by {@link #checkInvariants()}): children are sorted by their edge's first
 * key and edges are non-empty; a tenant present at a node is present at its parent (inserts attach
 * the tenant along the whole path); {@link #blocks()} equals the number of keys on all edges.
 */
public final class RadixTree {
    static final RadixTree EMPTY = new RadixTree(Node.ROOT, 0);

    private final Node root;
    private final long blocks;

    private RadixTree(Node root, long blocks) {
        this.root = root;
        this.blocks = blocks;
    }

    public static RadixTree empty() {
        return EMPTY;
    }

    /** Number of blocks stored (each edge key counts once, however many tenants share it). */
    public long blocks() {
        return blocks;
    }

    // ---------------------------------------------------------------- nodes

    static final class Node {
        static final Node ROOT = new Node(new long[0], new long[0], new Node[0], new String[0], new long[0],
                new String[0]);

        final long[] edge;
        final long[] childKeys;
        final Node[] children;
        final String[] tenants;
        final long[] stamps;
        /** Per tenant: the router whose request made the last use ("" this one); interned, so shared. */
        final String[] origins;

        Node(long[] edge, long[] childKeys, Node[] children, String[] tenants, long[] stamps, String[] origins) {
            this.edge = edge;
            this.childKeys = childKeys;
            this.children = children;
            this.tenants = tenants;
            this.stamps = stamps;
            this.origins = origins;
        }

        int child(long key) {
            return Arrays.binarySearch(childKeys, key);
        }

        int tenant(String t) {
            for (int i = 0; i < tenants.length; i++) {
                if (tenants[i].equals(t)) {
                    return i;
                }
            }
            return -1;
        }

        Node withTenant(String tenant, long stamp, String origin) {
            int i = tenant(tenant);
            String[] ts;
            long[] ss;
            String[] os;
            if (i >= 0) {
                ts = tenants;
                ss = stamps;
                os = origins;
                if (stamp >= stamps[i]) {
                    ss = stamps.clone();
                    ss[i] = stamp;
                    if (!origin.equals(origins[i])) {
                        os = origins.clone();
                        os[i] = origin;
                    }
                }
            } else {
                ts = Arrays.copyOf(tenants, tenants.length + 1);
                ss = Arrays.copyOf(stamps, stamps.length + 1);
                os = Arrays.copyOf(origins, origins.length + 1);
                ts[tenants.length] = tenant;
                ss[stamps.length] = stamp;
                os[origins.length] = origin;
            }
            return new Node(edge, childKeys, children, ts, ss, os);
        }

        Node withChild(int index, Node child) {
            Node[] cs = children.clone();
            cs[index] = child;
            return new Node(edge, childKeys, cs, tenants, stamps, origins);
        }

        Node withNewChild(Node child) {
            long key = child.edge[0];
            int at = -(Arrays.binarySearch(childKeys, key) + 1);
            long[] ks = new long[childKeys.length + 1];
            Node[] cs = new Node[children.length + 1];
            System.arraycopy(childKeys, 0, ks, 0, at);
            System.arraycopy(children, 0, cs, 0, at);
            ks[at] = key;
            cs[at] = child;
            System.arraycopy(childKeys, at, ks, at + 1, childKeys.length - at);
            System.arraycopy(children, at, cs, at + 1, children.length - at);
            return new Node(edge, ks, cs, tenants, stamps, origins);
        }

        Node withEdge(long[] newEdge) {
            return new Node(newEdge, childKeys, children, tenants, stamps, origins);
        }

        long lastUse() {
            long max = Long.MIN_VALUE;
            for (long s : stamps) {
                max = Math.max(max, s);
            }
            return max;
        }
    }

    // ---------------------------------------------------------------- insert

    /** The tree with {@code key} recorded for {@code tenant}, used at {@code stamp} by this router. */
    public RadixTree insert(long[] key, String tenant, long stamp) {
        return insert(key, tenant, stamp, "");
    }

    /**
     * The tree with {@code key} recorded for {@code tenant}, used at {@code stamp} by a request to
     * router {@code origin} ("" this one). A use older than the one recorded changes nothing.
     */
    public RadixTree insert(long[] key, String tenant, long stamp, String origin) {
        long[] added = new long[1];
        Node next = insert(root, key, 0, tenant, stamp, origin, added);
        return new RadixTree(next, blocks + added[0]);
    }

    private static Node insert(Node node, long[] key, int offset, String tenant, long stamp, String origin,
                               long[] added) {
        Node updated = node.withTenant(tenant, stamp, origin);
        if (offset == key.length) {
            return updated;
        }
        int ci = updated.child(key[offset]);
        if (ci < 0) {
            long[] rest = Arrays.copyOfRange(key, offset, key.length);
            added[0] += rest.length;
            Node leaf = new Node(rest, new long[0], new Node[0], new String[] {tenant}, new long[] {stamp},
                    new String[] {origin});
            return updated.withNewChild(leaf);
        }
        Node child = updated.children[ci];
        int common = commonPrefix(child.edge, key, offset);
        if (common == child.edge.length) {
            return updated.withChild(ci, insert(child, key, offset + common, tenant, stamp, origin, added));
        }
        // Split the child's edge at the divergence point.
        Node lower = child.withEdge(Arrays.copyOfRange(child.edge, common, child.edge.length));
        Node middle = new Node(Arrays.copyOf(child.edge, common), new long[] {lower.edge[0]}, new Node[] {lower},
                child.tenants, child.stamps, child.origins);
        middle = insert(middle, key, offset + common, tenant, stamp, origin, added);
        return updated.withChild(ci, middle);
    }

    private static int commonPrefix(long[] edge, long[] key, int offset) {
        int n = Math.min(edge.length, key.length - offset);
        int i = 0;
        while (i < n && edge[i] == key[offset + i]) {
            i++;
        }
        return i;
    }

    // ---------------------------------------------------------------- match

    /**
     * The longest prefix of {@code key} held by a tenant that {@code usable} accepts, the tenant
     * that used it most recently, and the router whose request that use was. Tenants that are not usable (unhealthy, removed, open breaker) are
     * skipped, so a dead worker's entries never steer traffic (upstream fell back to the first
     * worker instead).
     */
    public Match match(long[] key, Predicate<String> usable) {
        Node node = root;
        int offset = 0;
        int bestBlocks = 0;
        String bestTenant = null;
        String bestOrigin = null;
        while (offset < key.length) {
            int ci = node.child(key[offset]);
            if (ci < 0) {
                break;
            }
            Node child = node.children[ci];
            int common = commonPrefix(child.edge, key, offset);
            int t = mostRecent(child, usable);
            if (t < 0) {
                break; // the invariant says no deeper node has a usable tenant either
            }
            bestBlocks = offset + common;
            bestTenant = child.tenants[t];
            bestOrigin = child.origins[t];
            if (common < child.edge.length) {
                break;
            }
            offset += common;
            node = child;
        }
        return new Match(bestBlocks, bestTenant, bestOrigin);
    }

    /** Index of the usable tenant with the newest stamp, or -1. */
    private static int mostRecent(Node node, Predicate<String> usable) {
        int best = -1;
        long bestStamp = Long.MIN_VALUE;
        for (int i = 0; i < node.tenants.length; i++) {
            if (node.stamps[i] > bestStamp && usable.test(node.tenants[i])) {
                best = i;
                bestStamp = node.stamps[i];
            }
        }
        return best;
    }

    /**
     * @param blocks matched blocks
     * @param tenant who holds them, null when nothing matched
     * @param origin the router whose request made the tenant's last use of them ("" this router; null
     *               when nothing matched): where the cache knowledge that steers a request came from
     */
    public record Match(int blocks, String tenant, String origin) {
    }

    // ---------------------------------------------------------------- removal and eviction

    /** The tree without {@code tenant}: nodes left without tenants are removed. */
    public RadixTree removeTenant(String tenant) {
        long[] removed = new long[1];
        Node next = removeTenant(root, tenant, removed);
        return new RadixTree(next == null ? Node.ROOT : next, blocks - removed[0]);
    }

    private static Node removeTenant(Node node, String tenant, long[] removed) {
        int ti = node.tenant(tenant);
        if (ti < 0 && node.edge.length > 0) {
            return node; // by the invariant, nothing below holds it either
        }
        List<Long> keys = new ArrayList<>();
        List<Node> kept = new ArrayList<>();
        boolean changed = ti >= 0;
        for (Node child : node.children) {
            Node c = removeTenant(child, tenant, removed);
            if (c != child) {
                changed = true;
            }
            if (c != null) {
                keys.add(c.edge[0]);
                kept.add(c);
            }
        }
        if (!changed) {
            return node;
        }
        String[] ts = node.tenants;
        long[] ss = node.stamps;
        String[] os = node.origins;
        if (ti >= 0) {
            ts = new String[node.tenants.length - 1];
            ss = new long[node.stamps.length - 1];
            os = new String[node.origins.length - 1];
            for (int i = 0, j = 0; i < node.tenants.length; i++) {
                if (i != ti) {
                    ts[j] = node.tenants[i];
                    os[j] = node.origins[i];
                    ss[j++] = node.stamps[i];
                }
            }
        }
        if (ts.length == 0 && node.edge.length > 0) {
            // Children that were dropped counted themselves already; count this edge and the kept ones.
            long blocks = node.edge.length;
            for (Node k : kept) {
                blocks += subtreeBlocks(k);
            }
            removed[0] += blocks;
            return null;
        }
        return new Node(node.edge, keys.stream().mapToLong(Long::longValue).toArray(), kept.toArray(Node[]::new), ts, ss,
                os);
    }

    private static long subtreeBlocks(Node node) {
        long n = node.edge.length;
        for (Node c : node.children) {
            n += subtreeBlocks(c);
        }
        return n;
    }

    /**
     * Evicts least-recently-used leaves until at most {@code targetBlocks} remain. Leaves go first:
     * a leaf's last use is never later than its ancestors' (inserts stamp the whole path), so this
     * is LRU order, and removing a leaf never orphans anything.
     */
    public RadixTree evictTo(long targetBlocks) {
        RadixTree tree = this;
        while (tree.blocks > targetBlocks) {
            List<Node> leaves = new ArrayList<>();
            collectLeaves(tree.root, leaves);
            if (leaves.isEmpty()) {
                break;
            }
            leaves.sort((a, b) -> Long.compare(a.lastUse(), b.lastUse()));
            Set<Node> doomed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            long toFree = tree.blocks - targetBlocks;
            long freed = 0;
            for (Node leaf : leaves) {
                if (freed >= toFree) {
                    break;
                }
                doomed.add(leaf);
                freed += leaf.edge.length;
            }
            Node next = without(tree.root, doomed);
            tree = new RadixTree(next, tree.blocks - freed);
        }
        return tree;
    }

    private static void collectLeaves(Node node, List<Node> out) {
        if (node.children.length == 0 && node.edge.length > 0) {
            out.add(node);
        }
        for (Node c : node.children) {
            collectLeaves(c, out);
        }
    }

    private static Node without(Node node, Set<Node> doomed) {
        boolean changed = false;
        List<Long> keys = new ArrayList<>(node.children.length);
        List<Node> kept = new ArrayList<>(node.children.length);
        for (Node child : node.children) {
            if (doomed.contains(child)) {
                changed = true;
                continue;
            }
            Node c = without(child, doomed);
            changed |= c != child;
            keys.add(c.edge[0]);
            kept.add(c);
        }
        if (!changed) {
            return node;
        }
        return new Node(node.edge, keys.stream().mapToLong(Long::longValue).toArray(), kept.toArray(Node[]::new),
                node.tenants, node.stamps, node.origins);
    }

    // ---------------------------------------------------------------- export

    /** Receives one recorded use: the whole path from the root, a tenant, its stamp and origin. */
    public interface EntryVisitor {
        void visit(long[] path, String tenant, long stamp, String origin);
    }

    /**
     * Visits the fewest (path, tenant, stamp) entries whose re-insertion rebuilds this tree's
     * tenants and stamps exactly: a tenant at a node is emitted only where its stamp is newer than
     * at every child (inserts stamp the whole path, so the rest follows). This is what a router
     * sends a peer that restarts empty.
     */
    public void forEachEntry(EntryVisitor visitor) {
        for (Node child : root.children) {
            visit(child, child.edge, visitor);
        }
    }

    private static void visit(Node node, long[] path, EntryVisitor visitor) {
        for (int i = 0; i < node.tenants.length; i++) {
            long newestBelow = Long.MIN_VALUE;
            for (Node c : node.children) {
                int t = c.tenant(node.tenants[i]);
                if (t >= 0) {
                    newestBelow = Math.max(newestBelow, c.stamps[t]);
                }
            }
            if (node.stamps[i] > newestBelow) {
                visitor.visit(path, node.tenants[i], node.stamps[i], node.origins[i]);
            }
        }
        for (Node c : node.children) {
            long[] longer = Arrays.copyOf(path, path.length + c.edge.length);
            System.arraycopy(c.edge, 0, longer, path.length, c.edge.length);
            visit(c, longer, visitor);
        }
    }

    // ---------------------------------------------------------------- inspection

    /** Throws IllegalStateException when an invariant does not hold (tests, assertions). */
    public void checkInvariants() {
        long counted = check(root, Set.of(), true);
        if (counted != blocks) {
            throw new IllegalStateException("blocks() is " + blocks + " but edges hold " + counted);
        }
    }

    private static long check(Node node, Set<String> parentTenants, boolean isRoot) {
        if (!isRoot && node.edge.length == 0) {
            throw new IllegalStateException("empty edge below the root");
        }
        if (node.tenants.length != node.stamps.length || node.tenants.length != node.origins.length) {
            throw new IllegalStateException("tenant, stamp and origin arrays differ");
        }
        Set<String> here = Set.of(node.tenants);
        if (!isRoot && !parentTenants.containsAll(here)) {
            throw new IllegalStateException("tenant below a node that lacks it");
        }
        long n = node.edge.length;
        for (int i = 0; i < node.children.length; i++) {
            if (node.childKeys[i] != node.children[i].edge[0]) {
                throw new IllegalStateException("child key does not match its edge");
            }
            if (i > 0 && node.childKeys[i - 1] >= node.childKeys[i]) {
                throw new IllegalStateException("children not sorted");
            }
            n += check(node.children[i], here, false);
        }
        return n;
    }

    private static Set<String> allTenants(Node root) {
        Set<String> all = new java.util.HashSet<>();
        for (Node c : root.children) {
            all.addAll(List.of(c.tenants));
        }
        return all;
    }

    /** Tenants that hold at least one block. */
    public Set<String> tenants() {
        return Set.copyOf(allTenants(root));
    }
}
