package io.arboretum.pma;

import static io.arboretum.pma.PackedMemoryArrayMap.RESTART;
import static io.arboretum.pma.PackedMemoryArrayMap.RETRY_CMP;
import static io.arboretum.pma.PackedMemoryArrayMap.cmpCell;
import static io.arboretum.pma.PackedMemoryArrayMap.cmpFirst;
import static io.arboretum.pma.PackedMemoryArrayMap.find;
import static io.arboretum.pma.PackedMemoryArrayMap.locate;
import static io.arboretum.pma.PackedMemoryArrayMap.prefixOf;

import io.arboretum.map.BatchCursor;
import io.arboretum.map.CodedEntry;
import io.arboretum.sync.HybridLatch;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongFunction;

/**
 * The scan of a {@link PackedMemoryArrayMap}, behind every one: the map's {@code openCursor}
 * (iterators of the map and its views, range flows) and {@link PackedMemoryArrayMap#copyBatch},
 * which is one batch of a cursor copying into the caller's arrays. Between batches the cursor
 * keeps its place in the array instead of searching the index again, and in exact mode it keeps
 * the batch's keys as the {@code long}s the array holds, building a key object only when
 * {@link #key} or an entry's {@code getKey()} ({@link CodedEntry}) asks for one.
 *
 * <p><b>Place.</b> The store (one generation of the array) it last read, a segment {@code j} of
 * it, and what is known about {@code j}, one of:
 * <ul>
 *   <li>{@code FIND}: nothing; the cursor has no place (before the first batch, or after losing
 *       it) and searches the current store for the owner of the <em>resume key</em>: the last key
 *       it returned (exclusive) or, before any, the range's start bound;</li>
 *   <li>{@code OWNER}: {@code j} is what that search answered, which may be stale by the time
 *       {@code j} is read: the read of {@code j} must itself show that {@code j} owns the resume
 *       key, both sides, as the map's search walk does, and steps back or forward if not;</li>
 *   <li>{@code IN}: the last batch ended inside {@code j}, before position {@code pos}; the
 *       position holds while {@code j} is still at version {@code segV}, the one that read
 *       validated at;</li>
 *   <li>{@code NEXT}: {@code j} is the next segment in scan order, to be read whole; the segment
 *       before it, {@code prev}, was read through its end at version {@code prevV}.</li>
 * </ul>
 *
 * <p><b>One batch</b> ({@link #advance()}; the direction is fixed per cursor), segment by segment
 * until the batch is full or the range ends:
 * <ol>
 *   <li>{@code FIND}: load the store (acquire) and find the resume key's owner ({@code locate});
 *       with no resume key (an unbounded start and nothing returned yet), the first or last
 *       segment, read whole.</li>
 *   <li>Read {@code j} in one optimistic read: its count; the first position to copy
 *       ({@code OWNER}: after the resume key, by binary search, once the same read has shown
 *       ownership; {@code IN}: {@code pos}, if the version read is still {@code segV};
 *       {@code NEXT}: the segment's first entry in scan order); then its run, cell by cell, up to
 *       the batch's capacity or the first key past the range's far bound. Validate {@code j}, and
 *       in {@code NEXT} validate {@code prev} too, so that no entry can have moved between the two
 *       unseen.</li>
 *   <li>Validated: the run joins the batch. A batch that filled inside {@code j} leaves the place
 *       {@code IN j}; a run that reached {@code j}'s end leaves it {@code NEXT j + 1} (descending:
 *       {@code j - 1}) with {@code prev = j}.</li>
 *   <li>Only {@code j} failed to validate: read {@code j} again (the place still holds:
 *       {@code prev}, if any, is checked after the new read). {@code prev} failed, {@code j}'s
 *       version is no longer {@code segV}, or a latch is obsolete (a resize or {@code clear}
 *       replaced the store): the place is lost; {@code FIND} again, from the last key returned,
 *       exactly as a new {@code copyBatch} call resumes.</li>
 * </ol>
 * Batches start at {@link #FIRST_BATCH} entries and double up to the caller's maximum, as
 * {@code CopyingCursor}'s do, so a short scan copies little. {@code copyBatch} copies one batch
 * as long as the caller's arrays.
 *
 * <p><b>Why it keeps {@link BatchCursor}'s guarantees</b> (the arguments of the map's class notes,
 * "Scans", stretched across calls). Each entry handed out was read in a segment read validated
 * during the same {@code advance()} call, so it was present at that validation's instant (the
 * store was current then: a resize latches every segment of the old store before it publishes the
 * new one). Keys are strictly ordered and never repeat: within a run by the array's order; an
 * {@code IN} read goes on after {@code pos} in cells that did not change since the read that
 * stopped there, so the two reads are one read of the segment, made in two parts; a {@code NEXT}
 * read's keys are all beyond {@code prev}'s, which was unchanged over the whole read; a
 * {@code FIND} starts strictly after the last key returned, in a segment whose own read showed it
 * owns that key. An entry present for the whole scan is returned: consecutive segments are seen
 * at one instant with both unchanged, and while a segment is unchanged no entry crosses its edges
 * (entries move between segments only under the latches of a whole window); a segment that did
 * change is never trusted to still hold the place, and the search after it starts from the last
 * key returned.
 *
 * <p><b>Untrusted reads.</b> Everything read under an optimistic version is untrusted until that
 * version validates: the count is bounds-checked before it bounds a loop, a null key cell (a cell
 * being shifted) restarts the read, a comparator's exception is rethrown only if the read
 * validates, and nothing read is handed out (the batch's count is not raised, the resume key not
 * moved) before validation. The cursor takes no latch, so nothing is left latched when a
 * comparator's exception propagates; it keeps references only to its store and its batch.
 *
 * <p>Notation as in {@link PackedMemoryArrayMap}: {@code st} the store, {@code j} the segment read,
 * {@code v} a version, {@code x} a position in a segment, {@code cnt} its count, {@code kp} a key's
 * prefix (exact mode); here also {@code got} the entries of the batch including the run being
 * read.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
final class PmaCursor<K, V> implements BatchCursor<K, V> {

    /** The size of the first batch (unless the caller's maximum is smaller); later ones double. */
    static final int FIRST_BATCH = 16;

    /** Place: none; search the current store for the resume key's owner. */
    private static final int FIND = 0;
    /** Place: {@code j} as a search answered it; its read must show that it owns the resume key. */
    private static final int OWNER = 1;
    /** Place: inside {@code j}, at {@code pos}, while {@code j} is at {@code segV}. */
    private static final int IN = 2;
    /** Place: {@code j} is next, to be read whole; {@code prev} was read through its end at {@code prevV}. */
    private static final int NEXT = 3;

    private final PackedMemoryArrayMap<K, V> map;
    private final boolean descending;
    /** Where the scan starts (the upper bound if descending), or null for the array's end. */
    private final Object start;
    private final boolean startInclusive;
    /** Where the scan stops (the lower bound if descending), or null. */
    private final Object end;
    private final boolean endInclusive;
    private final int maxBatch;

    /** The codec {@link #sp} and {@link #ep} were computed for; null before the first store. */
    private Codec codec;
    /** The prefixes of {@link #start} and {@link #end} (exact mode). */
    private long sp;
    private long ep;
    /** Rebuilds a key from its prefix (exact mode), for the batch's entries ({@link CodedEntry}). */
    private LongFunction<K> decoder;

    // The batch: keys as prefixes in codes (exact mode) or as objects in keys, and values.
    private long[] codes;
    private Object[] keys;
    private Object[] vals;
    private int cap;
    private int count;
    /**
     * Written by {@link #prefetchValues()} so that its loads have a use and stay in the compiled
     * code; never read.
     */
    @SuppressWarnings("unused")
    private int prefetched;
    /** Slots written since the batch arrays were last cleared, validated or not. */
    private int written;

    // The place.
    private int place = FIND;
    private Store st;
    private int j;
    private int pos;
    private long segV;
    private HybridLatch prev;
    private long prevV;
    /** Whether a key was returned: then the resume key is lastP (exact) or lastK (objects). */
    private boolean hasLast;
    private long lastP;
    private Object lastK;
    private boolean done;

    /**
     * A cursor over a range, opened by the map's {@code openCursor}: batches of its own, the first
     * of {@link #FIRST_BATCH} entries (or {@code maxBatch}, if smaller).
     */
    PmaCursor(PackedMemoryArrayMap<K, V> map, Object lo, boolean loInclusive, Object hi, boolean hiInclusive,
              boolean descending, int maxBatch) {
        this(map, lo, loInclusive, hi, hiInclusive, descending, maxBatch, Math.min(FIRST_BATCH, maxBatch));
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
    }

    private PmaCursor(PackedMemoryArrayMap<K, V> map, Object lo, boolean loInclusive, Object hi, boolean hiInclusive,
                      boolean descending, int maxBatch, int cap) {
        this.map = map;
        this.descending = descending;
        this.start = descending ? hi : lo;
        this.startInclusive = descending ? hiInclusive : loInclusive;
        this.end = descending ? lo : hi;
        this.endInclusive = descending ? loInclusive : hiInclusive;
        this.maxBatch = maxBatch;
        this.cap = cap;
    }

    /**
     * {@link PackedMemoryArrayMap#copyBatch}: one batch, as long as {@code keys}, copied straight
     * into the caller's arrays (exact keys through a {@code long[]}, decoded once validated).
     *
     * @return the number of entries copied
     */
    static <K, V> int copyBatch(PackedMemoryArrayMap<K, V> map, Object from, boolean fromInclusive, Object to,
                                boolean toInclusive, boolean descending, Object[] keys, Object[] values) {
        return copyOnce(new PmaCursor<>(map, from, fromInclusive, to, toInclusive, descending, keys.length,
                keys.length), keys, values, -1);
    }

    /**
     * One batch as {@link #copyBatch} makes it, on the current store, but as if the search had
     * answered segment {@code j} (for tests: to replay a search answer that a write made stale
     * before the scan's first read of the segment).
     */
    static <K, V> int copyFromSegmentForTest(PackedMemoryArrayMap<K, V> map, int j, Object from,
                                             boolean fromInclusive, Object to, boolean toInclusive,
                                             boolean descending, Object[] keys, Object[] values) {
        return copyOnce(new PmaCursor<>(map, from, fromInclusive, to, toInclusive, descending, keys.length,
                keys.length), keys, values, j);
    }

    private static int copyOnce(PmaCursor<?, ?> c, Object[] keys, Object[] values, int j) {
        c.keys = keys;
        c.vals = values;
        if (j >= 0) {
            Store s = c.map.storeAcquire();
            Objects.checkIndex(j, s.segCount);
            if (c.ready(s)) {
                c.placeAt(s, j);
            }
        }
        int n = c.advance();
        if (c.codes != null) {
            for (int i = 0; i < n; i++) {
                keys[i] = c.codec.decode(c.codes[i]);
            }
        }
        return n;
    }

    @Override
    public int advance() {
        // Drop the previous batch's references first, so nothing stale stays if this throws.
        if (written > 0) {
            if (keys != null) {
                Arrays.fill(keys, 0, written, null);
            }
            Arrays.fill(vals, 0, written, null);
            written = 0;
        }
        if (count > 0 && cap < maxBatch) {
            cap = (int) Math.min(2L * cap, maxBatch);
            if (vals != null) {
                allocate();
            }
        }
        count = 0;
        while (!done && count < cap) {
            if (place == FIND) {
                seek();
            } else {
                read();
            }
        }
        if (done) {
            st = null; // nothing more to read: let the array go
            prev = null;
        }
        return count;
    }

    @Override
    @SuppressWarnings("unchecked")
    public K key(int i) {
        return (K) (codes != null ? codec.decode(codes[i]) : keys[i]);
    }

    @Override
    @SuppressWarnings("unchecked")
    public V value(int i) {
        return (V) vals[i];
    }

    /**
     * Loads the header of every value of the batch in one loop, so that their cache misses
     * overlap instead of coming one per {@link #value} call (the values are objects the map only
     * refers to, scattered over the heap once it has aged). The batch's values were all read in a
     * validated copy, so this reads nothing shared.
     */
    @Override
    public void prefetchValues() {
        prefetched = BatchCursor.touchAll(vals, count); // stored, never read: a use for every load
    }

    /**
     * An immutable snapshot of entry {@code i}; in exact mode a {@link CodedEntry}, which builds
     * its key from the prefix only when asked for.
     */
    @Override
    @SuppressWarnings("unchecked")
    public Map.Entry<K, V> entry(int i) {
        return codes != null ? new CodedEntry<>(decoder, codes[i], (V) vals[i])
                : new SimpleImmutableEntry<>((K) keys[i], (V) vals[i]);
    }

    // ------------------------------------------------------------------ place

    /** New batch arrays of {@link #cap} slots, in the mode of the store last read. */
    private void allocate() {
        vals = new Object[cap];
        if (codes != null) {
            codes = new long[cap];
        } else {
            keys = new Object[cap];
        }
    }

    /**
     * Readies the cursor for {@code s}: the bounds' prefixes for its codec, batch arrays for its
     * mode. False, and the scan done, if {@code s} is the empty store of a natural-order map that
     * never held a key (whose bounds are checked as a put would check a key).
     *
     * @throws ClassCastException if a bound cannot be compared with the map's keys
     */
    @SuppressWarnings("unchecked")
    private boolean ready(Store s) {
        Codec c = s.codec;
        if (c.undecided) {
            if (start != null) {
                prefixOf(c, start);
            }
            if (end != null) {
                prefixOf(c, end);
            }
            done = true;
            return false;
        }
        if (c != codec) {
            // The codec is decided once and kept by every later store (resizes and clear copy it),
            // so this runs at the first store only, and the mode never changes after.
            sp = start == null ? 0L : prefixOf(c, start);
            ep = end == null ? 0L : prefixOf(c, end);
            codec = c;
            decoder = p -> (K) c.decode(p);
        }
        if (vals == null) {
            vals = new Object[cap];
        }
        if (s.lkeys != null) {
            if (codes == null) {
                codes = new long[cap];
            }
        } else if (keys == null) {
            keys = new Object[cap];
        }
        return true;
    }

    /**
     * {@code FIND}: loads the current store and searches it for the resume key's owner; with no
     * resume key, takes the first segment in scan order.
     */
    private void seek() {
        Store s = map.storeAcquire(); // acquire: the store's arrays are seen filled
        if (!ready(s)) {
            return;
        }
        int at;
        if (hasLast) {
            at = locate(s, lastK, lastP); // in exact mode lastK is null: the search compares prefixes
        } else if (start != null) {
            at = locate(s, start, sp);
        } else {
            at = descending ? s.segCount - 1 : 0;
        }
        if (at >= 0) { // else s went obsolete during the search: load the new store
            placeAt(s, at);
        }
    }

    /**
     * Places the cursor in segment {@code at} of {@code s} as the answer of a search for the
     * resume key ({@code OWNER}), or, with no resume key, at the segment to read whole first.
     */
    private void placeAt(Store s, int at) {
        st = s;
        j = at;
        place = hasLast || start != null ? OWNER : NEXT;
        prev = null;
    }

    /** Loses the place: the next step searches from the resume key. */
    private void lose() {
        place = FIND;
        st = null;
        prev = null;
    }

    // ------------------------------------------------------------------ one segment

    /**
     * One optimistic read of segment {@code j}: copies its run into the batch and moves the place
     * on, or leaves the place to be read again, or loses it.
     */
    private void read() {
        Store s = st;
        HybridLatch l = s.latches[j];
        long v = l.optimisticRead(); // waits out a writer holding the latch
        if (v == HybridLatch.RESTART) {
            // Obsolete: a resize or clear replaced s. Its new store was published before this
            // latch turned obsolete, so the acquire of this mark makes FIND's load see it.
            lose();
            return;
        }
        if (place == IN && v != segV) {
            lose(); // j changed since pos was read in it: its entries may have moved anywhere
            return;
        }
        int segSize = s.segSize;
        int m = s.segCount;
        int got = count;
        int x;
        int cnt;
        boolean ended = false;
        try {
            // Plain reads from here to the validation below, all untrusted until it passes.
            cnt = s.counts[j];
            if (cnt < 0 || cnt > segSize) {
                if (l.validate(v)) {
                    throw new IllegalStateException("segment " + j + " holds " + cnt + " entries");
                }
                return; // torn: read again
            }
            if (place == OWNER) {
                Object k = hasLast ? lastK : start;
                long kp = hasLast ? lastP : sp;
                boolean inclusive = !hasLast && startInclusive;
                int r = find(s, j, cnt, k, kp);
                int ins = r >= 0 ? r : -r - 1;
                // This read must itself show that j owns k, both sides: j's first key not above k
                // (else step back) and, when every key of j is below k, j + 1's first key above it
                // (else step forward), in either direction. The search's answer is not enough: a
                // redistribution can move k's neighbours across j's edge after the search
                // validated j and before this read began, between two validated reads, where no
                // version sees it (PmaStaleScanStartTest). Ownership shown here (at cmpFirst's
                // validation of j + 1, an instant that j's own validation below covers) is what
                // lets the scan step on without the bound: while j stays unchanged, which the
                // NEXT read's validation of prev checks, no key at or before k (ascending; at or
                // after it, descending) can enter the next segment, since such a key belongs to
                // j and moves only under j's latch.
                if (r < 0 && ins == 0 && j > 0) {
                    if (l.validate(v)) {
                        j--;
                    }
                    return;
                }
                if (r < 0 && ins == cnt && j < m - 1) {
                    int c = cmpFirst(s, j + 1, k, kp);
                    if (c == RETRY_CMP) {
                        lose();
                        return;
                    }
                    if (c <= 0) {
                        if (l.validate(v)) {
                            j++;
                        }
                        return;
                    }
                }
                if (descending) {
                    x = r >= 0 && inclusive ? r : ins - 1;
                } else {
                    x = r >= 0 && !inclusive ? r + 1 : ins;
                }
            } else if (place == IN) {
                x = pos; // v == segV: the cells after pos are those the last read left
            } else {
                x = descending ? cnt - 1 : 0;
            }
            int step = descending ? -1 : 1;
            int base = j * segSize;
            for (; x >= 0 && x < cnt && got < cap; x += step) {
                int cell = base + x;
                if (end != null) {
                    int c = cmpCell(s, cell, end, ep);
                    if (descending ? (endInclusive ? c < 0 : c <= 0) : (endInclusive ? c > 0 : c >= 0)) {
                        ended = true;
                        break;
                    }
                }
                if (s.lkeys != null) {
                    codes[got] = s.lkeys[cell];
                } else {
                    Object k = s.okeys[cell];
                    if (k == null) {
                        throw RESTART; // a cell being shifted: validation would fail
                    }
                    keys[got] = k;
                }
                vals[got] = s.vals[cell];
                got++;
            }
        } catch (RuntimeException e) {
            written = Math.max(written, got);
            if (e != RESTART && l.validate(v)) {
                throw e; // a consistent read threw: the comparator's own exception
            }
            return; // an inconsistent read threw: read again
        }
        written = Math.max(written, got);
        // validate's acquire fence orders every plain read above before its re-read of the
        // version: if one of them saw a write of a later critical section, the version changed.
        if (!l.validate(v)) {
            return; // only j changed: prev, if any, is checked again after the next read of j
        }
        if (place == NEXT && prev != null && !prev.validate(prevV)) {
            // prev changed while or before j was read: entries may have crossed between them.
            lose();
            return;
        }
        // Validated: slots [count, got) hold j's run as it was at v, at an instant when prev (if
        // any) was still as its own read saw it.
        if (got > count) {
            count = got;
            hasLast = true;
            if (s.lkeys != null) {
                lastP = codes[got - 1];
            } else {
                lastK = keys[got - 1];
            }
        }
        if (ended) {
            done = true;
        } else if (x >= 0 && x < cnt) {
            place = IN; // the batch is full inside j
            pos = x;
            segV = v;
            prev = null; // j's read already showed prev unchanged over it; j's version guards the rest
        } else if (descending ? j == 0 : j == m - 1) {
            done = true; // the array's end
        } else {
            place = NEXT;
            prev = l;
            prevV = v;
            j += descending ? -1 : 1;
        }
    }
}
