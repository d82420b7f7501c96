package io.arboretum.bwtree;

import io.arboretum.testkit.NavigableMapContractTests;
import java.util.Comparator;
import java.util.concurrent.ConcurrentNavigableMap;

/** The whole differential contract kit against TreeMap (every method, nested views, random, descending and adversarial key orders, bad input, throwing comparators and functions, serialization): {@link BwTreeMap} at the kit's node capacities (4 up to the default), with its structure checked after every test. */
class BwTreeContractTest extends NavigableMapContractTests {

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
