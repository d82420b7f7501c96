package io.arboretum.samples;

// snippet:begin gs-offheap
import io.arboretum.btree.OffHeapLongBTreeMap;
import io.arboretum.btree.OffHeapLongCursor;
import java.util.concurrent.ConcurrentNavigableMap;

public final class OffHeapHits {
    static final long ABSENT = Long.MIN_VALUE;               // a value this map never stores

    public static void main(String[] args) {
        try (OffHeapLongBTreeMap hits = OffHeapLongBTreeMap.builder()
                .maxOffHeapBytes(1L << 30)                   // beyond 1 GiB: OffHeapCapacityException
                .build()) {
            hits.put(42L, 1L, ABSENT);                       // the previous value, or ABSENT
            long h = hits.get(42L, ABSENT);                  // 1
            long next = hits.ceilingKey(43L, ABSENT);        // ABSENT: no key >= 43
            OffHeapLongCursor c = hits.cursor(0L, 100L);     // keys 0..100, both inclusive
            while (c.next()) {
                System.out.println(c.key() + " -> " + c.value());
            }
            ConcurrentNavigableMap<Long, Long> boxed = hits.asMap(); // the standard interface, boxed
            System.out.println(h + " " + (next == ABSENT) + " " + boxed.firstKey());
        }   // close(): later calls on hits, boxed or c throw IllegalStateException
    }
}
// snippet:end gs-offheap
