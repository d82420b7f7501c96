package io.arboretum.pma;

import io.arboretum.testkit.GuavaSuiteTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Guava-testlib's ConcurrentNavigableMapTestSuiteBuilder suites, natural order (keys as longs) and a custom comparator (keys as objects): {@link PackedMemoryArrayMap} at segment size 4, with its structure checked after every test. */
class PmaGuavaTest extends GuavaSuiteTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return PmaKitMaps.newMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((PackedMemoryArrayMap<?, ?>) map).checkInvariants();
    }

    /**
     * In every build only the natural-order suite (keys stored as longs) runs; the
     * custom-comparator suite (keys stored as objects) runs with {@code -Pthorough}, and the
     * contract kit covers the object layout with its reversed and throwing comparators at every size.
     */
    @Override
    protected boolean thoroughOnly(boolean customComparator) {
        return customComparator;
    }
}
