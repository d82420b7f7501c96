package io.arboretum.bwtree;

import io.arboretum.testkit.GuavaSuiteTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Guava-testlib's ConcurrentNavigableMapTestSuiteBuilder suites, natural order and a custom comparator: {@link BwTreeMap} at the kit's node capacities (4 up to the default), with its structure checked after every test. */
class BwTreeGuavaTest extends GuavaSuiteTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return BwKitMaps.newMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((BwTreeMap<?, ?>) map).checkInvariants();
    }

    /**
     * In every build only the natural-order suite runs (Integer keys, the map's primitive-key
     * fast path); the custom-comparator suite (the general comparator path) runs with
     * {@code -Pthorough}, and the contract kit covers that path with its reversed and throwing
     * comparators at every size.
     */
    @Override
    protected boolean thoroughOnly(boolean customComparator) {
        return customComparator;
    }
}
