package dev.smg.mesh.membership;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Membership changes waiting to be piggybacked. Each is sent a bounded number of times
 * (about λ·log N) and the least-sent go first; a newer claim about a member replaces the older
 * one, so the queue holds at most one entry per member and cannot grow without bound.
 */
final class Broadcasts {
    private static final class Entry {
        final Member member;
        int transmits;

        Entry(Member member) {
            this.member = member;
        }
    }

    private final Map<String, Entry> pending = new LinkedHashMap<>();

    void add(Member member) {
        pending.put(member.name(), new Entry(member));
    }

    /** Up to {@code max} changes to piggyback now; each counts one transmission. */
    List<Member> take(int max, int transmitLimit) {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<Entry> entries = new ArrayList<>(pending.values());
        entries.sort(Comparator.comparingInt(e -> e.transmits));
        List<Member> out = new ArrayList<>(Math.min(max, entries.size()));
        for (Entry e : entries) {
            if (out.size() == max) {
                break;
            }
            out.add(e.member);
            e.transmits++;
            if (e.transmits >= transmitLimit) {
                pending.remove(e.member.name());
            }
        }
        return out;
    }

    int size() {
        return pending.size();
    }
}
