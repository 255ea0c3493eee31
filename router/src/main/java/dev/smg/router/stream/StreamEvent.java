package dev.smg.router.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What the relay needs to know about one server-sent event of an OpenAI chat/completions stream or
 * an SGLang {@code /generate} stream, read with a streaming parser (nothing else of the JSON is kept).
 *
 * @param kind         DATA (a JSON object), DONE ({@code data: [DONE]}), OTHER (a comment, or no data
 *                     line), or UNREADABLE (data that is not a JSON object)
 * @param data         the data line(s), joined (null unless DATA)
 * @param piece        the text this event adds to choice 0 ({@code delta.content}, or completions'
 *                     {@code text}; for {@code /generate} the cumulative {@code text}); "" when none
 * @param otherChoice  a choice other than index 0 appears (n &gt; 1)
 * @param toolCall     a tool call (or legacy function call) is being streamed
 * @param reasoning    reasoning content is being streamed
 * @param logprobs     the event carries log-probabilities
 * @param finished     a finish reason is set
 * @param usage        a {@code usage} object is present
 * @param error        an {@code error} object is present (the worker reports a failure in-band)
 */
public record StreamEvent(Kind kind, String data, String piece, boolean otherChoice, boolean toolCall, boolean reasoning,
                          boolean logprobs, boolean finished, boolean usage, boolean error) {
    public enum Kind { DATA, DONE, OTHER, UNREADABLE }

    private static final JsonFactory JSON = new JsonFactory();
    private static final StreamEvent OTHER = new StreamEvent(Kind.OTHER, null, "", false, false, false, false, false,
            false, false);
    private static final StreamEvent DONE = new StreamEvent(Kind.DONE, null, "", false, false, false, false, false,
            false, false);

    /** Whether this event shows the worker has started answering (anything beyond a role or a comment). */
    public boolean carriesAnswer() {
        return switch (kind) {
            case DONE, UNREADABLE -> true;
            case OTHER -> false;
            case DATA -> !piece.isEmpty() || toolCall || reasoning || finished || usage || error || otherChoice;
        };
    }

    /**
     * The chunk {@code stream_options.include_usage} adds before {@code [DONE]}: usage and nothing
     * else (its {@code choices} is empty).
     */
    public boolean usageOnly() {
        return kind == Kind.DATA && usage && piece.isEmpty() && !finished && !toolCall && !reasoning && !otherChoice
                && !error;
    }

    /** Reads one event's bytes (as cut by {@link SseEventSplitter}). */
    public static StreamEvent parse(byte[] event, boolean generate) {
        String data = dataOf(new String(event, StandardCharsets.UTF_8));
        if (data == null) {
            return OTHER;
        }
        if (data.strip().equals("[DONE]")) {
            return DONE;
        }
        try {
            return generate ? parseGenerate(data) : parseOpenAi(data);
        } catch (IOException | RuntimeException e) {
            return unreadable(data);
        }
    }

    /** Data that is not an event of the stream's format ({@code data} null: not even kept). */
    public static StreamEvent unreadable(String data) {
        return new StreamEvent(Kind.UNREADABLE, data, "", false, false, false, false, false, false, false);
    }

    /** A parser at the first field of {@code data}'s top-level object. */
    private static JsonParser object(String data) throws IOException {
        JsonParser p = JSON.createParser(data);
        if (p.nextToken() != JsonToken.START_OBJECT) {
            p.close();
            throw new IOException("not an object");
        }
        return p;
    }

    /** The event's data lines joined with newlines, as the SSE format says; null when it has none. */
    static String dataOf(String event) {
        StringBuilder data = null;
        int start = 0;
        while (start < event.length()) {
            int end = event.indexOf('\n', start);
            if (end < 0) {
                end = event.length();
            }
            String line = event.substring(start, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            start = end + 1;
        }
        return data == null ? null : data.toString();
    }

    private static StreamEvent parseOpenAi(String data) throws IOException {
        String piece = "";
        boolean otherChoice = false;
        boolean toolCall = false;
        boolean reasoning = false;
        boolean logprobs = false;
        boolean finished = false;
        boolean usage = false;
        boolean error = false;
        try (JsonParser p = object(data)) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "usage" -> {
                        usage = value == JsonToken.START_OBJECT;
                        p.skipChildren();
                    }
                    case "error" -> {
                        error = value != JsonToken.VALUE_NULL;
                        p.skipChildren();
                    }
                    case "choices" -> {
                        if (value != JsonToken.START_ARRAY) {
                            p.skipChildren();
                            break;
                        }
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            Choice c = readChoice(p);
                            if (c.index != 0) {
                                otherChoice = true;
                                continue;
                            }
                            piece = piece + c.text;
                            toolCall |= c.toolCall;
                            reasoning |= c.reasoning;
                            logprobs |= c.logprobs;
                            finished |= c.finished;
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        return new StreamEvent(Kind.DATA, data, piece, otherChoice, toolCall, reasoning, logprobs, finished, usage, error);
    }

    private static final class Choice {
        int index;
        String text = "";
        boolean toolCall;
        boolean reasoning;
        boolean logprobs;
        boolean finished;
    }

    private static Choice readChoice(JsonParser p) throws IOException {
        Choice c = new Choice();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "index" -> c.index = value == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : 0;
                case "text" -> c.text = value == JsonToken.VALUE_STRING ? p.getText() : "";
                case "logprobs" -> {
                    c.logprobs = value != JsonToken.VALUE_NULL;
                    p.skipChildren();
                }
                case "finish_reason" -> c.finished = value != JsonToken.VALUE_NULL;
                case "delta" -> {
                    if (value != JsonToken.START_OBJECT) {
                        p.skipChildren();
                        break;
                    }
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String d = p.currentName();
                        JsonToken v = p.nextToken();
                        switch (d) {
                            case "content" -> c.text = v == JsonToken.VALUE_STRING ? p.getText() : "";
                            case "tool_calls", "function_call" -> {
                                if (v == JsonToken.START_ARRAY) {
                                    while (p.nextToken() != JsonToken.END_ARRAY) {
                                        c.toolCall = true; // an empty list is no call
                                        p.skipChildren();
                                    }
                                } else {
                                    c.toolCall |= v != JsonToken.VALUE_NULL;
                                    p.skipChildren();
                                }
                            }
                            case "reasoning_content", "reasoning" ->
                                    c.reasoning |= v == JsonToken.VALUE_STRING && !p.getText().isEmpty();
                            default -> p.skipChildren();
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        return c;
    }

    /** SGLang's {@code /generate} stream: cumulative {@code text}, {@code meta_info.finish_reason}. */
    private static StreamEvent parseGenerate(String data) throws IOException {
        String text = "";
        boolean finished = false;
        boolean error = false;
        boolean logprobs = false;
        try (JsonParser p = object(data)) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "text" -> text = value == JsonToken.VALUE_STRING ? p.getText() : "";
                    case "error" -> {
                        error = value != JsonToken.VALUE_NULL;
                        p.skipChildren();
                    }
                    case "meta_info" -> {
                        if (value != JsonToken.START_OBJECT) {
                            p.skipChildren();
                            break;
                        }
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String m = p.currentName();
                            JsonToken v = p.nextToken();
                            if (m.equals("finish_reason")) {
                                finished = v != JsonToken.VALUE_NULL;
                            } else if (m.endsWith("logprobs")) {
                                logprobs |= v != JsonToken.VALUE_NULL;
                            }
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        return new StreamEvent(Kind.DATA, data, text, false, false, false, logprobs, finished, false, error);
    }
}
