package dev.smg.mesh.channel;

import com.google.protobuf.ByteString;

/**
 * Named message channels between mesh members, for replicated state that is not a CRDT map (cache
 * tree inserts, sticky sessions, snapshots of them). The mesh carries the bytes; the subscriber of a
 * channel decodes them. {@code MeshNode} implements it over gRPC; tests can implement it in memory.
 */
public interface Channels {
    /** Receives messages on one channel, on a transport thread: decode, validate, hand off; never block. */
    interface Handler {
        void received(String fromMember, ByteString data, long originWallMillis);
    }

    /**
     * Subscribes to a channel: messages on it from peers go to {@code handler}. One handler per
     * channel; messages on channels nobody subscribed to are counted and ignored.
     */
    void onChannel(String channel, Handler handler);

    /** Sends to every member that may be up. Any thread; never blocks; false when it was dropped. */
    boolean broadcast(String channel, byte[] data);

    /** Sends to one member, if known. Any thread; never blocks; false when it was dropped. */
    boolean send(String member, String channel, byte[] data);
}
