package dev.smg.router.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one HTTP client that talks to workers: pooled keep-alive connections, a connect timeout, and a
 * read timeout. Requests are blocking calls made from virtual threads. It is Helidon's HTTP/1.1
 * client used directly (workers speak HTTP/1.1): the generic WebClient re-discovers the protocol
 * and consults the system proxy selector on every request, which profiling showed to be a
 * measurable share of the proxy's CPU.
 */
public final class UpstreamClient {
    private final Http1Client client;
    private final Duration readTimeout;

    public UpstreamClient(Duration connectTimeout, Duration readTimeout) {
        this.readTimeout = readTimeout;
        this.client = Http1Client.builder()
                .proxy(Proxy.noProxy())
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .followRedirects(false)
                .keepAlive(true)
                .connectionCacheSize(512)
                .build();
    }

    /**
     * POSTs {@code body} to {@code url}; returns once the status line and headers are in.
     *
     * @throws UpstreamFailure when no response could be had at all
     */
    public UpstreamResponse post(String url, List<HeaderField> headers, Optional<String> bearer, String contentType,
                                 byte[] body) throws UpstreamFailure {
        Http1ClientRequest request = client.post(url).readTimeout(readTimeout);
        for (HeaderField h : headers) {
            request.header(HeaderValues.create(h.name(), h.value()));
        }
        bearer.ifPresent(key -> request.header(HeaderValues.create(HeaderNames.AUTHORIZATION, "Bearer " + key)));
        request.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, contentType));
        HttpClientResponse response;
        try {
            response = request.submit(body);
        } catch (RuntimeException e) {
            throw UpstreamFailure.from(url, e);
        }
        return new HelidonResponse(response);
    }

    /** GETs {@code url} and returns the status and the whole (small) body. */
    public UpstreamResponse get(String url, Optional<String> bearer, Duration timeout) throws UpstreamFailure {
        var request = client.get(url).readTimeout(timeout);
        bearer.ifPresent(key -> request.header(HeaderValues.create(HeaderNames.AUTHORIZATION, "Bearer " + key)));
        try {
            return new HelidonResponse(request.request());
        } catch (RuntimeException e) {
            throw UpstreamFailure.from(url, e);
        }
    }

    private static final class HelidonResponse implements UpstreamResponse {
        private final HttpClientResponse response;
        private final List<HeaderField> headers;

        HelidonResponse(HttpClientResponse response) {
            this.response = response;
            List<HeaderField> list = new ArrayList<>();
            response.headers().forEach(h -> {
                for (String v : h.allValues()) {
                    list.add(new HeaderField(h.name(), v));
                }
            });
            this.headers = List.copyOf(list);
        }

        @Override
        public int status() {
            return response.status().code();
        }

        @Override
        public List<HeaderField> headers() {
            return headers;
        }

        @Override
        public InputStream body() {
            return response.inputStream();
        }

        @Override
        public void close() {
            response.close();
        }
    }
}
