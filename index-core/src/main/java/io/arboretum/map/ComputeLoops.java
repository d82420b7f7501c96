package io.arboretum.map;

import java.util.Objects;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The compute family as retry loops over a map's conditional writes ({@code get},
 * {@code putIfAbsent}, {@code replace(k, old, new)}, {@code remove(k, old)}), shared by
 * {@link AbstractIndexMap} and its sub-map views.
 *
 * <p>The user's function always runs outside every latch: each loop reads the current value,
 * calls the function, then tries to install the result with a conditional write that succeeds
 * only if the value is still the one the function saw (compared with {@code equals}). On
 * failure it reads again and calls the function again, so the function may run more than once.
 * Each operation is linearizable at its successful conditional write. An exception from the
 * function leaves the loop before any write of that round, so the map is unchanged by the call.
 */
final class ComputeLoops {

    private ComputeLoops() {
    }

    static <K, V> V computeIfAbsent(ConcurrentMap<K, V> m, K key, Function<? super K, ? extends V> fn) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(fn, "null mapping function");
        V v = m.get(key);
        if (v == null) {
            V r = fn.apply(key);
            if (r != null) {
                V p = m.putIfAbsent(key, r);
                // Another thread's value wins a lost race, exactly as ConcurrentMap documents.
                v = (p == null) ? r : p;
            }
        }
        return v;
    }

    static <K, V> V computeIfPresent(ConcurrentMap<K, V> m, K key,
                                     BiFunction<? super K, ? super V, ? extends V> fn) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(fn, "null remapping function");
        for (;;) {
            V v = m.get(key);
            if (v == null) {
                return null;
            }
            V r = fn.apply(key, v);
            if (r == null) {
                if (m.remove(key, v)) {
                    return null;
                }
            } else if (m.replace(key, v, r)) {
                return r;
            }
            // The value changed between get and the conditional write: read it again.
        }
    }

    static <K, V> V compute(ConcurrentMap<K, V> m, K key,
                            BiFunction<? super K, ? super V, ? extends V> fn) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(fn, "null remapping function");
        for (;;) {
            V v = m.get(key);
            V r = fn.apply(key, v);
            if (r == null) {
                if (v == null || m.remove(key, v)) {
                    return null;
                }
            } else if (v == null) {
                if (m.putIfAbsent(key, r) == null) {
                    return r;
                }
            } else if (m.replace(key, v, r)) {
                return r;
            }
        }
    }

    static <K, V> V merge(ConcurrentMap<K, V> m, K key, V value,
                          BiFunction<? super V, ? super V, ? extends V> fn) {
        Objects.requireNonNull(key, "null key");
        Objects.requireNonNull(value, "null value");
        Objects.requireNonNull(fn, "null remapping function");
        for (;;) {
            V v = m.get(key);
            if (v == null) {
                if (m.putIfAbsent(key, value) == null) {
                    return value;
                }
            } else {
                V r = fn.apply(v, value);
                if (r == null) {
                    if (m.remove(key, v)) {
                        return null;
                    }
                } else if (m.replace(key, v, r)) {
                    return r;
                }
            }
        }
    }
}
