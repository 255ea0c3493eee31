package dev.smg.router.proxy;

import java.nio.charset.StandardCharsets;

/**
 * Asks a worker for a stream's token usage on the client's behalf: OpenAI-style servers (vLLM,
 * SGLang) report it only with {@code "stream_options": {"include_usage": true}}, as one last chunk
 * with empty {@code choices}. Added only when the client sent no {@code stream_options} at all
 * (whatever it chose there stands), by inserting the field after the body's opening brace, so the
 * rest of the body goes out byte for byte. The relay then keeps that chunk from the client (it also
 * adds {@code "usage": null} to the other chunks, left as they are: null is what "no usage" means).
 */
final class UsageRequest {
    private static final byte[] FIELD = "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.US_ASCII);

    private UsageRequest() {
    }

    /** Chat and completions streams whose client did not say anything about stream options. */
    static boolean applies(ProxyCall call) {
        return (call.route() == InferenceRoute.CHAT || call.route() == InferenceRoute.COMPLETIONS)
                && !call.request().fields().contains("stream_options");
    }

    /** The call with the field added to its body (a parsed request body is one JSON object with fields). */
    static ProxyCall askedOnBehalf(ProxyCall call) {
        byte[] body = call.body();
        int brace = 0;
        while (brace < body.length && body[brace] != '{') {
            brace++;
        }
        if (brace == body.length) {
            return call;
        }
        byte[] asked = new byte[body.length + FIELD.length];
        System.arraycopy(body, 0, asked, 0, brace + 1);
        System.arraycopy(FIELD, 0, asked, brace + 1, FIELD.length);
        System.arraycopy(body, brace + 1, asked, brace + 1 + FIELD.length, body.length - brace - 1);
        return new ProxyCall(call.route(), call.request(), asked, call.headers(), call.requestId(), call.routing(), true,
                call.trace());
    }
}
