package dev.smg.mesh.metrics;

import dev.smg.mesh.membership.Member;
import dev.smg.mesh.membership.MemberStatus;
import dev.smg.mesh.membership.MembershipEvents;
import dev.smg.mesh.membership.MembershipView;
import dev.smg.mesh.membership.Quorum;
import dev.smg.mesh.transport.PeerLinks;
import dev.smg.mesh.tls.ReloadingCredentials;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * Mesh membership metrics, named as the seed's {@code router_mesh_*}. The per-peer connection gauge
 * is 1 when the peer is ALIVE and the last delivery to it succeeded, 0 otherwise, as the seed's
 * alert rules ({@code router_mesh_peer_connections == 0}) expect.
 */
public final class MeshMetrics implements MembershipEvents {
    private final Counter reconnects;
    private final Counter probes;
    private final Counter statusChanges;
    private final Counter refutations;
    private final Counter rejected;
    private final Counter batches;
    private final Counter bytes;
    private final Counter snapshots;
    private final Counter syncBytes;
    private final Counter sendDropped;
    private final io.prometheus.metrics.core.metrics.Histogram convergence;
    private final Supplier<MembershipView> view;
    private final PrometheusRegistry registry;

    public MeshMetrics(PrometheusRegistry registry, Supplier<MembershipView> view, PeerLinks links,
                       java.util.function.LongSupplier inboxDropped) {
        this.view = view;
        this.registry = registry;
        GaugeWithCallback.builder().name("router_mesh_peer_connections")
                .help("1 when the peer is ALIVE and reachable from this node, else 0")
                .labelNames("peer")
                .callback(cb -> {
                    MembershipView v = view.get();
                    for (Member m : v.members()) {
                        if (!m.name().equals(v.self().name())) {
                            boolean up = m.status() == MemberStatus.ALIVE && links.isUp(m.address());
                            cb.call(up ? 1 : 0, m.name());
                        }
                    }
                })
                .register(registry);
        GaugeWithCallback.builder().name("router_mesh_members")
                .help("Members in this node's table by status (itself included)")
                .labelNames("status")
                .callback(cb -> {
                    MembershipView v = view.get();
                    for (MemberStatus s : MemberStatus.values()) {
                        cb.call(v.count(s), s.name().toLowerCase(Locale.ROOT));
                    }
                })
                .register(registry);
        // Quorum and leader as /ha/health decides them, so dashboards and alerts need not re-derive them.
        GaugeWithCallback.builder().name("router_mesh_quorum")
                .help("1 when this node sees a quorum (a majority of the members that have not left), else 0")
                .callback(cb -> cb.call(Quorum.of(view.get()).present() ? 1 : 0))
                .register(registry);
        GaugeWithCallback.builder().name("router_mesh_leader")
                .help("1 when this node is the quorum's leader (runs cluster-wide singleton duties), else 0")
                .callback(cb -> {
                    MembershipView v = view.get();
                    cb.call(Quorum.of(v).isLeader(v.self().name()) ? 1 : 0);
                })
                .register(registry);
        GaugeWithCallback.builder().name("router_mesh_inbox_dropped")
                .help("Messages dropped because the mesh loop's bounded inbox was full (cumulative)")
                .callback(cb -> cb.call(inboxDropped.getAsLong()))
                .register(registry);
        reconnects = Counter.builder().name("router_mesh_peer_reconnects_total")
                .help("Times a broken link to a peer worked again").labelNames("peer").register(registry);
        probes = Counter.builder().name("router_mesh_probes_total")
                .help("Failure-detection probes by result: ack, indirect_ack, failed").labelNames("result")
                .register(registry);
        statusChanges = Counter.builder().name("router_mesh_status_changes_total")
                .help("Member status changes seen by this node, by new status").labelNames("status")
                .register(registry);
        refutations = Counter.builder().name("router_mesh_refutations_total")
                .help("Times this node refuted a suspicion about itself").register(registry);
        rejected = Counter.builder().name("router_mesh_messages_rejected_total")
                .help("Messages from peers refused as malformed, oversized, or for a full inbox")
                .labelNames("reason").register(registry);
        batches = Counter.builder().name("router_mesh_batches_total")
                .help("Replicated-state batches sent and received").labelNames("direction", "peer").register(registry);
        bytes = Counter.builder().name("router_mesh_bytes_total")
                .help("Replicated-state bytes sent and received (protobuf payload)").labelNames("direction", "peer")
                .register(registry);
        snapshots = Counter.builder().name("router_mesh_snapshot_trigger_total")
                .help("Whole-store transfers (anti-entropy rounds) sent").register(registry);
        // Lets a benchmark tell the bytes of pushed deltas (sent minus these) from anti-entropy.
        syncBytes = Counter.builder().name("router_mesh_sync_bytes_total")
                .help("Bytes of anti-entropy messages sent, digests and repairs (included in router_mesh_bytes_total)")
                .register(registry);
        sendDropped = Counter.builder().name("router_mesh_send_dropped_total")
                .help("Messages not sent because the peer's in-flight bound was reached (repaired by anti-entropy)")
                .labelNames("peer").register(registry);
        convergence = io.prometheus.metrics.core.metrics.Histogram.builder().name("router_mesh_convergence_ms")
                .help("Time from a write at its origin to its arrival here, in milliseconds (wall clocks)")
                .classicOnly().classicUpperBounds(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
                .register(registry);
    }

    /**
     * Metrics of the mesh TLS files: reloads (a refused one means a node still runs on its old
     * certificate, worth an alert) and when the certificate in service expires.
     */
    public void tls(ReloadingCredentials credentials) {
        CounterWithCallback.builder().name("router_mesh_tls_reloads_total")
                .help("Changes of the mesh TLS files put in service (ok) or refused and logged (refused)")
                .labelNames("result")
                .callback(cb -> {
                    cb.call(credentials.reloads(), "ok");
                    cb.call(credentials.failedReloads(), "refused");
                })
                .register(registry);
        GaugeWithCallback.builder().name("router_mesh_tls_cert_expiry_timestamp_seconds")
                .help("Expiry of the mesh certificate this node presents, in seconds since the epoch")
                .callback(cb -> cb.call(credentials.notAfter().getEpochSecond()))
                .register(registry);
    }

    public void batchSent(String peer, int size, boolean fullState) {
        batches.labelValues("sent", peer).inc();
        bytes.labelValues("sent", peer).inc(size);
        if (fullState) {
            snapshots.inc();
        }
    }

    /** An anti-entropy message (digest or repair) was sent; its bytes are also in batchSent's. */
    public void syncSent(int size) {
        syncBytes.inc(size);
    }

    public void batchReceived(String peer, int size, long originWallMillis) {
        batches.labelValues("received", peer).inc();
        bytes.labelValues("received", peer).inc(size);
        if (originWallMillis > 0) {
            convergence.observe(Math.max(0, System.currentTimeMillis() - originWallMillis));
        }
    }

    public void reconnected(String address) {
        reconnects.labelValues(peerName(address)).inc();
    }

    public void sendDropped(String address) {
        sendDropped.labelValues(peerName(address)).inc();
    }

    /** Live entries per replicated-store namespace, read at scrape time. */
    public void storeSizes(Supplier<java.util.Map<String, Integer>> sizes, PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("router_mesh_store_entries")
                .help("Live keys per replicated-store namespace on this node")
                .labelNames("namespace")
                .callback(cb -> sizes.get().forEach((ns, n) -> cb.call(n, ns)))
                .register(registry);
    }

    private String peerName(String address) {
        return view.get().members().stream().filter(m -> m.address().equals(address)).map(Member::name)
                .findFirst().orElse(address);
    }

    public void rejected(String reason) {
        rejected.labelValues(reason).inc();
    }

    @Override
    public void statusChanged(Member before, Member after) {
        statusChanges.labelValues(after.status().name().toLowerCase(Locale.ROOT)).inc();
    }

    @Override
    public void probed(String member, ProbeResult result) {
        probes.labelValues(result.name().toLowerCase(Locale.ROOT)).inc();
    }

    @Override
    public void refuted(long newIncarnation) {
        refutations.inc();
    }
}
