package dev.smg.router.replication;

import dev.smg.router.policy.PolicySpec;

import java.util.Map;

/**
 * Port: the routing policy of each model ({@code "*"}: the default), as the cluster agrees on it. The
 * router starts with its flags' policies; a replication layer adopts the cluster's choice through
 * {@link #adopt}, and the router builds and swaps in the policy itself, so the layer needs to know
 * nothing of policy objects. {@link dev.smg.router.policy.LocalPolicyTable} is the router's
 * implementation.
 */
public interface PolicyTable {
    /** The policies in force, by model key. */
    Map<String, PolicySpec> specs();

    /** Makes {@code spec} the policy of {@code key}; false (and nothing swapped) when it already was. */
    boolean adopt(String key, PolicySpec spec);
}
