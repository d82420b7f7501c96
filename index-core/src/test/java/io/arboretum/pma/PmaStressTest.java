package io.arboretum.pma;

import io.arboretum.testkit.WeakConsistencyStressTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** Weak consistency of iterators and views under concurrent writers, and no lost update through the compute family: {@link PackedMemoryArrayMap} at segment sizes 4, 256 and adaptive, with its structure checked after every test. */
class PmaStressTest extends WeakConsistencyStressTests {

    @Override
    protected ConcurrentNavigableMap<Integer, Integer> newMap(Comparator<? super Integer> comparatorOrNull,
                                                              int nodeCapacity) {
        return PmaKitMaps.newMap(comparatorOrNull, nodeCapacity);
    }

    @Override
    protected void checkInvariants(ConcurrentNavigableMap<?, ?> map) {
        ((PackedMemoryArrayMap<?, ?>) map).checkInvariants();
    }
}
