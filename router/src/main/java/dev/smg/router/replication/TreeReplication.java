package dev.smg.router.replication;

import dev.smg.router.tree.TreeInsert;

/**
 * Port: cache-tree inserts this router makes, on their way out to whatever replicates them (so a
 * prompt first routed through one router is routed to the same worker by all). The
 * {@link dev.smg.router.tree.CacheIndex} calls it for every accepted local insert, on the routing
 * thread, so an implementation only queues and never blocks; inserts adopted from peers
 * ({@code CacheIndex.offerRemote}) are not reported back.
 */
public interface TreeReplication {
    void inserted(TreeInsert insert);

    /** Nothing to replicate to: a router on its own. */
    TreeReplication NONE = insert -> { };
}
