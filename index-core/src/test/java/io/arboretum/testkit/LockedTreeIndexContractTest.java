package io.arboretum.testkit;

import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** The whole differential contract against the test-only {@link LockedTreeIndex}. */
class LockedTreeIndexContractTest extends NavigableMapContractTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return new LockedTreeIndex<>(comparatorOrNull);
    }
}
