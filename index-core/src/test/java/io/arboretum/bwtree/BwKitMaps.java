package io.arboretum.bwtree;

import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Makes the kit's {@code Integer} maps as Bw-trees: capacity 0 is the default, others as given. */
final class BwKitMaps {
    private BwKitMaps() {
    }

    static ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> cmp, int capacity) {
        BwTreeMap.Builder<Integer, Integer> b = BwTreeMap.<Integer, Integer>builder().comparator(cmp);
        if (capacity != 0) {
            b.nodeCapacity(capacity);
        }
        return b.build();
    }
}
