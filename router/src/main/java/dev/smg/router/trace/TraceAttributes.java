package dev.smg.router.trace;

import io.opentelemetry.api.common.AttributeKey;

/**
 * Names of the attributes smg puts on its spans. Where OpenTelemetry's semantic conventions have a
 * name (HTTP, server address, gen_ai model) it is used; smg's own are under {@code smg.}.
 */
public final class TraceAttributes {
    public static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    public static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    public static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    public static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
    public static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    public static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    public static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");

    public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("smg.request_id");
    public static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("smg.stream");
    public static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("smg.attempts");
    /** The gateway's error code for an answer it made (rate_limited, no_available_workers, stream_broken, ...). */
    public static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("smg.error_code");
    /** admitted, or the refusal's code (rate_limited, queue_full, queue_timeout, ...). */
    public static final AttributeKey<String> ADMISSION = AttributeKey.stringKey("smg.admission.result");
    public static final AttributeKey<String> POLICY = AttributeKey.stringKey("smg.policy");
    public static final AttributeKey<String> WORKER = AttributeKey.stringKey("smg.worker");
    public static final AttributeKey<String> SELECTION_REASON = AttributeKey.stringKey("smg.selection.reason");
    public static final AttributeKey<Long> CANDIDATES = AttributeKey.longKey("smg.selection.candidates");
    public static final AttributeKey<Long> CACHE_MATCHED_BLOCKS = AttributeKey.longKey("smg.cache.matched_blocks");
    public static final AttributeKey<Long> CACHE_PROMPT_BLOCKS = AttributeKey.longKey("smg.cache.prompt_blocks");
    /** The router whose request made the tree entry that matched (this router's own name for its own). */
    public static final AttributeKey<String> CACHE_ENTRY_ROUTER = AttributeKey.stringKey("smg.cache.entry_router");
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("smg.attempt");
    public static final AttributeKey<Boolean> RETRY = AttributeKey.booleanKey("smg.retry");
    public static final AttributeKey<String> BREAKER_STATE = AttributeKey.stringKey("smg.breaker.state");
    public static final AttributeKey<String> BREAK_REASON = AttributeKey.stringKey("smg.stream.break_reason");
    public static final AttributeKey<Long> TOKENS_RELAYED = AttributeKey.longKey("smg.stream.tokens_relayed");
    public static final AttributeKey<String> FROM_WORKER = AttributeKey.stringKey("smg.stream.from_worker");
    public static final AttributeKey<Long> MIGRATION = AttributeKey.longKey("smg.stream.migration");

    private TraceAttributes() {
    }
}
