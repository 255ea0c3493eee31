package dev.smg.router.stream;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.util.Map;

/**
 * What the client of one stream has been sent, in the terms a continuation needs: the answer's text
 * so far, the tokens it took (one per content event: what vLLM and SGLang send), the stream's
 * {@code id}, {@code created} and {@code model}, and whatever makes a continuation unsafe.
 * One per request, used by the request's thread only.
 */
public final class StreamTranscript {
    /** Text kept for a continuation at most (about a 250,000-token answer). */
    static final int MAX_TEXT = 1 << 20;

    private final StreamShape shape;
    private final StringBuilder text = new StringBuilder();
    private int tokens;
    private String id;
    private Object created;
    private String model;
    private boolean done;
    private boolean finished;
    private BreakReason unsafe;

    public StreamTranscript(StreamShape shape) {
        this.shape = shape;
    }

    /** Records an event as sent to the client (after any rewriting). */
    public void record(StreamEvent event) {
        switch (event.kind()) {
            case DONE -> done = true;
            case UNREADABLE -> unsafe(BreakReason.UNREADABLE_STREAM);
            case OTHER -> { }
            case DATA -> {
                if (id == null) {
                    identify(event.data());
                }
                if (event.otherChoice()) {
                    unsafe(BreakReason.SEVERAL_CHOICES);
                }
                if (event.toolCall()) {
                    unsafe(BreakReason.TOOL_CALL);
                }
                if (event.reasoning()) {
                    unsafe(BreakReason.REASONING);
                }
                if (event.logprobs()) {
                    unsafe(BreakReason.LOGPROBS);
                }
                finished |= event.finished();
                if (!event.piece().isEmpty()) {
                    tokens++;
                    if (shape == StreamShape.GENERATE) {
                        text.setLength(0); // cumulative from the answer's start (continuations rewritten so)
                    }
                    text.append(event.piece());
                    if (text.length() > MAX_TEXT) {
                        unsafe(BreakReason.ANSWER_TOO_LONG);
                    }
                }
            }
        }
    }

    private void unsafe(BreakReason reason) {
        if (unsafe == null) {
            unsafe = reason;
        }
    }

    private void identify(String data) {
        try {
            Map<String, Object> chunk = JSON.std.mapFrom(data);
            if (chunk == null) {
                return;
            }
            Object meta = chunk.get("meta_info");
            Object anId = chunk.get("id") != null ? chunk.get("id")
                    : meta instanceof Map<?, ?> m ? m.get("id") : null;
            id = anId instanceof String s ? s : "";
            created = chunk.get("created");
            model = chunk.get("model") instanceof String s ? s : null;
        } catch (IOException e) {
            id = "";
        }
    }

    public String text() {
        return text.toString();
    }

    public int tokens() {
        return tokens;
    }

    /** The first event's {@code id} ("" if it had none; null before any event). */
    public String id() {
        return id;
    }

    public Object created() {
        return created;
    }

    public String model() {
        return model;
    }

    /** {@code [DONE]} was sent. */
    public boolean done() {
        return done;
    }

    /** A finish reason was sent. */
    public boolean finished() {
        return finished;
    }

    /** Why the stream so far cannot be continued, or null. */
    public BreakReason unsafe() {
        return unsafe;
    }
}
