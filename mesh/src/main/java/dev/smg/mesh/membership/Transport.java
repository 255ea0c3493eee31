package dev.smg.mesh.membership;

import dev.smg.proto.mesh.Envelope;

/**
 * One-way delivery of envelopes to a mesh address. Best effort: loss is the protocol's business
 * (probes time out, changes are retransmitted), so {@code send} never blocks and never throws.
 */
public interface Transport {
    void send(String address, Envelope envelope);
}
