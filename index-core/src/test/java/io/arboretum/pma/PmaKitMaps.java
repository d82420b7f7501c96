package io.arboretum.pma;

import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * Makes the kit's {@code Integer} maps as packed memory arrays. The kit's node capacity becomes
 * the segment size (4, 5, 8, 64, 256; 0 is the adaptive default), so that small capacities
 * redistribute windows and resize the array within a few dozen keys. Natural ordering stores the
 * keys as primitive longs (exact mode); a comparator stores them as objects.
 */
final class PmaKitMaps {
    private PmaKitMaps() {
    }

    static ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> cmp, int capacity) {
        PackedMemoryArrayMap.Builder<Integer, Integer> b = PackedMemoryArrayMap.builder();
        if (capacity != 0) {
            b.segmentSize(capacity);
        }
        return b.comparator(cmp).build();
    }
}
