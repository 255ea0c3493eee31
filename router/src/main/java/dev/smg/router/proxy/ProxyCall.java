package dev.smg.router.proxy;

import dev.smg.router.policy.RoutingRequest;
import dev.smg.router.trace.RequestTrace;

import java.util.List;

/**
 * One client request, ready to be sent to a worker.
 *
 * @param route     which proxied route
 * @param request   what routing needs from the body
 * @param body      the body, forwarded unchanged
 * @param headers   headers to send to the worker (already filtered by {@link HeaderPolicy})
 * @param requestId the request's id, for logs
 * @param routing   what the routing policy may look at
 * @param usageOnBehalf the body asks the worker for a stream's usage the client did not ask for
 *                      ({@link UsageRequest}): the relay keeps that usage chunk from the client
 * @param trace     the request's spans ({@link RequestTrace#NONE} when it is not traced)
 */
public record ProxyCall(InferenceRoute route, InferenceRequest request, byte[] body, List<HeaderField> headers,
                        String requestId, RoutingRequest routing, boolean usageOnBehalf, RequestTrace trace) {
    public ProxyCall(InferenceRoute route, InferenceRequest request, byte[] body, List<HeaderField> headers,
                     String requestId, RoutingRequest routing) {
        this(route, request, body, headers, requestId, routing, false, RequestTrace.NONE);
    }

    public ProxyCall(InferenceRoute route, InferenceRequest request, byte[] body, List<HeaderField> headers,
                     String requestId, RoutingRequest routing, RequestTrace trace) {
        this(route, request, body, headers, requestId, routing, false, trace);
    }
}
