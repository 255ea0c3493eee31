package dev.smg.api.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One router of a process test's mesh: its name and its three loopback ports (HTTP, metrics, mesh),
 * and the command line that starts it as a member of a mesh of {@code all}.
 */
public record MeshRouter(String name, int http, int metrics, int mesh) {
    public static MeshRouter named(String name) {
        return new MeshRouter(name, FreePorts.one(), FreePorts.one(), FreePorts.one());
    }

    public static List<MeshRouter> named(String... names) {
        return Arrays.stream(names).map(MeshRouter::named).toList();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + http + path;
    }

    public String metricsUrl() {
        return "http://127.0.0.1:" + metrics + "/metrics";
    }

    /**
     * The flags of this router: loopback listeners, the mesh with every other router of {@code all} as
     * a seed, a grace period of {@code graceSecs}, then {@code extra} (whose list flags, such as
     * {@code --worker-urls}, must be complete: the seeds come last).
     */
    public String[] args(List<MeshRouter> all, int graceSecs, String... extra) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", String.valueOf(http),
                "--prometheus-host", "127.0.0.1", "--prometheus-port", String.valueOf(metrics),
                "--enable-mesh", "--mesh-server-name", name, "--mesh-host", "127.0.0.1",
                "--mesh-port", String.valueOf(mesh), "--shutdown-grace-period-secs", String.valueOf(graceSecs)));
        args.addAll(List.of(extra));
        args.add("--mesh-peer-urls");
        all.stream().filter(r -> !r.equals(this)).forEach(r -> args.add("127.0.0.1:" + r.mesh()));
        return args.toArray(String[]::new);
    }
}
