package dev.smg.api.ha;

/**
 * One start of one router, the key of its rate-limit counters: its member name and the wall-clock
 * millisecond it started. A restarted router counts afresh under a new incarnation, and the old
 * one's counters are collected. Member names never contain {@code @} (MeshSettings refuses them),
 * so the text form {@code name@start} parses back unambiguously.
 */
record RouterIncarnation(String member, long startMillis) {
    static RouterIncarnation parse(String text) {
        int at = text.lastIndexOf('@');
        if (at <= 0) {
            throw new IllegalArgumentException("not name@start: " + text);
        }
        try {
            return new RouterIncarnation(text.substring(0, at), Long.parseLong(text.substring(at + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not name@start: " + text);
        }
    }

    @Override
    public String toString() {
        return member + "@" + startMillis;
    }
}
