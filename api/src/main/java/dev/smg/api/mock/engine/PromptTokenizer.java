package dev.smg.api.mock.engine;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Turns a request's prompt into synthetic token ids without a real tokenizer: one token per
 * whitespace-separated word, id = FNV-1a-32 of the word's UTF-8 bytes, mod {@value #VOCAB}. Equal
 * words give equal ids, so prompts that share leading words share leading tokens, which is all the
 * prefix cache needs.
 */
public final class PromptTokenizer {
    public static final int VOCAB = 30_000;

    private static final int FNV32_OFFSET = 0x811c9dc5;
    private static final int FNV32_PRIME = 0x01000193;

    private PromptTokenizer() {
    }

    /**
     * The prompt text of a request: chat {@code messages[].content} (strings and text parts) joined
     * by spaces, then {@code prompt}, {@code text} and {@code inputs} (a string or a list of strings).
     */
    public static String promptText(Map<String, Object> request) {
        StringBuilder text = new StringBuilder();
        if (request.get("messages") instanceof List<?> messages) {
            for (Object m : messages) {
                if (m instanceof Map<?, ?> message) {
                    append(text, message.get("content"));
                }
            }
        }
        for (String field : List.of("prompt", "text", "inputs")) {
            append(text, request.get(field));
        }
        return text.toString();
    }

    private static void append(StringBuilder text, Object content) {
        if (content instanceof String s) {
            text.append(s).append(' ');
        } else if (content instanceof List<?> parts) {
            for (Object part : parts) {
                if (part instanceof String s) {
                    text.append(s).append(' ');
                } else if (part instanceof Map<?, ?> p && p.get("text") instanceof String s) {
                    text.append(s).append(' ');
                }
            }
        }
    }

    /** One id per whitespace-separated word of {@code text}, in order. */
    public static int[] tokenize(String text) {
        int[] ids = new int[16];
        int count = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            while (i < n && isSpace(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !isSpace(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                if (count == ids.length) {
                    ids = java.util.Arrays.copyOf(ids, count * 2);
                }
                ids[count++] = tokenId(text.substring(start, i));
            }
        }
        return java.util.Arrays.copyOf(ids, count);
    }

    /** The id of one word: unsigned FNV-1a-32 of its UTF-8 bytes, mod {@value #VOCAB}. */
    public static int tokenId(String word) {
        return (int) (Integer.toUnsignedLong(fnv1a32(word.getBytes(StandardCharsets.UTF_8))) % VOCAB);
    }

    static int fnv1a32(byte[] bytes) {
        int hash = FNV32_OFFSET;
        for (byte b : bytes) {
            hash ^= b & 0xff;
            hash *= FNV32_PRIME;
        }
        return hash;
    }

    /** The characters {@code \s} matches, so word counts agree with the canned worker's. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }
}
