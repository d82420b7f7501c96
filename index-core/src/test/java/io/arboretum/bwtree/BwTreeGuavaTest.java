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
}
