package io.arboretum.map;

/**
 * An index that publishes every change it commits: {@code ConcurrentBTreeMap}, the
 * {@code asMap()} view of {@code OffHeapLongBTreeMap}, {@code MasstreeMap},
 * {@code PackedMemoryArrayMap}, and {@code BwTreeMap}. The change flows of {@code index-coroutines} ({@code changes},
 * {@code snapshotThenChanges}) are built on it.
 *
 * <p>Every write path publishes: {@code put}, {@code putIfAbsent}, both {@code replace}s, both
 * {@code remove}s, the polls, {@code clear} (a removal per entry), and so everything built on them
 * (the compute family, {@code merge}, writes through views). Structure changes (splits, merges;
 * in {@code MasstreeMap} also grows and layers formed or collapsed; in {@code PackedMemoryArrayMap}
 * redistributions and the array's growth and shrinking; in {@code BwTreeMap} consolidations) change
 * no mapping and publish nothing. {@code BwTreeMap} has no latches: it publishes after the CAS
 * that commits a change, in chain order (see its class notes).
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public interface ChangeObservable<K, V> {
    /**
     * Registers {@code listener} for every change committed from now on. A change whose write
     * took its latch after this method returned is published to the listener; a change that
     * completed before this method was called is not. A change in between goes one way or the
     * other; a scan of the index started after this method returns reflects every change that was
     * not published to the listener (the hand-off {@code snapshotThenChanges} relies on).
     *
     * @param listener the listener, called under the writer's latch (see {@link ChangeListener})
     * @return the subscription; closing it unregisters the listener at once
     * @throws NullPointerException if {@code listener} is null
     */
    ChangeFeed.Subscription subscribe(ChangeListener<? super K, ? super V> listener);
}
