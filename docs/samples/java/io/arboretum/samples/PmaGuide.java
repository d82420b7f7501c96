package io.arboretum.samples;

import io.arboretum.pma.PackedMemoryArrayMap;

/** The snippets of docs/guides/how-the-packed-memory-array-works.md; main checks what the guide says. */
public final class PmaGuide {
    private PmaGuide() {
    }

    public static void main(String[] args) {
        // snippet:begin pma-events
        PackedMemoryArrayMap<Long, String> events = new PackedMemoryArrayMap<>(); // Long keys stored as longs
        events.put(1_700_000_000_000L, "login");
        events.put(1_700_000_000_500L, "click");
        // A range scan walks contiguous cells, one validated copy per segment.
        events.subMap(1_700_000_000_000L, 1_700_000_001_000L).forEach((t, e) -> System.out.println(t + " " + e));
        // snippet:end pma-events
        check(events.size() == 2 && events.firstEntry().getValue().equals("login"), "put");
        check(events.subMap(1_700_000_000_000L, 1_700_000_001_000L).size() == 2, "subMap");
        events.checkInvariants();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("PmaGuide: " + what);
        }
    }
}
