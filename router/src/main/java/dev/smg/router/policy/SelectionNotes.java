package dev.smg.router.policy;

/**
 * What a policy may tell about how it chose, for the request's trace: why this worker, and for a
 * cache match how much of the prompt matched and which router's traffic taught the tree that prefix.
 * Only written when the request is traced; {@link #NONE} ignores everything.
 */
public interface SelectionNotes {
    SelectionNotes NONE = new SelectionNotes() {
        @Override
        public void reason(String reason) {
        }

        @Override
        public void cacheMatch(int matchedBlocks, int promptBlocks, String origin) {
        }
    };

    /** Why the worker was chosen, in a word or two ("cache_match", "least_loaded", "imbalance", ...). */
    void reason(String reason);

    /**
     * @param matchedBlocks prompt blocks the tree held for the chosen worker (0: no match)
     * @param promptBlocks  blocks in the prompt
     * @param origin        router whose request made that tree entry ("" this router, null: no match)
     */
    void cacheMatch(int matchedBlocks, int promptBlocks, String origin);
}
