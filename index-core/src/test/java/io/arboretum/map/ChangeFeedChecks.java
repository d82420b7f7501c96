package io.arboretum.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The checks every index's change-feed hook test makes of what its listeners received: per-key
 * commit order (an unbroken chain of old and new values), the hand-off a subscriber's scan relies
 * on (scan plus events converge), and a complete scan through {@link BatchScannable#copyBatch}.
 * One place for the logic the Masstree, PMA and Bw-tree hook tests share.
 */
public final class ChangeFeedChecks {
    private ChangeFeedChecks() {
    }

    /**
     * A change as a listener received it.
     *
     * @param seq the sequence number
     * @param key the key
     * @param old the value before, or null
     * @param now the value after, or null
     */
    public record Change(long seq, Object key, Long old, Long now) {
    }

    /**
     * Sorts {@code got} by sequence number and checks that the numbers are unique and that, per
     * key, each change's old value is the previous change's new value (commit order), the chain
     * starting from absent and ending at {@code end}'s value for the key.
     *
     * @param got the changes received, in any order
     * @param order the keys' order
     * @param end the map's content at the end (keys absent there must end removed)
     * @param name what to call the case in a failure
     * @return the number of changes
     */
    @SuppressWarnings("unchecked")
    public static <K> int assertChainsEndAt(Collection<Change> got, Comparator<? super K> order, Map<K, Long> end,
                                            String name) {
        List<Change> all = new ArrayList<>(got);
        all.sort(Comparator.comparingLong(Change::seq));
        TreeMap<K, Long> state = new TreeMap<>(order);
        long lastSeq = 0;
        for (Change c : all) {
            assertTrue(c.seq() > lastSeq, "sequence numbers are unique");
            lastSeq = c.seq();
            K ck = (K) c.key();
            assertEquals(state.get(ck), c.old(), () -> name + ": chain broken at " + c);
            apply(state, c);
        }
        TreeMap<K, Long> expected = new TreeMap<>(order);
        expected.putAll(end);
        assertEquals(expected, state, name);
        return all.size();
    }

    /**
     * Applies {@code events} to {@code view} in sequence order: what a {@code snapshotThenChanges}
     * collector does with its snapshot.
     *
     * @param view the snapshot, changed in place
     * @param events the events received after subscribing
     */
    public static <K> void applyInSequence(TreeMap<K, Long> view, Collection<Change> events) {
        List<Change> changes = new ArrayList<>(events);
        changes.sort(Comparator.comparingLong(Change::seq));
        for (Change c : changes) {
            apply(view, c);
        }
    }

    @SuppressWarnings("unchecked")
    private static <K> void apply(Map<K, Long> m, Change c) {
        if (c.now() == null) {
            m.remove((K) c.key());
        } else {
            m.put((K) c.key(), c.now());
        }
    }

    /**
     * Copies the whole map into {@code into} through {@code copyBatch} calls of at most
     * {@code batch} entries, each continuing strictly after the last key copied (a call may copy
     * fewer entries than fit, as {@link BatchScannable} allows, so one call is not the whole map).
     *
     * @param map the map
     * @param descending whether to copy from the high end down
     * @param batch the most entries per call
     * @param into receives the entries
     */
    @SuppressWarnings("unchecked")
    public static <K> void copyAll(BatchScannable<K, Long> map, boolean descending, int batch, Map<K, Long> into) {
        Object[] ks = new Object[batch];
        Object[] vs = new Object[batch];
        K after = null;
        for (int c; (c = descending ? map.copyBatch(null, true, after, false, true, ks, vs)
                : map.copyBatch(after, false, null, true, false, ks, vs)) > 0; ) {
            for (int j = 0; j < c; j++) {
                into.put((K) ks[j], (Long) vs[j]);
            }
            after = (K) ks[c - 1];
        }
    }
}
