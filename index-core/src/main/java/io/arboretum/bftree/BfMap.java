package io.arboretum.bftree;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.map.AbstractIndexMap;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;

/**
 * A typed {@link java.util.concurrent.ConcurrentNavigableMap} view of a {@link BfTree}, made by
 * {@link BfTree#asMap}: keys through a {@link KeyEncoder} (whose byte order is its key order),
 * values through a {@link ValueCodec}. Every write is a write to the tree, durable when it
 * returns in {@link Durability#SYNC} mode; the view lives as long as the tree is open, and
 * closing the tree is the caller's business (the view is not {@code AutoCloseable}).
 *
 * <pre>{@code
 * try (BfTree t = BfTree.open(dir, config)) {
 *     BfMap<Long, String> m = t.asMap(KeyEncoders.longs(), ValueCodec.strings());
 *     m.put(42L, "answer");
 *     m.subMap(10L, 100L).forEach((k, v) -> ...);
 * }
 * }</pre>
 *
 * <h2>Implementation essay</h2>
 *
 * <h3>Structure</h3>
 * Nothing but a translation: {@code K -> encode -> byte[]} on the way in, {@code byte[] ->
 * decode -> K} on the way out, the same for values through the codec. The map extends
 * {@link AbstractIndexMap} (so sub-map, descending and key-set views, iterators, the compute
 * family and the Kotlin flows come from {@code io.arboretum.map}) and supplies its primitives
 * from the tree's: point operations are the tree's, {@code findNear} and {@code pollInRange} its
 * first-entry search (with removal for the polls), {@code copyBatch} a tree cursor.
 *
 * <h3>Range bounds</h3>
 * The tree's cursors take {@code [from, to)}. An exclusive lower bound {@code k} and an inclusive
 * upper bound {@code k} become {@code k + 0x00}: in unsigned lexicographic order no byte string
 * lies strictly between {@code k} and {@code k + 0x00}, so {@code > k} is {@code >= k + 0x00}
 * and {@code <= k} is {@code < k + 0x00}.
 *
 * <h3>Navigation and polls</h3>
 * {@code findNear} (every {@code ceiling}, {@code lower}, {@code first}, ... form, and
 * {@code isEmpty}) and {@code pollInRange} are {@link BfTree}'s first-entry search of the range
 * in its direction, which walks leaf by leaf from the near end and validates the leaves it passed
 * while it holds the answer's leaf (a poll removes the entry in that same step, under the leaf's
 * exclusive latch). See "Navigation" in {@link BfTree}'s essay.
 *
 * <h3>What is linearizable</h3>
 * <ul>
 *   <li>{@code get}, {@code containsKey}, {@code put}, {@code putIfAbsent}, both {@code replace}
 *       and both {@code remove}: one key, one leaf, decided and applied under its exclusive latch
 *       (reads under its shared latch); linearizable.</li>
 *   <li>The compute family: linearizable at its last conditional write (see
 *       {@link AbstractIndexMap}).</li>
 *   <li>Navigation ({@code ceilingKey}, {@code firstEntry}, {@code lowerEntry}, ...),
 *       {@code isEmpty} and the polls: linearizable, also when the answer lies beyond leaves
 *       emptied by deletes (see above).</li>
 *   <li>{@code size()}, {@code clear()}, iterators, {@code containsValue}, {@code equals},
 *       {@code hashCode}, {@code toString}: weakly consistent, as for the in-memory maps.
 *       {@code size()} counts by scanning (it reads every leaf, from disk if need be), and
 *       {@code clear()} deletes the keys its scan sees, one logged delete each.</li>
 * </ul>
 *
 * <h3>Memory model notes</h3>
 * The view has no mutable state of its own (its lazily built views are benign races, see
 * {@link AbstractIndexMap}); every happens-before edge is the tree's (leaf latches, the inner
 * index's publication). The bytes handed to the tree are copied by it before it takes a latch,
 * and the bytes it returns are copies, so a codec may keep or reuse them.
 *
 * <h3>Notation</h3>
 * {@code k}/{@code v} typed key and value, {@code kb}/{@code vb} their bytes, {@code f}/{@code t}
 * the encoded range bounds, {@code c} a tree cursor.
 *
 * <p>Bad input: a null key or value throws {@link NullPointerException}; a key of another type
 * (or one the encoder's comparator refuses) throws {@link ClassCastException}; a key whose
 * encoding is over {@link BfTreeConfig#maxKeySize()} or a value whose encoding is over
 * {@link BfTreeConfig#maxValueSize()} throws {@link IllegalArgumentException} naming the limit,
 * and nothing is written.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public final class BfMap<K, V> extends AbstractIndexMap<K, V> {
    private final BfTree tree;
    private final KeyEncoder<K> keys;
    private final ValueCodec<V> values;

    BfMap(BfTree tree, KeyEncoder<K> keys, ValueCodec<V> values) {
        this.tree = tree;
        this.keys = keys;
        this.values = values;
    }

    /**
     * The tree this map is a view of.
     *
     * @return the tree
     */
    public BfTree tree() {
        return tree;
    }

    // ------------------------------------------------------------------ encoding

    private byte[] kb(Object k) {
        Objects.requireNonNull(k, "null key");
        return keys.encode(keys.keyType().cast(k)); // a key of another type: ClassCastException here
    }

    private byte[] vb(Object v) {
        Objects.requireNonNull(v, "null value");
        return values.encode(values.valueType().cast(v));
    }

    private V value(byte[] vb) {
        return vb == null ? null : values.decode(vb);
    }

    private Map.Entry<K, V> entry(byte[] kb, byte[] vb) {
        return new SimpleImmutableEntry<>(keys.decode(kb), values.decode(vb));
    }

    /** The tree's inclusive lower bound for a lower bound {@code f} (null: none): see "Range bounds". */
    private static byte[] from(byte[] f, boolean inclusive) {
        return f == null || inclusive ? f : successor(f);
    }

    /** The tree's exclusive upper bound for an upper bound {@code t} (null: none): see "Range bounds". */
    private static byte[] to(byte[] t, boolean inclusive) {
        return t == null || !inclusive ? t : successor(t);
    }

    /** The least byte string greater than {@code kb}: see "Range bounds". */
    private static byte[] successor(byte[] kb) {
        return Arrays.copyOf(kb, kb.length + 1);
    }

    // ------------------------------------------------------------------ point operations

    /** {@inheritDoc} Linearizable. */
    @Override
    public V get(Object key) {
        return value(tree.get(kb(key)));
    }

    /** {@inheritDoc} Linearizable; durable when it returns in SYNC mode. */
    @Override
    public V put(K key, V value) {
        byte[] kb = kb(key);
        return value(tree.put(kb, vb(value)));
    }

    /** {@inheritDoc} Linearizable; durable when it returns null in SYNC mode. */
    @Override
    public V putIfAbsent(K key, V value) {
        byte[] kb = kb(key);
        return value(tree.putIfAbsent(kb, vb(value)));
    }

    /** {@inheritDoc} Linearizable; compares encodings (see {@link ValueCodec}). */
    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        byte[] kb = kb(key);
        byte[] nb = vb(newValue);
        Objects.requireNonNull(oldValue, "null oldValue");
        if (!values.valueType().isInstance(oldValue)) {
            return false; // no value of another type can be present
        }
        return tree.replace(kb, values.encode(oldValue), nb);
    }

    /** {@inheritDoc} Linearizable. */
    @Override
    public V replace(K key, V value) {
        byte[] kb = kb(key);
        return value(tree.replace(kb, vb(value)));
    }

    /** {@inheritDoc} Linearizable. */
    @Override
    public V remove(Object key) {
        return value(tree.delete(kb(key)));
    }

    /** {@inheritDoc} Linearizable; compares encodings (see {@link ValueCodec}). */
    @Override
    public boolean remove(Object key, Object value) {
        byte[] kb = kb(key);
        Objects.requireNonNull(value, "null value");
        if (!values.valueType().isInstance(value)) {
            return false;
        }
        return tree.delete(kb, values.encode(values.valueType().cast(value)));
    }

    /**
     * The number of entries, counted by a weakly consistent scan of the whole tree (every leaf is
     * read, from disk if it is not in memory). Prefer {@link #isEmpty()} to {@code size() == 0}.
     *
     * @return the count the scan saw, at most {@link Integer#MAX_VALUE}
     */
    @Override
    public int size() {
        long n = 0;
        try (BfCursor c = tree.cursor(null, null)) {
            while (c.next()) {
                n++;
            }
        }
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /**
     * Removes every entry the scan sees (weakly consistent: a key inserted behind the scan
     * stays); each removal is a logged delete.
     */
    @Override
    public void clear() {
        try (BfCursor c = tree.cursor(null, null)) {
            while (c.next()) {
                tree.delete(c.key(), c.value());
            }
        }
    }

    /**
     * The key order: the encoder's comparator ({@code null} for natural ordering).
     *
     * @return the comparator, or null
     */
    @Override
    public Comparator<? super K> comparator() {
        return keys.comparator();
    }

    // ------------------------------------------------------------------ primitives

    @Override
    protected Map.Entry<K, V> findNear(K key, int relation) {
        byte[] kb = key == null ? null : kb(key);
        byte[][] e;
        switch (relation) {
            case GE:
                e = first(kb, true, null, false, false, false);
                break;
            case GT:
                e = first(kb, false, null, false, false, false);
                break;
            case LE:
                e = first(null, false, kb, true, true, false);
                break;
            default: // LT
                e = first(null, false, kb, false, true, false);
                break;
        }
        return e == null ? null : entry(e[0], e[1]);
    }

    /**
     * The first entry of a range in its direction, through {@link BfTree#firstEntry}
     * (linearizable); with {@code remove}, removed in the same step.
     */
    private byte[][] first(byte[] f, boolean fInc, byte[] t, boolean tInc, boolean descending, boolean remove) {
        return tree.firstEntry(from(f, fInc), to(t, tInc), descending, remove);
    }

    private BfCursor cursor(byte[] f, boolean fInc, byte[] t, boolean tInc, boolean descending) {
        byte[] from = from(f, fInc);
        byte[] to = to(t, tInc);
        return descending ? tree.descendingCursor(from, to) : tree.cursor(from, to);
    }

    @Override
    protected Map.Entry<K, V> pollInRange(K lo, boolean loInclusive, K hi, boolean hiInclusive, boolean highest) {
        byte[] f = lo == null ? null : kb(lo);
        byte[] t = hi == null ? null : kb(hi);
        byte[][] e = first(f, loInclusive, t, hiInclusive, highest, true);
        return e == null ? null : entry(e[0], e[1]);
    }

    /**
     * Copies the next entries of a range in order through one tree cursor. Weakly consistent, as
     * {@link io.arboretum.map.BatchScannable} allows: each leaf is copied under its shared latch,
     * one leaf at a time.
     */
    @Override
    public int copyBatch(K from, boolean fromInclusive, K to, boolean toInclusive, boolean descending,
                         Object[] keyOut, Object[] valueOut) {
        Objects.requireNonNull(keyOut, "keys");
        Objects.requireNonNull(valueOut, "values");
        if (keyOut.length == 0 || valueOut.length < keyOut.length) {
            throw new IllegalArgumentException("keys must be non-empty and values at least as long, were "
                    + keyOut.length + " and " + valueOut.length);
        }
        byte[] f = from == null ? null : kb(from);
        byte[] t = to == null ? null : kb(to);
        int n = 0;
        try (BfCursor c = cursor(f, fromInclusive, t, toInclusive, descending)) {
            while (n < keyOut.length && c.next()) {
                keyOut[n] = keys.decode(c.key());
                valueOut[n] = values.decode(c.value());
                n++;
            }
        }
        return n;
    }

    /** Test support: the tree's structural invariants. */
    void checkInvariants() {
        tree.checkInvariants();
    }
}
