package dev.smg.mesh;

import dev.smg.mesh.channel.Channels;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.store.ReplicatedStore;

import java.util.concurrent.CompletableFuture;

/**
 * What the layers above see of this node's place in the mesh: its name and settings, its view of
 * membership, the replicated store, named channels, and catch-up from a peer. {@code MeshNode}
 * implements it over gRPC; the HA simulator (api's tests) implements it over a simulated network, so
 * the HA layer runs the same code in both.
 */
public interface Mesh extends Channels {
    /** This member's name. */
    String name();

    /** Every timing and bound this node runs by. */
    MeshTuning tuning();

    /** The latest membership view (immutable; any thread). */
    MembershipView view();

    ReplicatedStore store();

    /**
     * Asks {@code member} for everything this node's store lacks; completes once the whole answer has
     * been merged and published here.
     */
    CompletableFuture<Void> catchUpFrom(String member);
}
