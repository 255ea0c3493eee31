package dev.smg.api.discovery;

import dev.smg.mesh.PeerAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Lists and then watches the router pods matching a label selector in one namespace, and reports
 * the set of mesh peers (see {@link MeshPeerPods}) every time it changes.
 *
 * <p>The list-then-watch cycle is fabric8's informer: it lists, watches from the list's resource
 * version, re-watches after a dropped or expired watch with exponential backoff (from the watch
 * reconnect interval, doubling, capped at 32 times it: 1 s to 32 s by default), and lists again when the
 * API server says the version is gone (410). Its default gives up if the very first list fails;
 * here every failure is retried the same way, because an API server that is briefly unreachable
 * or a Role that is applied a moment after the Deployment must not leave a router without
 * discovery for the rest of its life. fabric8 logs each failure as a warning.
 *
 * <p>Every event recomputes the whole set from the informer's cache (a few pods), so a missed
 * or reordered event cannot leave a stale peer behind. Callbacks run on the informer's one
 * event thread, so {@code published} needs no lock; the sink is called on that thread.
 */
public final class RouterPodWatch implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RouterPodWatch.class.getName());

    private final SharedIndexInformer<Pod> informer;
    private final MeshPeerPods rule;
    private final Consumer<Set<PeerAddress>> sink;
    private final String description;
    private Set<PeerAddress> published;
    private Map<String, String> refusedLogged = Map.of();
    private volatile int peerCount;

    private RouterPodWatch(SharedIndexInformer<Pod> informer, MeshPeerPods rule, Consumer<Set<PeerAddress>> sink,
                           String description) {
        this.informer = informer;
        this.rule = rule;
        this.sink = sink;
        this.description = description;
    }

    /** Starts listing and watching in the background; returns at once (the API server may be down). */
    public static RouterPodWatch start(KubernetesClient client, String namespace, Map<String, String> selector,
                                       MeshPeerPods rule, Consumer<Set<PeerAddress>> sink) {
        SharedIndexInformer<Pod> informer = client.pods().inNamespace(namespace).withLabels(selector)
                .runnableInformer(0); // no resync: the watch reports every change
        String description = "pods in namespace " + namespace + " with labels " + selector;
        RouterPodWatch watch = new RouterPodWatch(informer, rule, sink, description);
        informer.addEventHandler(new OnAnyPodChange(watch::publish));
        informer.exceptionHandler((started, failure) -> true);
        informer.start();
        LOG.log(System.Logger.Level.INFO, "router discovery: watching {0} through {1}", description,
                client.getConfiguration().getMasterUrl());
        return watch;
    }

    /** Mesh peers in the last reported set. */
    public int peerCount() {
        return peerCount;
    }

    /** Whether a first list of the pods has come back (so {@link #peerCount()} means something). */
    public boolean hasListed() {
        return informer.hasSynced();
    }

    /** Whether the watch is open now (false while listing, reconnecting, or refused by RBAC). */
    public boolean isWatching() {
        return informer.isWatching();
    }

    private void publish() {
        MeshPeerPods.Selection selection = rule.select(informer.getStore().list());
        if (!selection.refused().equals(refusedLogged)) {
            selection.refused().forEach((pod, reason) -> {
                if (!reason.equals(refusedLogged.get(pod))) {
                    LOG.log(System.Logger.Level.WARNING, "router discovery: pod {0} left out: {1}", pod, reason);
                }
            });
            refusedLogged = selection.refused();
        }
        if (selection.peers().equals(published)) {
            return;
        }
        published = selection.peers();
        peerCount = published.size();
        LOG.log(System.Logger.Level.INFO, "router discovery: {0} mesh peer(s) {1}", published.size(),
                published.stream().map(PeerAddress::toString).sorted().toList());
        sink.accept(published);
    }

    @Override
    public void close() {
        informer.close();
    }

    @Override
    public String toString() {
        return description;
    }
}
