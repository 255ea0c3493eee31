package dev.smg.router.stream;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamEventTest {
    private static StreamEvent chat(String json) {
        return StreamEvent.parse(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8), false);
    }

    @Test
    void aRoleOnlyOpeningChunkCarriesNoAnswer() {
        StreamEvent e = chat("{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"finish_reason\":null}]}");
        assertEquals(StreamEvent.Kind.DATA, e.kind());
        assertEquals("", e.piece());
        assertFalse(e.carriesAnswer());
    }

    @Test
    void contentTextAndFinishAreRead() {
        assertEquals(" hello", chat("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" hello\"}}]}").piece());
        assertEquals(" hi", chat("{\"choices\":[{\"index\":0,\"text\":\" hi\",\"logprobs\":null}]}").piece());
        StreamEvent last = chat("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3}}");
        assertTrue(last.finished());
        assertTrue(last.usage());
        assertTrue(last.carriesAnswer());
    }

    @Test
    void whatMakesAContinuationUnsafeIsSeen() {
        assertTrue(chat("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\"}}]}}]}")
                .toolCall());
        StreamEvent noCall = chat("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[],\"content\":\"x\"}}]}");
        assertFalse(noCall.toolCall());
        assertEquals("x", noCall.piece(), "fields after an empty tool_calls list are still read");
        assertTrue(chat("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}").reasoning());
        assertTrue(chat("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"}}]}").otherChoice());
        assertTrue(chat("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"logprobs\":{\"content\":[]}}]}")
                .logprobs());
    }

    @Test
    void doneCommentsAndGarbageAreTold() {
        assertEquals(StreamEvent.Kind.DONE, chat("[DONE]").kind());
        assertEquals(StreamEvent.Kind.OTHER, StreamEvent.parse(": ping\n\n".getBytes(StandardCharsets.UTF_8), false).kind());
        assertEquals(StreamEvent.Kind.UNREADABLE, chat("{not json").kind());
        assertTrue(chat("{\"error\":{\"message\":\"boom\"}}").error());
    }

    @Test
    void generateEventsCarryCumulativeText() {
        StreamEvent e = StreamEvent.parse(("data: {\"text\":\" a b\",\"meta_info\":{\"id\":\"g\",\"finish_reason\":null}}\n\n")
                .getBytes(StandardCharsets.UTF_8), true);
        assertEquals(" a b", e.piece());
        assertFalse(e.finished());
    }

    @Test
    void multiLineDataIsJoined() {
        assertEquals("{\"a\":\n1}", StreamEvent.dataOf("event: x\ndata: {\"a\":\ndata: 1}\n\n"));
        assertNull(StreamEvent.dataOf(": only a comment\n\n"));
    }
}
