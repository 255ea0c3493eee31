package dev.smg.router.stream;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContinuedEventsTest {
    private static byte[] event(String json) {
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static StreamTranscript sent(StreamShape shape, String... events) {
        StreamTranscript t = new StreamTranscript(shape);
        for (String e : events) {
            t.record(StreamEvent.parse(event(e), shape == StreamShape.GENERATE));
        }
        return t;
    }

    private static Map<String, Object> rewrite(ContinuedEvents r, StreamShape shape, String json) throws Exception {
        ContinuedEvents.Rewritten out = r.apply(StreamEvent.parse(event(json), shape == StreamShape.GENERATE), event(json));
        if (out == null) {
            return null;
        }
        String text = new String(out.bytes(), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("data: ") && text.endsWith("\n\n"), text);
        return JSON.std.mapFrom(text.substring(6).strip());
    }

    private static long number(Map<?, ?> map, String key) {
        return ((Number) map.get(key)).longValue();
    }

    @Test
    void theContinuationSpeaksWithTheFirstStreamsIdentityAndWholeUsage() throws Exception {
        StreamTranscript t = sent(StreamShape.CHAT,
                "{\"id\":\"chatcmpl-A\",\"created\":100,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
                "{\"id\":\"chatcmpl-A\",\"created\":100,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one\"}}]}",
                "{\"id\":\"chatcmpl-A\",\"created\":100,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" two\"}}]}");
        assertEquals("one two", t.text());
        assertEquals(2, t.tokens());
        ContinuedEvents r = new ContinuedEvents(StreamShape.CHAT, t);
        assertNull(rewrite(r, StreamShape.CHAT, "{\"id\":\"chatcmpl-B\",\"created\":200,\"model\":\"m2\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"),
                "a second role-only chunk is dropped");
        Map<String, Object> piece = rewrite(r, StreamShape.CHAT, "{\"id\":\"chatcmpl-B\",\"created\":200,\"model\":\"m2\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\" three\"}}]}");
        assertEquals("chatcmpl-A", piece.get("id"));
        assertEquals(100, number(piece, "created"));
        assertEquals("m", piece.get("model"));
        assertEquals(List.of(Map.of("index", 0, "delta", Map.of("content", " three"))), piece.get("choices"));
        Map<String, Object> last = rewrite(r, StreamShape.CHAT, "{\"id\":\"chatcmpl-B\",\"created\":200,\"model\":\"m2\","
                + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}");
        Map<?, ?> usage = (Map<?, ?>) last.get("usage");
        assertEquals(10, number(usage, "prompt_tokens"));
        assertEquals(5, number(usage, "completion_tokens"));
        assertEquals(15, number(usage, "total_tokens"));
    }

    @Test
    void generateTextStaysCumulativeFromTheAnswersStart() throws Exception {
        StreamTranscript t = sent(StreamShape.GENERATE,
                "{\"text\":\" a\",\"meta_info\":{\"id\":\"g1\",\"finish_reason\":null}}",
                "{\"text\":\" a b\",\"meta_info\":{\"id\":\"g1\",\"finish_reason\":null}}");
        ContinuedEvents r = new ContinuedEvents(StreamShape.GENERATE, t);
        Map<String, Object> next = rewrite(r, StreamShape.GENERATE,
                "{\"text\":\" c\",\"meta_info\":{\"id\":\"g2\",\"completion_tokens\":1,\"prompt_tokens\":5,\"finish_reason\":null}}");
        assertEquals(" a b c", next.get("text"));
        Map<?, ?> meta = (Map<?, ?>) next.get("meta_info");
        assertEquals("g1", meta.get("id"));
        assertEquals(3, number(meta, "completion_tokens"));
        assertEquals(3, number(meta, "prompt_tokens"));
        t.record(StreamEvent.parse(event(JSON.std.asString(next)), true));
        assertEquals(" a b c", t.text());
    }
}
