package io.arboretum.pma;

import io.arboretum.testkit.NavigableMapContractTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** The whole differential contract kit against TreeMap: {@link PackedMemoryArrayMap} at segment sizes 4, 5, 8, 64, 256 and adaptive, with its structure checked after every test. */
class PmaContractTest extends NavigableMapContractTests {

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
