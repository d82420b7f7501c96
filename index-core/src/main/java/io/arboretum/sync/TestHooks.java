package io.arboretum.sync;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Seeded faults and structure-change counters for the test suites; inert in production.
 *
 * <p><b>Not for applications.</b> This class exists so that the project's own tests can prove
 * that its linearizability checks fail on a broken index (a <em>seeded fault</em>: a realistic
 * mistake such as a skipped validation, compiled into the real index and switched on only in
 * tests), and can measure how often a test scenario really splits or merges nodes.
 *
 * <p><b>Why it costs nothing in production.</b> Every hook in an index is written as
 * <pre>{@code
 *   if (TestHooks.ENABLED && TestHooks.faultActive(SKIP_LEAF_VALIDATION)) { ... }
 *   if (TestHooks.ENABLED) TestHooks.recordEvent(TestHooks.SPLIT);
 * }</pre>
 * {@link #ENABLED} is a {@code static final} field read once, when this class is initialized,
 * from the system property {@value #PROPERTY}. The JIT treats a static final field as a constant,
 * so with the property unset (the default) each hook folds to nothing and the compiled code is the
 * code without it. The benchmarks guide shows the JMH measurement.
 *
 * <p><b>How tests use it.</b> A test JVM started with {@code -Darboretum.testHooks=true} may
 * {@link #activateFault(String) activate} one declared fault at a time, run a check that must
 * fail, and {@link #clearFault() clear} it. Fault names are declared by the index that contains
 * them ({@link #declareFault(String, String)}, from its static initializer), so a test can list
 * every fault of every loaded index and insist that each is caught. Names are
 * {@code family.operation.mistake}, for instance {@code btree.get.skipLeafValidation}.
 *
 * <p>The structure counters ({@link #recordEvent(String)}) count events such as {@link #SPLIT}
 * and {@link #MERGE} JVM-wide; tests read them before and after a scenario.
 */
public final class TestHooks {
    /** The system property that enables the hooks: {@code -Darboretum.testHooks=true}. */
    public static final String PROPERTY = "arboretum.testHooks";

    /**
     * True only in a JVM started with {@value #PROPERTY} set to {@code true}. Read once; a
     * constant to the JIT, so hooks guarded by it are free when it is false.
     */
    public static final boolean ENABLED = Boolean.getBoolean(PROPERTY);

    /** Event name: a node split. */
    public static final String SPLIT = "split";
    /** Event name: two nodes merged into one. */
    public static final String MERGE = "merge";
    /** Event name: entries moved between two siblings without merging them. */
    public static final String REDISTRIBUTE = "redistribute";

    /** Every declared fault, name to description, across all index families. */
    private static final Map<String, String> FAULTS = new ConcurrentHashMap<>();
    /** Counters of structure events, by event name. */
    private static final Map<String, AtomicLong> EVENTS = new ConcurrentHashMap<>();
    /**
     * The active fault, or null. Volatile so a fault switched on by the test thread is seen by
     * the worker threads that a check starts afterwards (thread start orders it anyway; the
     * volatile keeps the rule simple for stress runs whose threads already exist).
     */
    private static volatile String active;

    private TestHooks() {
    }

    /**
     * Declares a seeded fault. Called by an index class's static initializer for each fault its
     * code contains; declaring the same name twice keeps the first description.
     *
     * @param name        the fault's name, {@code family.operation.mistake}
     * @param description one sentence: what the faulty code does wrong
     * @return {@code name}, so a declaration can initialize the constant that the hook tests
     */
    public static String declareFault(String name, String description) {
        if (name == null || name.isEmpty() || description == null) {
            throw new IllegalArgumentException("a fault needs a non-empty name and a description");
        }
        FAULTS.putIfAbsent(name, description);
        return name;
    }

    /**
     * The faults declared so far by the index classes that have been initialized, sorted by name.
     *
     * @return an unmodifiable map from fault name to its description
     */
    public static Map<String, String> declaredFaults() {
        return Collections.unmodifiableMap(new TreeMap<>(FAULTS));
    }

    /**
     * Switches one declared fault on (and any other off).
     *
     * @param name a declared fault
     * @throws IllegalStateException    if the JVM was not started with {@value #PROPERTY}
     * @throws IllegalArgumentException if no loaded index declared {@code name}
     */
    public static void activateFault(String name) {
        if (!ENABLED) {
            throw new IllegalStateException("seeded faults need a JVM started with -D" + PROPERTY + "=true");
        }
        if (!FAULTS.containsKey(name)) {
            throw new IllegalArgumentException("unknown fault '" + name + "'; declared: " + declaredFaults().keySet());
        }
        active = name;
    }

    /** Switches every fault off. */
    public static void clearFault() {
        active = null;
    }

    /**
     * Whether {@code name} is the active fault. Call it only behind {@link #ENABLED}.
     *
     * @param name the fault's name
     * @return true if the hook for {@code name} should take the faulty path
     */
    public static boolean faultActive(String name) {
        String a = active;
        return a != null && a.equals(name);
    }

    /**
     * Counts one structure event. Call it only behind {@link #ENABLED}.
     *
     * @param event an event name, such as {@link #SPLIT}
     */
    public static void recordEvent(String event) {
        EVENTS.computeIfAbsent(event, e -> new AtomicLong()).incrementAndGet();
    }

    /**
     * How many times {@code event} was recorded in this JVM.
     *
     * @param event an event name, such as {@link #SPLIT}
     * @return the count, zero if never recorded
     */
    public static long eventCount(String event) {
        AtomicLong c = EVENTS.get(event);
        return c == null ? 0L : c.get();
    }
}
