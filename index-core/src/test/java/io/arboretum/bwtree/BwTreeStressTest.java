package io.arboretum.bwtree;

import io.arboretum.testkit.WeakConsistencyStressTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Weak consistency of iterators and views under concurrent writers, and no lost update through the compute family: {@link BwTreeMap} at the kit's node capacities (4 up to the default), with its structure checked after every test. */
class BwTreeStressTest extends WeakConsistencyStressTests {

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
