package io.arboretum.testkit;

import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** The weak-consistency stress against the test-only {@link LockedTreeIndex}. */
class LockedTreeIndexStressTest extends WeakConsistencyStressTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return new LockedTreeIndex<>(comparatorOrNull);
    }
}
