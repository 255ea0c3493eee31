package dev.smg.router.stream;

/**
 * Why a stream that had started could not be continued and was ended with an error event; the
 * label of {@code smg_stream_breaks_total}. A fixed set, so the metric's labels stay bounded.
 */
public enum BreakReason {
    /** Stream failover is turned off ({@code --disable-stream-failover}). */
    FAILOVER_DISABLED("failover_disabled", "stream failover is disabled"),
    /** {@code n} or {@code best_of} above 1: several answers interleave in one stream. */
    SEVERAL_CHOICES("several_choices", "the request asks for several choices (n > 1)"),
    /** Log-probabilities were asked for: a continuation cannot reproduce those already sent. */
    LOGPROBS("logprobs", "the request asks for log-probabilities"),
    /** A tool call had begun: a partial call cannot be resumed as text. */
    TOOL_CALL("tool_call", "a tool call had begun"),
    /** Reasoning content had begun: it is not part of the assistant message a continuation carries. */
    REASONING("reasoning", "reasoning content had begun"),
    /** Guided decoding (response_format, guided_*): the grammar state cannot be carried over. */
    STRUCTURED_OUTPUT("structured_output", "the request uses structured output"),
    /** The prompt is not one text (token ids, several prompts, echo). */
    PROMPT_FORM("prompt_form", "the prompt cannot be extended with the text so far"),
    /** The stream could not be read as events of its format. */
    UNREADABLE_STREAM("unreadable_stream", "the worker's stream could not be read"),
    /** The answer so far is larger than the relay keeps. */
    ANSWER_TOO_LONG("answer_too_long", "the answer so far is too long to continue"),
    /** {@code --stream-migration-limit} continuations were used up. */
    MIGRATION_LIMIT("migration_limit", "the stream failed over too many times"),
    /** No other worker would take the continuation. */
    NO_WORKER("no_worker", "no worker could continue the stream");

    private final String label;
    private final String message;

    BreakReason(String label, String message) {
        this.label = label;
        this.message = message;
    }

    public String label() {
        return label;
    }

    /** Human-readable, for the error event the client receives. */
    public String message() {
        return message;
    }
}
