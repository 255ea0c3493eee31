package dev.smg.router.load;

/**
 * Port: engine-load polling as a cluster shares it. In a cluster each worker's engine is polled by
 * one router at a time ({@link #pollsHere}), and what it measures reaches every router
 * ({@link #measured}); the HA layer implements this over the mesh. It lives beside the load monitor
 * rather than in {@code replication}, as the value it carries ({@link EngineLoad}) does.
 */
public interface EngineLoadReplication {
    /** Whether this router polls the engine of {@code workerUrl} (in a cluster: one router per worker). */
    boolean pollsHere(String workerUrl);

    /**
     * A load this router measured, to be shared, with the gateway's in-flight count on the worker when
     * it was taken. Called from polling threads; must not block.
     */
    void measured(String workerUrl, EngineLoad load, int inFlightAtPoll);

    /** A router on its own: it polls every worker and shares nothing. */
    EngineLoadReplication NONE = new EngineLoadReplication() {
        @Override
        public boolean pollsHere(String workerUrl) {
            return true;
        }

        @Override
        public void measured(String workerUrl, EngineLoad load, int inFlightAtPoll) {
        }
    };
}
