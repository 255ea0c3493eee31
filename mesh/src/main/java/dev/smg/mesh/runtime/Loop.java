package dev.smg.mesh.runtime;

import dev.smg.mesh.membership.Scheduler;

import java.util.concurrent.Executor;

/**
 * A single writer: tasks run one at a time, in order, with time and timers of its own. State owned
 * by a loop needs no locks, because only its tasks touch it. {@link MeshLoop} runs one on a platform
 * thread; the simulator runs them on simulated time.
 */
public interface Loop extends Executor, Scheduler {
}
