package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.testing.ConcurrentNavigableMapTestSuiteBuilder;
import com.google.common.collect.testing.Helpers;
import com.google.common.collect.testing.SampleElements;
import com.google.common.collect.testing.TestSortedMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import com.google.common.collect.testing.testers.MapEntrySetTester;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import junit.framework.TestFailure;
import junit.framework.TestResult;
import org.junit.jupiter.api.Test;

/**
 * Guava's {@code ConcurrentNavigableMap} conformance suite against {@link OffHeapLongBTreeMap#asMap()},
 * with nodes of 4 entries so that even the suite's small maps have several levels.
 */
class OffHeapLongMapViewGuavaTest {

    static final class Generator implements TestSortedMapGenerator<Long, Long> {
        @Override
        public SampleElements<Map.Entry<Long, Long>> samples() {
            return new SampleElements<>(Helpers.mapEntry(-20L, 1L), Helpers.mapEntry(-10L, 2L),
                    Helpers.mapEntry(0L, 3L), Helpers.mapEntry(10L, 4L), Helpers.mapEntry(20L, 5L));
        }

        @Override
        public SortedMap<Long, Long> create(Object... entries) {
            // Small chunks: the suite creates tens of thousands of maps.
            OffHeapLongBTreeMap m = OffHeapLongBTreeMap.builder().nodeCapacity(4).maxOffHeapBytes(1 << 14).build();
            Map<Long, Long> view = m.asMap();
            for (Object o : entries) {
                @SuppressWarnings("unchecked")
                Map.Entry<Long, Long> e = (Map.Entry<Long, Long>) o;
                view.put(e.getKey(), e.getValue());
            }
            return (SortedMap<Long, Long>) view;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Map.Entry<Long, Long>[] createArray(int length) {
            return new Map.Entry[length];
        }

        @Override
        public Iterable<Map.Entry<Long, Long>> order(List<Map.Entry<Long, Long>> insertionOrder) {
            List<Map.Entry<Long, Long>> sorted = new ArrayList<>(insertionOrder);
            sorted.sort(Map.Entry.comparingByKey());
            return sorted;
        }

        @Override
        public Long[] createKeyArray(int length) {
            return new Long[length];
        }

        @Override
        public Long[] createValueArray(int length) {
            return new Long[length];
        }

        @Override
        public Map.Entry<Long, Long> belowSamplesLesser() {
            return Helpers.mapEntry(-40L, 9L);
        }

        @Override
        public Map.Entry<Long, Long> belowSamplesGreater() {
            return Helpers.mapEntry(-30L, 9L);
        }

        @Override
        public Map.Entry<Long, Long> aboveSamplesLesser() {
            return Helpers.mapEntry(30L, 9L);
        }

        @Override
        public Map.Entry<Long, Long> aboveSamplesGreater() {
            return Helpers.mapEntry(40L, 9L);
        }
    }

    @Test
    void passesGuavaConcurrentNavigableMapSuite() throws Exception {
        junit.framework.Test suite = ConcurrentNavigableMapTestSuiteBuilder.using(new Generator())
                .named("OffHeapLongBTreeMap.asMap")
                .withFeatures(MapFeature.GENERAL_PURPOSE, CollectionFeature.SUPPORTS_ITERATOR_REMOVE,
                        CollectionSize.ANY)
                // Entries are immutable snapshots, as in ConcurrentSkipListMap.
                .suppressing(MapEntrySetTester.getSetValueMethod(),
                        MapEntrySetTester.getSetValueWithNullValuesPresentMethod(),
                        MapEntrySetTester.getSetValueWithNullValuesAbsentMethod(),
                        MapEntrySetTester.getIteratorSetValueAndRemove())
                .createTestSuite();
        TestResult result = new TestResult();
        suite.run(result);
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (Enumeration<TestFailure> e = result.failures(); e.hasMoreElements() && shown < 10; shown++) {
            TestFailure f = e.nextElement();
            sb.append(f.failedTest()).append(": ").append(f.exceptionMessage()).append('\n');
        }
        for (Enumeration<TestFailure> e = result.errors(); e.hasMoreElements() && shown < 20; shown++) {
            TestFailure f = e.nextElement();
            sb.append(f.failedTest()).append(": ").append(f.trace(), 0, Math.min(600, f.trace().length())).append('\n');
        }
        assertTrue(result.runCount() > 1000, "suite ran " + result.runCount());
        assertTrue(result.wasSuccessful(), result.failureCount() + " failures, " + result.errorCount()
                + " errors of " + result.runCount() + ":\n" + sb);
    }
}
