package dev.smg.mesh;

import java.security.SecureRandom;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where this node listens for, and how it introduces itself to, the rest of the mesh.
 *
 * @param serverName    unique member name (letters, digits, {@code . _ -}; never {@code :})
 * @param bindHost      address the mesh gRPC server binds
 * @param advertiseHost address peers dial; must be routable
 * @param port          mesh port (bind and advertise); 0 binds any free port (tests)
 * @param seeds         bootstrap peers, tried in order until one answers
 * @param tls           mutual TLS on the mesh port; empty: plaintext, anyone who reaches the port is a peer
 */
public record MeshSettings(String serverName, String bindHost, String advertiseHost, int port, List<PeerAddress> seeds,
                           Optional<MeshTls> tls) {
    public static final int DEFAULT_PORT = 39527;
    public static final String DEFAULT_BIND_HOST = "0.0.0.0";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String NAME_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public MeshSettings {
        Objects.requireNonNull(serverName);
        Objects.requireNonNull(bindHost);
        Objects.requireNonNull(advertiseHost);
        Objects.requireNonNull(tls);
        seeds = List.copyOf(seeds);
        if (!NAME.matcher(serverName).matches()) {
            throw new IllegalArgumentException("server name '" + serverName
                    + "' must be 1-128 letters, digits, '.', '_' or '-' (and start with a letter or digit)");
        }
        if (isUnspecified(advertiseHost)) {
            throw new IllegalArgumentException("advertise host '" + advertiseHost + "' is not routable");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
        }
    }

    /** Plaintext settings (no mutual TLS). */
    public MeshSettings(String serverName, String bindHost, String advertiseHost, int port, List<PeerAddress> seeds) {
        this(serverName, bindHost, advertiseHost, port, seeds, Optional.empty());
    }

    /** The same settings with the port the server actually bound (when 0 asked for any). */
    public MeshSettings withPort(int boundPort) {
        return new MeshSettings(serverName, bindHost, advertiseHost, boundPort, seeds, tls);
    }

    /** The same settings with mutual TLS on the mesh port. */
    public MeshSettings withTls(MeshTls files) {
        return new MeshSettings(serverName, bindHost, advertiseHost, port, seeds, Optional.of(files));
    }

    /**
     * Chooses the advertised host: the explicit one, else the bind host. An unspecified bind
     * address (0.0.0.0, ::) cannot be dialled by peers, so it has no default: the caller must refuse
     * to start rather than gossip an address nobody can reach.
     */
    public static Optional<String> advertiseHostFor(String bindHost, Optional<String> explicitAdvertise) {
        if (explicitAdvertise.isPresent()) {
            return explicitAdvertise;
        }
        return isUnspecified(bindHost) ? Optional.empty() : Optional.of(bindHost);
    }

    public static boolean isUnspecified(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return h.equals("0.0.0.0") || h.equals("::") || h.equals("0:0:0:0:0:0:0:0") || h.isEmpty();
    }

    /** The seed's default name: {@code Mesh_} followed by four random alphanumerics. */
    public static String randomServerName() {
        SecureRandom random = new SecureRandom();
        StringBuilder name = new StringBuilder("Mesh_");
        for (int i = 0; i < 4; i++) {
            name.append(NAME_ALPHABET.charAt(random.nextInt(NAME_ALPHABET.length())));
        }
        return name.toString();
    }

    public PeerAddress advertiseAddress() {
        return new PeerAddress(advertiseHost, port);
    }
}
