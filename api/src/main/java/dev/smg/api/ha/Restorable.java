package dev.smg.api.ha;

import java.util.concurrent.CompletableFuture;

/** State outside the CRDT store that a router starting empty copies from one peer before it is ready. */
interface Restorable {
    /** What it is, for the log ("cache-tree entries"). */
    String what();

    /** Completes with the number of entries copied once they have all taken effect here. */
    CompletableFuture<Integer> restoreFrom(String peer);
}
