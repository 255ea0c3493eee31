package dev.smg.router.stream;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites the events of a continuation so the client sees one stream: the first stream's
 * {@code id}, {@code created} and {@code model}; no second {@code role}; usage that covers the
 * whole answer (the continuation's prompt held the text so far, so its prompt tokens shrink and
 * its completion tokens grow by the tokens sent before it); for {@code /generate}, cumulative text
 * that starts from the beginning of the answer.
 */
public final class ContinuedEvents {
    private static final JSON WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private final StreamShape shape;
    private final String id;
    private final Object created;
    private final String model;
    private final String textBefore;
    private final int tokensBefore;

    /** For the leg that continues {@code sent}, as it stands when the continuation begins. */
    public ContinuedEvents(StreamShape shape, StreamTranscript sent) {
        this.shape = shape;
        this.id = sent.id();
        this.created = sent.created();
        this.model = sent.model();
        this.textBefore = sent.text();
        this.tokensBefore = sent.tokens();
    }

    /**
     * The event to send instead of {@code event}, re-parsed; null to drop it (a continuation's
     * role-only opening chunk). Events other than JSON data pass unchanged.
     */
    public Rewritten apply(StreamEvent event, byte[] raw) {
        if (event.kind() != StreamEvent.Kind.DATA) {
            return new Rewritten(event, raw);
        }
        Map<String, Object> chunk;
        try {
            chunk = JSON.std.mapFrom(event.data());
        } catch (IOException e) {
            return new Rewritten(event, raw);
        }
        boolean keep = shape == StreamShape.GENERATE ? generate(chunk) : openAi(chunk);
        if (!keep) {
            return null;
        }
        String data;
        try {
            data = WRITER.asString(chunk);
        } catch (IOException e) {
            return new Rewritten(event, raw);
        }
        byte[] bytes = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
        return new Rewritten(StreamEvent.parse(bytes, shape == StreamShape.GENERATE), bytes);
    }

    /** An event as it goes to the client. */
    public record Rewritten(StreamEvent event, byte[] bytes) {
    }

    private boolean openAi(Map<String, Object> chunk) {
        if (id != null && !id.isEmpty() && chunk.containsKey("id")) {
            chunk.put("id", id);
        }
        if (created != null && chunk.containsKey("created")) {
            chunk.put("created", created);
        }
        if (model != null && chunk.containsKey("model")) {
            chunk.put("model", model);
        }
        boolean says = false;
        if (chunk.get("choices") instanceof List<?> choices) {
            List<Object> rewritten = new ArrayList<>(choices.size());
            for (Object c : choices) {
                if (c instanceof Map<?, ?> choice && choice.get("delta") instanceof Map<?, ?> delta
                        && delta.containsKey("role")) {
                    Map<Object, Object> d = new LinkedHashMap<>(delta);
                    d.remove("role");
                    Map<Object, Object> copy = new LinkedHashMap<>(choice);
                    copy.put("delta", d);
                    rewritten.add(copy);
                    says |= !d.isEmpty() && !(d.size() == 1 && "".equals(d.get("content")));
                    says |= copy.get("finish_reason") != null;
                } else {
                    rewritten.add(c);
                    says = true;
                }
            }
            chunk.put("choices", rewritten);
        } else {
            says = true;
        }
        if (chunk.get("usage") instanceof Map<?, ?> usage) {
            chunk.put("usage", wholeUsage(usage, "prompt_tokens", "completion_tokens", "total_tokens"));
            says = true;
        }
        return says;
    }

    private boolean generate(Map<String, Object> chunk) {
        if (chunk.get("text") instanceof String text) {
            chunk.put("text", textBefore + text);
        }
        if (chunk.get("meta_info") instanceof Map<?, ?> meta) {
            Map<Object, Object> m = wholeUsage(meta, "prompt_tokens", "completion_tokens", null);
            if (id != null && !id.isEmpty() && m.containsKey("id")) {
                m.put("id", id);
            }
            chunk.put("meta_info", m);
        }
        return true;
    }

    private Map<Object, Object> wholeUsage(Map<?, ?> usage, String promptKey, String completionKey, String totalKey) {
        Map<Object, Object> u = new LinkedHashMap<>(usage);
        long prompt = usage.get(promptKey) instanceof Number n ? Math.max(0, n.longValue() - tokensBefore) : -1;
        long completion = usage.get(completionKey) instanceof Number n ? n.longValue() + tokensBefore : -1;
        if (prompt >= 0) {
            u.put(promptKey, prompt);
        }
        if (completion >= 0) {
            u.put(completionKey, completion);
        }
        if (totalKey != null && prompt >= 0 && completion >= 0) {
            u.put(totalKey, prompt + completion);
        }
        return u;
    }
}
