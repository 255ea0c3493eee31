package dev.smg.api.mock;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The words a mock answer is made of, and which word comes where. Token j of the answer to a
 * context is {@code WORDS[h(context, j)]}, with h the j-th output of SplitMix64 seeded with the
 * FNV-1a-64 hash of the context's UTF-8 bytes, top 6 bits. No randomness and nothing JVM-dependent,
 * so every worker (and every run) gives the same answer to the same context, and an answer can be
 * resumed at any token on another worker: what makes a stream continued after a failover
 * byte-identical to an uninterrupted one.
 *
 * <p>The words are rare Latin from the lorem-ipsum family, chosen so that a real prompt is unlikely
 * to end in one: a completion prompt that ends in vocabulary words is read as a continuation.
 */
final class MockVocabulary {
    /** 64 words, so an index is 6 bits of the hash. Never reorder: answers would change. */
    static final List<String> WORDS = List.of(
            "laboriosam", "eveniet", "sapiente", "amet", "consectetur", "adipiscing", "elit", "eiusmod",
            "tempor", "incididunt", "perferendis", "molestiae", "aliqua", "veniam", "nostrud", "exercitation",
            "ullamco", "laboris", "aliquip", "commodo", "consequat", "aute", "irure", "reprehenderit",
            "voluptate", "velit", "cillum", "quaerat", "nesciunt", "pariatur", "excepteur", "occaecat",
            "cupidatat", "proident", "numquam", "officia", "deserunt", "mollit", "laborum", "perspiciatis",
            "accusantium", "doloremque", "laudantium", "totam", "aperiam", "eaque", "inventore", "veritatis",
            "repellat", "architecto", "beatae", "quisquam", "adipisci", "explicabo", "porro", "voluptatem",
            "aspernatur", "odit", "tempora", "consequuntur", "magni", "incidunt", "exercitationem", "sequi");

    private static final Set<String> LOOKUP = Set.copyOf(WORDS);
    private static final long FNV64_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV64_PRIME = 0x100000001b3L;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private MockVocabulary() {
    }

    static boolean contains(String word) {
        return LOOKUP.contains(word);
    }

    /** The seed of a context's answer: FNV-1a-64 of its UTF-8 bytes. */
    static long seed(String context) {
        long hash = FNV64_OFFSET;
        for (byte b : context.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= FNV64_PRIME;
        }
        return hash;
    }

    /** Word j (from 0) of the answer with this seed: SplitMix64's j-th output, top 6 bits. */
    static String word(long seed, int j) {
        long z = seed + (j + 1L) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return WORDS.get((int) (z >>> 58));
    }
}
