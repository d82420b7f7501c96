package io.arboretum.testkit;

import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Guava-testlib's suites against the test-only {@link LockedTreeIndex}. */
class LockedTreeIndexGuavaTest extends GuavaSuiteTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return new LockedTreeIndex<>(comparatorOrNull);
    }
}
