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

    /**
     * Only under {@code -Pthorough}: these suites check the kit's guava wiring against a map that
     * is correct by construction (about 20 s a build), which the indexes' own guava suites, run in
     * every build, exercise as well; a wiring fault fails those first.
     */
    @Override
    protected boolean thoroughOnly(boolean customComparator) {
        return true;
    }
}
