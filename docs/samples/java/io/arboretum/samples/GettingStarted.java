package io.arboretum.samples;

// snippet:begin gs-imports
import io.arboretum.btree.ConcurrentBTreeMap;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
// snippet:end gs-imports

/** The Java fragments of docs/guides/getting-started.md, in the order the page shows them. */
public final class GettingStarted {
    private GettingStarted() {
    }

    /** Runs every fragment; throws if one of them misbehaves. */
    public static void main(String[] args) {
        // snippet:begin gs-create
        // Natural ordering, default node capacity (64 keys per node).
        ConcurrentNavigableMap<Long, String> users = new ConcurrentBTreeMap<>();

        // The same constructors as ConcurrentSkipListMap:
        ConcurrentBTreeMap<String, Integer> byName = new ConcurrentBTreeMap<>(String.CASE_INSENSITIVE_ORDER);
        ConcurrentBTreeMap<Long, String> copy = new ConcurrentBTreeMap<>(users);  // (Map) or (SortedMap)

        // Tuning through the builder: comparator and node capacity (4 to 4096 keys per node).
        ConcurrentBTreeMap<Long, String> big = ConcurrentBTreeMap.<Long, String>builder()
                .nodeCapacity(128)
                .build();

        // Byte-string keys in unsigned lexicographic order: pass the library's own comparator, so the
        // map recognises it and keeps an 8-byte search prefix per key.
        ConcurrentBTreeMap<byte[], String> blobs = ConcurrentBTreeMap.<byte[], String>builder()
                .comparator(ConcurrentBTreeMap.unsignedBytesComparator())
                .build();
        // snippet:end gs-create
        check(byName.isEmpty() && copy.isEmpty() && big.isEmpty() && blobs.isEmpty(), "fresh maps are empty");

        // snippet:begin gs-point
        users.put(42L, "ada");                     // returns the previous value, or null
        users.putIfAbsent(7L, "grace");            // null if it was absent and is now mapped
        String name = users.get(42L);              // "ada"
        users.replace(42L, "ada", "ada lovelace"); // true: conditional replace
        users.remove(7L, "someone else");          // false: value did not match
        users.remove(7L);                          // "grace"
        // snippet:end gs-point
        check("ada".equals(name) && "ada lovelace".equals(users.get(42L)) && !users.containsKey(7L), "point operations");

        users.put(7L, "grace");
        // snippet:begin gs-ordered
        Map.Entry<Long, String> e = users.ceilingEntry(40L);  // least key >= 40, or null
        Long below = users.lowerKey(42L);                     // greatest key < 42, or null
        Map.Entry<Long, String> first = users.firstEntry();
        Map.Entry<Long, String> next = users.pollFirstEntry(); // removes and returns, atomically
        // snippet:end gs-ordered
        check(e.getKey() == 42L && below == 7L && first.getKey() == 7L && next.getKey() == 7L, "ordered queries");

        // snippet:begin gs-views
        ConcurrentNavigableMap<Long, String> some = users.subMap(10L, true, 100L, false); // [10, 100)
        ConcurrentNavigableMap<Long, String> newestFirst = users.descendingMap();
        some.put(50L, "written through");   // visible in users too
        try {
            some.put(500L, "x");            // outside the view's range
        } catch (IllegalArgumentException ex) {
            System.out.println(ex.getMessage()); // key out of range: 500 is not in [10, 100)
        }
        Map.Entry<Long, String> low = some.pollFirstEntry(); // atomic, within [10, 100) only
        // snippet:end gs-views
        check(low.getKey() == 42L && newestFirst.firstKey() == 50L && !users.containsKey(500L), "views");

        // snippet:begin gs-rmw
        ConcurrentBTreeMap<String, Long> counts = new ConcurrentBTreeMap<>();
        counts.merge("clicks", 1L, Long::sum);
        counts.compute("views", (k, v) -> v == null ? 1L : v + 1);
        counts.computeIfAbsent("likes", k -> 0L);  // runs its function at most once
        // snippet:end gs-rmw
        check(counts.get("clicks") == 1L && counts.get("views") == 1L && counts.get("likes") == 0L, "compute");

        // snippet:begin gs-iterate
        for (Map.Entry<Long, String> entry : users.entrySet()) {
            System.out.println(entry.getKey() + " -> " + entry.getValue());
        }
        // snippet:end gs-iterate
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("sample misbehaved: " + what);
        }
    }
}
