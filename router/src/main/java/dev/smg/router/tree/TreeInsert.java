package dev.smg.router.tree;

/**
 * One cache-aware insert: "tenant now holds this prefix of a prompt to model, as of stamp". It is
 * what the routing thread hands to the tree's single writer and what a router sends its peers when
 * trees are replicated: a model id, a worker URL, a few dozen block hashes and a time, never the
 * prompt text (so no prompt leaves the router that received it).
 *
 * @param stamp wall-clock milliseconds of the use (comparable across routers, so every replica
 *              orders uses, and therefore evicts, the same way); 0 means "now", assigned on offer
 * @param origin the router whose request this use was: "" for this router; a peer's name for an insert
 *               replicated from it (shown on traces: which router's traffic taught the tree a prefix)
 */
public record TreeInsert(String model, String tenant, long[] blocks, long stamp, String origin) {
    public TreeInsert(String model, String tenant, long[] blocks) {
        this(model, tenant, blocks, 0, "");
    }

    public TreeInsert(String model, String tenant, long[] blocks, long stamp) {
        this(model, tenant, blocks, stamp, "");
    }

    TreeInsert stamped(long at) {
        return new TreeInsert(model, tenant, blocks, at, origin);
    }
}
