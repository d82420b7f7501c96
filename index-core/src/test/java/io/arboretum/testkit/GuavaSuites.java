package io.arboretum.testkit;

import com.google.common.collect.testing.ConcurrentNavigableMapTestSuiteBuilder;
import com.google.common.collect.testing.SampleElements;
import com.google.common.collect.testing.TestSortedMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.Feature;
import com.google.common.collect.testing.features.MapFeature;
import com.google.common.collect.testing.testers.MapEntrySetTester;
import junit.framework.TestFailure;
import junit.framework.TestResult;
import junit.framework.TestSuite;

import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.Supplier;

/**
 * Runs guava-testlib's {@link ConcurrentNavigableMapTestSuiteBuilder} (tens of thousands of
 * JUnit 3 cases covering the map, its views and their sub-views) against any
 * {@code ConcurrentNavigableMap<Integer, Integer>} from inside one JUnit 5 test, collecting the
 * results into a {@link TestResult} (running the suite through the vintage engine instead is
 * about a hundred times slower).
 *
 * <p>As Guava does for {@link java.util.concurrent.ConcurrentSkipListMap}, the four
 * {@link MapEntrySetTester} cases that call {@code Entry.setValue} are suppressed: the contract
 * hands out immutable entry snapshots.
 */
public final class GuavaSuites {

    private GuavaSuites() {
    }

    /** The outcome of one suite run. */
    public static final class Outcome {
        /** How many test cases ran. */
        public final int runCount;
        /** A readable list of the failures and errors, empty on success. */
        public final String failures;
        /** How many failed or erred. */
        public final int failureCount;

        Outcome(int runCount, int failureCount, String failures) {
            this.runCount = runCount;
            this.failureCount = failureCount;
            this.failures = failures;
        }
    }

    /**
     * Builds and runs the suite.
     *
     * @param name the suite's name
     * @param comparatorOrNull the order the maps use ({@code null}: natural); the factory must make
     *     maps with exactly this comparator
     * @param factory makes an empty map
     * @return the outcome
     */
    public static Outcome run(String name, Comparator<? super Integer> comparatorOrNull,
                              Supplier<? extends ConcurrentNavigableMap<Integer, Integer>> factory) {
        boolean serializable = factory.get() instanceof Serializable;
        List<Feature<?>> features = new ArrayList<>(List.of(MapFeature.GENERAL_PURPOSE,
                CollectionFeature.SUPPORTS_ITERATOR_REMOVE, CollectionFeature.KNOWN_ORDER, CollectionSize.ANY));
        if (serializable) {
            features.add(CollectionFeature.SERIALIZABLE);
        }
        TestSuite suite = ConcurrentNavigableMapTestSuiteBuilder
                .using(new IntMapGenerator(comparatorOrNull, factory))
                .named(name)
                .withFeatures(features)
                .suppressing(MapEntrySetTester.getSetValueMethod(),
                        MapEntrySetTester.getSetValueWithNullValuesAbsentMethod(),
                        MapEntrySetTester.getSetValueWithNullValuesPresentMethod(),
                        MapEntrySetTester.getIteratorSetValueAndRemove())
                .createTestSuite();
        TestResult result = new TestResult();
        suite.run(result);
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        shown = describe(result.failures(), sb, shown);
        describe(result.errors(), sb, shown);
        return new Outcome(result.runCount(), result.failureCount() + result.errorCount(), sb.toString());
    }

    private static int describe(Enumeration<TestFailure> failures, StringBuilder sb, int shown) {
        while (failures.hasMoreElements()) {
            TestFailure f = failures.nextElement();
            if (shown++ >= 40) {
                continue;
            }
            StringWriter trace = new StringWriter();
            f.thrownException().printStackTrace(new PrintWriter(trace));
            String t = trace.toString();
            sb.append("\n* ").append(f.failedTest()).append("\n  ")
                    .append(t.substring(0, Math.min(t.length(), 600)).replace("\n", "\n  "));
        }
        return shown;
    }

    /** Integer keys 10..50 with values 1..5 as the samples, ordered by the given comparator. */
    private static final class IntMapGenerator implements TestSortedMapGenerator<Integer, Integer> {

        private final Comparator<? super Integer> comparator;
        private final Supplier<? extends ConcurrentNavigableMap<Integer, Integer>> factory;

        IntMapGenerator(Comparator<? super Integer> comparator,
                        Supplier<? extends ConcurrentNavigableMap<Integer, Integer>> factory) {
            this.comparator = comparator;
            this.factory = factory;
        }

        private boolean reversed() {
            return comparator != null && comparator.compare(1, 2) > 0;
        }

        private static Map.Entry<Integer, Integer> e(int k, int v) {
            return new AbstractMap.SimpleImmutableEntry<>(k, v);
        }

        @Override
        public SampleElements<Map.Entry<Integer, Integer>> samples() {
            return new SampleElements<>(e(10, 1), e(20, 2), e(30, 3), e(40, 4), e(50, 5));
        }

        @Override
        public SortedMap<Integer, Integer> create(Object... entries) {
            ConcurrentNavigableMap<Integer, Integer> m = factory.get();
            for (Object o : entries) {
                @SuppressWarnings("unchecked")
                Map.Entry<Integer, Integer> en = (Map.Entry<Integer, Integer>) o;
                m.put(en.getKey(), en.getValue());
            }
            return m;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Map.Entry<Integer, Integer>[] createArray(int length) {
            return new Map.Entry[length];
        }

        @Override
        public Iterable<Map.Entry<Integer, Integer>> order(List<Map.Entry<Integer, Integer>> insertionOrder) {
            List<Map.Entry<Integer, Integer>> sorted = new ArrayList<>(insertionOrder);
            Comparator<Integer> c = comparator == null ? Comparator.naturalOrder() : (Comparator<Integer>) comparator::compare;
            sorted.sort(Map.Entry.comparingByKey(c));
            return sorted;
        }

        @Override
        public Integer[] createKeyArray(int length) {
            return new Integer[length];
        }

        @Override
        public Integer[] createValueArray(int length) {
            return new Integer[length];
        }

        @Override
        public Map.Entry<Integer, Integer> belowSamplesLesser() {
            return reversed() ? e(70, 7) : e(1, 7);
        }

        @Override
        public Map.Entry<Integer, Integer> belowSamplesGreater() {
            return reversed() ? e(60, 6) : e(2, 6);
        }

        @Override
        public Map.Entry<Integer, Integer> aboveSamplesLesser() {
            return reversed() ? e(2, 8) : e(60, 8);
        }

        @Override
        public Map.Entry<Integer, Integer> aboveSamplesGreater() {
            return reversed() ? e(1, 9) : e(70, 9);
        }
    }

}
