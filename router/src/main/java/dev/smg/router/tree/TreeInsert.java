package dev.smg.router.tree;

/**
 * One cache-aware insert: "tenant now holds this prefix of a prompt to model". It is what the
 * routing thread hands to the tree's single writer, and it is designed to be what a router sends to
 * its peers when trees are replicated: a model id, a worker URL and a few dozen longs, never the
 * prompt text (so no prompt leaves the router that received it).
 */
public record TreeInsert(String model, String tenant, long[] blocks) {
}
