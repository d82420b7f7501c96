/**
 * The contract test kit every Arboretum index runs.
 *
 * <p>To check an index, add three small subclasses in its test package, each implementing
 * {@code newMap(comparatorOrNull, nodeCapacity)} (0 means the default capacity) and, where the
 * index has one, overriding {@code checkInvariants(map)}:
 * <ul>
 *   <li>{@link io.arboretum.testkit.NavigableMapContractTests}: every method of the contract,
 *       the views and nested views, bad input and failing callbacks, compared with
 *       {@link java.util.TreeMap};</li>
 *   <li>{@link io.arboretum.testkit.GuavaSuiteTests}: guava-testlib's
 *       {@code ConcurrentNavigableMapTestSuiteBuilder}, natural order and a custom comparator;</li>
 *   <li>{@link io.arboretum.testkit.WeakConsistencyStressTests}: iterators and views under
 *       concurrent churn, and the compute family under contention.</li>
 * </ul>
 * {@link io.arboretum.testkit.GuavaSuites} and {@link io.arboretum.testkit.WeakConsistencyStress}
 * can also be called directly. System properties: {@code arboretum.test.scale} (sizes and
 * durations), {@code arboretum.test.seed} (replays a reported seed).
 * {@link io.arboretum.testkit.LockedTreeIndex} is a lock-based reference index used to test the
 * kit and {@link io.arboretum.map.AbstractIndexMap}'s view layer without a real index.
 * {@link io.arboretum.testkit.HookedJvm} runs seeded-fault probes in a forked JVM with the test
 * hooks on.
 */
package io.arboretum.testkit;
