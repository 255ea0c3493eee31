package dev.smg.api.gateway;

import dev.smg.api.config.Secret;
import dev.smg.router.proxy.GatewayError;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.Optional;
import java.util.Set;

/**
 * With {@code --api-key}, every route but the probes and {@code /ha/ui}'s files (which hold no data)
 * needs {@code Authorization: Bearer <key>};
 * anything else is a 401 in the OpenAI envelope. The key is compared in constant time.
 */
final class ApiKeyFilter implements Filter {
    static final Set<String> OPEN_PATHS = Set.of("/health", "/liveness", "/readiness");
    private static final String BEARER = "Bearer ";

    private final Secret key;

    ApiKeyFilter(Secret key) {
        this.key = key;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (OPEN_PATHS.contains(path) || HaUiRoutes.isPage(path)
                || authorized(req.headers().first(HeaderNames.AUTHORIZATION))) {
            chain.proceed();
            return;
        }
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        ErrorReplies.send(res, GatewayError.unauthorized());
    }

    private boolean authorized(Optional<String> header) {
        if (header.isEmpty() || !header.get().regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        return key.matches(header.get().substring(BEARER.length()).trim());
    }
}
