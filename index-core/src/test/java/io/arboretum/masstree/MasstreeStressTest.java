package io.arboretum.masstree;

import io.arboretum.testkit.WeakConsistencyStressTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Weak consistency of iterators and views under concurrent writers, and no lost update through the compute family: {@link MasstreeMap} at node widths 3, 4, 7 and 15, with its structure checked after every test. */
class MasstreeStressTest extends WeakConsistencyStressTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return MasstreeKitMaps.newMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((MasstreeMap<?, ?>) map).checkInvariants();
    }
}
