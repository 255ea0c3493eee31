package dev.smg.mesh.tls;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslSessionContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;

/**
 * How the mesh port and the channels to peers are secured: both ends of the mesh are set up from
 * the same choice, so a node never listens one way and dials the other.
 */
public sealed interface TransportSecurity permits TransportSecurity.Plaintext, TransportSecurity.MutualTls {
    NettyServerBuilder secure(NettyServerBuilder server);

    NettyChannelBuilder secure(NettyChannelBuilder channel);

    /** For the start-up log line. */
    String describe();

    static TransportSecurity plaintext() {
        return new Plaintext();
    }

    /** Mutual TLS from credentials that may be reloaded while the contexts are in use. */
    static TransportSecurity mutualTls(ReloadingCredentials credentials) {
        try {
            // Built once: the contexts ask the key and trust managers at every handshake, and those
            // swap their material on reload. The CA names a server lists in its certificate request
            // may stay those of the first bundle, which is harmless: the key manager presents its one
            // certificate whatever names are listed (a CA rotation test covers this).
            SslContext server = GrpcSslContexts.configure(SslContextBuilder.forServer(credentials.keyManager()))
                    .trustManager(credentials.trustManager())
                    .clientAuth(ClientAuth.REQUIRE)
                    .build();
            // A resumed TLS session skips certificate verification. Mesh connections live long, so
            // resumption saves nothing, and without it every new connection is checked against the
            // CA bundle in service now rather than the one of an earlier session. (Netty's OpenSSL
            // contexts also leave session tickets off unless a system property turns them on.)
            if (server.sessionContext() instanceof OpenSslSessionContext sessions) {
                sessions.setSessionCacheEnabled(false);
            }
            SslContext client = GrpcSslContexts.forClient()
                    .keyManager(credentials.keyManager())
                    .trustManager(credentials.trustManager())
                    .build();
            return new MutualTls(server, client);
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for the mesh: " + e.getMessage(), e);
        }
    }

    /** Anyone who can reach the mesh port is a peer; for a private network only. */
    record Plaintext() implements TransportSecurity {
        @Override
        public NettyServerBuilder secure(NettyServerBuilder server) {
            return server;
        }

        @Override
        public NettyChannelBuilder secure(NettyChannelBuilder channel) {
            return channel.usePlaintext();
        }

        @Override
        public String describe() {
            return "plaintext";
        }
    }

    /** The server requires a client certificate from the CA; the client checks the server's likewise. */
    record MutualTls(SslContext server, SslContext client) implements TransportSecurity {
        @Override
        public NettyServerBuilder secure(NettyServerBuilder builder) {
            return builder.sslContext(server);
        }

        @Override
        public NettyChannelBuilder secure(NettyChannelBuilder builder) {
            return builder.sslContext(client).useTransportSecurity();
        }

        @Override
        public String describe() {
            return "mutual TLS";
        }
    }
}
