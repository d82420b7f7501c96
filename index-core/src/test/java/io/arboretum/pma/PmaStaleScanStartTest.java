package io.arboretum.pma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The interleaving behind the weak-consistency failure that took the PMA out of main (an ascending
 * iterator of a reversed-comparator map at segment size 4 returning 486 then 488), replayed
 * deterministically, one step at a time:
 *
 * <ol>
 *   <li>a scan that resumes after key {@code c} (every iterator batch after the first does) finds
 *       the segment {@code j} that owns {@code c} ({@code locate}, validated);</li>
 *   <li>before the scan's first optimistic read of {@code j}, a removal empties the neighbouring
 *       segment and redistributes the pair: {@code c} and what follows it move from {@code j} into
 *       {@code j + 1} (descending: {@code c} and what precedes it move into {@code j - 1});</li>
 *   <li>the scan reads {@code j}, a valid read of a segment that no longer owns {@code c}.</li>
 * </ol>
 *
 * The old scan took the first segment's position from {@code c} but read the next segment from its
 * start without the bound, so it returned {@code c} itself again and keys before it, out of order.
 * Step 2 falls between two validated reads, so no version can see it; only checking, in the
 * scan's own read, that the segment still owns {@code c} can. The test replays step 1's answer
 * through {@link PackedMemoryArrayMap#scanFromSegmentForTest}. Natural order (keys as longs) and
 * reversed order (keys as objects, the failing configuration), both scan directions.
 */
class PmaStaleScanStartTest {

    @ParameterizedTest(name = "reversed = {0}")
    @ValueSource(booleans = {false, true})
    void ascendingScanFromAStaleOwnerStartsAfterTheResumeKey(boolean reversed) {
        PackedMemoryArrayMap<Integer, Integer> m = newMap(reversed);
        Comparator<Integer> cmp = order(reversed);
        List<List<Integer>> segs = segments(m);
        int j = evenSegmentWithRightNeighbour(segs);
        // Shape the pair: j + 1 down to one entry, j full (plain shifts: no redistribution yet).
        leaveOneEntry(m, segs.get(j + 1));
        fill(m, cmp, segs.get(j).get(segs.get(j).size() - 1), segs.get(j + 1).get(0));
        segs = segments(m);
        assertEquals(4, segs.get(j).size(), "segment j full: " + segs);
        assertEquals(1, segs.get(j + 1).size(), "segment j + 1 with one entry: " + segs);
        int c = segs.get(j).get(2); // j owns c now: this is what the scan's search answers
        int e = segs.get(j + 1).get(0);

        // The write between the search and the scan's read: j + 1 empties, the pair redistributes.
        m.remove(e);
        segs = segments(m);
        assertEquals(c, segs.get(j + 1).get(0), "c moved into segment j + 1: " + segs);

        Object[] keys = new Object[2];
        Object[] values = new Object[2];
        int n = m.scanFromSegmentForTest(j, c, false, null, false, false, keys, values);
        assertEquals(firstKeys(m.tailMap(c, false), keys.length), copied(keys, n),
                "resumed after " + c + " from the stale owner " + j + " of " + segs);
        m.checkInvariants();
    }

    @ParameterizedTest(name = "reversed = {0}")
    @ValueSource(booleans = {false, true})
    void descendingScanFromAStaleOwnerStartsBeforeTheResumeKey(boolean reversed) {
        PackedMemoryArrayMap<Integer, Integer> m = newMap(reversed);
        Comparator<Integer> cmp = order(reversed);
        List<List<Integer>> segs = segments(m);
        int j = evenSegmentWithRightNeighbour(segs) + 1; // odd: the pair is [j - 1, j]
        // Shape the pair: j - 1 down to one entry, j full.
        leaveOneEntry(m, segs.get(j - 1));
        List<Integer> sj = segs.get(j);
        fill(m, cmp, sj.get(sj.size() - 1), j + 1 < segs.size() ? segs.get(j + 1).get(0) : null);
        segs = segments(m);
        assertEquals(1, segs.get(j - 1).size(), "segment j - 1 with one entry: " + segs);
        assertEquals(4, segs.get(j).size(), "segment j full: " + segs);
        int c = segs.get(j).get(1); // j owns c now
        int e = segs.get(j - 1).get(0);

        m.remove(e);
        segs = segments(m);
        List<Integer> left = segs.get(j - 1);
        assertEquals(c, left.get(left.size() - 1), "c moved into segment j - 1: " + segs);

        Object[] keys = new Object[2];
        Object[] values = new Object[2];
        int n = m.scanFromSegmentForTest(j, null, false, c, false, true, keys, values);
        assertEquals(firstKeys(m.headMap(c, false).descendingMap(), keys.length), copied(keys, n),
                "resumed before " + c + " from the stale owner " + j + " of " + segs);
        m.checkInvariants();
    }

    // ------------------------------------------------------------------ helpers

    private static Comparator<Integer> order(boolean reversed) {
        return reversed ? Comparator.reverseOrder() : Comparator.naturalOrder();
    }

    /** Keys 0, 10, .., 300 inserted in a shuffled order, segment size 4: several segments, gaps for new keys. */
    private static PackedMemoryArrayMap<Integer, Integer> newMap(boolean reversed) {
        PackedMemoryArrayMap<Integer, Integer> m = PackedMemoryArrayMap.<Integer, Integer>builder().segmentSize(4)
                .comparator(reversed ? Comparator.reverseOrder() : null).build();
        List<Integer> ks = new ArrayList<>();
        for (int k = 0; k <= 300; k += 10) {
            ks.add(k);
        }
        Collections.shuffle(ks, new Random(7));
        for (int k : ks) {
            m.put(k, -k);
        }
        m.checkInvariants();
        return m;
    }

    /** The keys of each segment, in map order (the map must be quiescent). */
    private static List<List<Integer>> segments(PackedMemoryArrayMap<Integer, Integer> m) {
        int[] counts = m.segmentCounts();
        Iterator<Integer> it = m.keySet().iterator();
        List<List<Integer>> out = new ArrayList<>();
        for (int c : counts) {
            List<Integer> seg = new ArrayList<>();
            for (int i = 0; i < c; i++) {
                seg.add(it.next());
            }
            out.add(seg);
        }
        assertTrue(!it.hasNext(), "more keys than the segments hold");
        return out;
    }

    /** An even segment in the middle with a right neighbour, so the pair [j, j + 1] is a level-1 window. */
    private static int evenSegmentWithRightNeighbour(List<List<Integer>> segs) {
        assertTrue(segs.size() >= 4, "need at least four segments: " + segs);
        return (segs.size() / 2) & ~1;
    }

    /** Removes every entry of a segment but its first: each removal leaves it non-empty, so it only shifts. */
    private static void leaveOneEntry(PackedMemoryArrayMap<Integer, Integer> m, List<Integer> seg) {
        for (int i = seg.size() - 1; i >= 1; i--) {
            m.remove(seg.get(i));
        }
    }

    /**
     * Inserts keys just after {@code last} in the map's order (and before {@code next}) until the
     * segment holding {@code last} is full: the keys it owns, so each insert only shifts.
     */
    private static void fill(PackedMemoryArrayMap<Integer, Integer> m, Comparator<Integer> cmp, int last,
                             Integer next) {
        int step = cmp.compare(0, 1) < 0 ? 1 : -1;
        int[] counts = m.segmentCounts();
        int seg = segmentOf(m, last);
        for (int k = last + step; counts[seg] < 4; k += step) {
            assertTrue(next == null || cmp.compare(k, next) < 0, "no room between " + last + " and " + next);
            m.put(k, -k);
            counts = m.segmentCounts();
        }
    }

    private static int segmentOf(PackedMemoryArrayMap<Integer, Integer> m, int key) {
        List<List<Integer>> segs = segments(m);
        for (int s = 0; s < segs.size(); s++) {
            if (segs.get(s).contains(key)) {
                return s;
            }
        }
        throw new AssertionError(key + " is in no segment");
    }

    /** The first n keys of a (quiescent) view: what a correct scan copies. */
    private static List<Object> firstKeys(NavigableMap<Integer, Integer> view, int n) {
        List<Object> out = new ArrayList<>();
        for (Iterator<Integer> it = view.keySet().iterator(); out.size() < n && it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    /** What a scan attempt copied ({@code n} negative: it asked to restart, which a quiescent map never makes it do). */
    private static List<Object> copied(Object[] keys, int n) {
        assertTrue(n >= 0, "the scan asked to restart on a quiescent map: " + n);
        return Arrays.asList(keys).subList(0, n);
    }
}
