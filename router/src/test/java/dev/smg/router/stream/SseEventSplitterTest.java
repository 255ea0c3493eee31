package dev.smg.router.stream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseEventSplitterTest {
    private static List<String> split(SseEventSplitter splitter, String text, int piece) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<String> events = new ArrayList<>();
        for (int off = 0; off < bytes.length; off += piece) {
            splitter.feed(bytes, off, Math.min(piece, bytes.length - off),
                    e -> events.add(new String(e.bytes(), StandardCharsets.UTF_8)));
        }
        return events;
    }

    @Test
    void eventsComeOutWholeAndByteForByteHoweverTheStreamIsCut() {
        String stream = "data: {\"a\":1}\n\n: keep-alive\n\ndata: {\"b\":\"x\\ny\"}\r\n\r\ndata: [DONE]\n\n";
        List<String> expected = List.of("data: {\"a\":1}\n\n", ": keep-alive\n\n", "data: {\"b\":\"x\\ny\"}\r\n\r\n",
                "data: [DONE]\n\n");
        for (int piece = 1; piece <= stream.length(); piece++) {
            SseEventSplitter splitter = new SseEventSplitter(1 << 20);
            assertEquals(expected, split(splitter, stream, piece), "cut every " + piece + " bytes");
            assertEquals(0, splitter.pending());
        }
    }

    @Test
    void anIncompleteEventWaitsForItsEnd() {
        SseEventSplitter splitter = new SseEventSplitter(1 << 20);
        assertEquals(List.of(), split(splitter, "data: {\"a\":1}\n", 100));
        assertEquals(14, splitter.pending());
        assertEquals(List.of("data: {\"a\":1}\n\n"), split(splitter, "\ndata: x", 100));
        assertEquals("data: x", new String(splitter.rest(), StandardCharsets.UTF_8));
    }

    @Test
    void anOversizedEventIsHandedOnFlaggedInsteadOfBufferedWithoutBound() {
        SseEventSplitter splitter = new SseEventSplitter(64);
        List<SseEventSplitter.Event> events = new ArrayList<>();
        byte[] big = ("data: " + "x".repeat(200)).getBytes(StandardCharsets.UTF_8);
        splitter.feed(big, 0, big.length, events::add);
        assertEquals(1, events.size());
        assertTrue(events.get(0).oversized());
        assertEquals(0, splitter.pending());
    }

    @Test
    void randomCutsOfManyEventsLoseNothing() {
        Random random = new Random(7);
        StringBuilder stream = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String event = "data: {\"i\":" + i + ",\"t\":\"" + "é".repeat(random.nextInt(5)) + "\"}\n\n";
            expected.add(event);
            stream.append(event);
        }
        byte[] bytes = stream.toString().getBytes(StandardCharsets.UTF_8);
        SseEventSplitter splitter = new SseEventSplitter(1 << 20);
        List<String> got = new ArrayList<>();
        for (int off = 0; off < bytes.length; ) {
            int n = Math.min(1 + random.nextInt(300), bytes.length - off);
            splitter.feed(bytes, off, n, e -> got.add(new String(e.bytes(), StandardCharsets.UTF_8)));
            off += n;
        }
        assertEquals(expected, got);
    }
}
