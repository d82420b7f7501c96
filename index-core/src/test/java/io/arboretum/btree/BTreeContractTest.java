package io.arboretum.btree;

import io.arboretum.testkit.NavigableMapContractTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** The whole differential contract (every method, views, nested views, bad input, throwing comparators and functions, serialization) against TreeMap: {@link ConcurrentBTreeMap}, with its structure checked after every test. */
class BTreeContractTest extends NavigableMapContractTests {

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
