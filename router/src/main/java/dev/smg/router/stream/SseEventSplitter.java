package dev.smg.router.stream;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts a server-sent-events byte stream, read in arbitrary pieces, into whole events: everything up
 * to and including the blank line that ends an event ({@code \n\n} or {@code \r\n\r\n}). Events are
 * handed on as the exact bytes received, so relaying them changes nothing.
 *
 * <p>Bounded: an event longer than {@code maxEvent} bytes is handed on as it is (the bytes so far,
 * flagged oversized) rather than buffered without limit; the relay then stops interpreting the stream.
 */
public final class SseEventSplitter {
    private final int maxEvent;
    private byte[] buffer = new byte[4096];
    private int length;
    /** Where the search for the end of the current event resumes. */
    private int scanned;

    public SseEventSplitter(int maxEvent) {
        this.maxEvent = maxEvent;
    }

    /** An event's bytes (a copy); {@code oversized}: cut at the bound, not at an event end. */
    public record Event(byte[] bytes, boolean oversized) {
    }

    /** Takes {@code n} more bytes and hands every event they complete to {@code sink}, in order. */
    public void feed(byte[] data, int off, int n, Consumer<Event> sink) {
        ensure(length + n);
        System.arraycopy(data, off, buffer, length, n);
        length += n;
        int start = 0;
        int i = Math.max(scanned, 1);
        while (i < length) {
            if (buffer[i] == '\n' && (buffer[i - 1] == '\n'
                    || (buffer[i - 1] == '\r' && i - 3 >= start && buffer[i - 2] == '\n' && buffer[i - 3] == '\r'))) {
                if (i + 1 - start > 0) {
                    sink.accept(new Event(Arrays.copyOfRange(buffer, start, i + 1), false));
                }
                start = i + 1;
                i = start + 1;
                continue;
            }
            i++;
        }
        if (length - start > maxEvent) {
            sink.accept(new Event(Arrays.copyOfRange(buffer, start, length), true));
            start = length;
        }
        System.arraycopy(buffer, start, buffer, 0, length - start);
        length -= start;
        scanned = Math.max(length, 1);
    }

    /** Bytes of an event not yet complete. */
    public int pending() {
        return length;
    }

    /** The incomplete rest, for a stream that ended without a final blank line. */
    public byte[] rest() {
        return Arrays.copyOf(buffer, length);
    }

    private void ensure(int capacity) {
        if (capacity > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(capacity, buffer.length * 2));
        }
    }
}
