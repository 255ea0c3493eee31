package dev.smg.api.discovery;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;

import java.net.HttpURLConnection;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the Kubernetes API calls that failed: error answers and connections that could not be
 * made. It sits in the client's HTTP layer because that is where every attempt is visible: the
 * informer retries a broken watch inside fabric8's watch manager without telling its exception
 * handler, and the client retries a failed list a few times before the informer sees one failure.
 * 410 Gone is not counted: it is the API server's routine "your resource version is too old, list
 * again".
 */
final class ApiErrorCounter implements Interceptor {
    private final LongAdder errors = new LongAdder();

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        if (response.code() >= 400 && response.code() != HttpURLConnection.HTTP_GONE) {
            errors.increment();
        }
    }

    @Override
    public void afterConnectionFailure(HttpRequest request, Throwable failure) {
        errors.increment();
    }

    long count() {
        return errors.sum();
    }
}
