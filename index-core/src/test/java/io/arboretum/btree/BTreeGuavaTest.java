package io.arboretum.btree;

import io.arboretum.testkit.GuavaSuiteTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Guava-testlib's ConcurrentNavigableMapTestSuiteBuilder suites, natural order and a custom comparator, node capacity 4: {@link ConcurrentBTreeMap}, with its structure checked after every test. */
class BTreeGuavaTest extends GuavaSuiteTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        ConcurrentBTreeMap.Builder<Integer, Integer> b = ConcurrentBTreeMap.<Integer, Integer>builder()
                .comparator(comparatorOrNull);
        return (nodeCapacity > 0 ? b.nodeCapacity(nodeCapacity) : b).build();
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((ConcurrentBTreeMap<?, ?>) map).checkInvariants();
    }
}
