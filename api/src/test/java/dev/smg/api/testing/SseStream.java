package dev.smg.api.testing;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One streamed answer as a client sees it: the text it adds up to, whether it ended with
 * {@code [DONE]}, the ids it carried, an error event if any, and the last usage. A stream that
 * breaks (the connection cut) is recorded as {@code broken}, not thrown.
 *
 * @param status HTTP status
 * @param text   concatenated {@code delta.content} (chat), {@code text} (completions), or the last
 *               cumulative {@code text} (/generate)
 * @param events data events received, [DONE] excluded
 */
public record SseStream(int status, String text, boolean done, boolean broken, Set<Object> ids, Set<Object> createds,
                        Set<Object> models, Map<String, Object> error, Map<String, Object> usage, String finishReason,
                        int events) {

    /** POSTs {@code body} to {@code url} and reads the whole stream. */
    public static SseStream post(String url, String body) {
        return post(url, body, new java.util.concurrent.atomic.AtomicInteger());
    }

    /** The same, counting the lines received in {@code lines} as they come (to see a stream under way). */
    public static SseStream post(String url, String body, java.util.concurrent.atomic.AtomicInteger linesSeen) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<Stream<String>> response;
        try {
            response = Http.CLIENT.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            return new SseStream(0, "", false, true, Set.of(), Set.of(), Set.of(), null, null, null, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        boolean generate = url.endsWith("/generate");
        StringBuilder text = new StringBuilder();
        boolean done = false;
        boolean broken = false;
        Set<Object> ids = new LinkedHashSet<>();
        Set<Object> createds = new LinkedHashSet<>();
        Set<Object> models = new LinkedHashSet<>();
        Map<String, Object> error = null;
        Map<String, Object> usage = null;
        String finish = null;
        int events = 0;
        List<String> lines = new ArrayList<>();
        try (Stream<String> received = response.body()) {
            received.forEach(line -> {
                lines.add(line);
                linesSeen.incrementAndGet();
            });
        } catch (RuntimeException e) {
            broken = true; // the connection was cut mid-stream
        }
        for (String line : lines) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                done = true;
                continue;
            }
            events++;
            Map<String, Object> chunk;
            try {
                chunk = JSON.std.mapFrom(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
            if (chunk.get("error") instanceof Map<?, ?> e) {
                @SuppressWarnings("unchecked")
                Map<String, Object> err = (Map<String, Object>) e;
                error = err;
                continue;
            }
            if (generate) {
                if (chunk.get("text") instanceof String t) {
                    text.setLength(0);
                    text.append(t);
                }
                if (chunk.get("meta_info") instanceof Map<?, ?> meta) {
                    ids.add(meta.get("id"));
                    if (meta.get("finish_reason") instanceof Map<?, ?> f) {
                        finish = String.valueOf(f.get("type"));
                        @SuppressWarnings("unchecked")
                        Map<String, Object> m = (Map<String, Object>) meta;
                        usage = m;
                    }
                }
                continue;
            }
            ids.add(chunk.get("id"));
            createds.add(chunk.get("created"));
            models.add(chunk.get("model"));
            if (chunk.get("choices") instanceof List<?> choices) {
                for (Object c : choices) {
                    Map<?, ?> choice = (Map<?, ?>) c;
                    if (choice.get("delta") instanceof Map<?, ?> delta && delta.get("content") instanceof String s) {
                        text.append(s);
                    } else if (choice.get("text") instanceof String s) {
                        text.append(s);
                    }
                    if (choice.get("finish_reason") instanceof String f) {
                        finish = f;
                    }
                }
            }
            if (chunk.get("usage") instanceof Map<?, ?> u) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) u;
                usage = m;
            }
        }
        return new SseStream(response.statusCode(), text.toString(), done, broken, ids, createds, models, error, usage,
                finish, events);
    }
}
