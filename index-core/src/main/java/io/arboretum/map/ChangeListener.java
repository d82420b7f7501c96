package io.arboretum.map;

/**
 * Receives the changes an index commits, through {@link ChangeObservable#subscribe}.
 *
 * <p><b>Called under the writer's latch.</b> {@link #onChange} runs on the writing thread while it
 * still holds the latch that made the change, so that the calls for one key come in commit order.
 * It must therefore be short and must not block, wait for another thread, or call back into the
 * index (a write to the same leaf would deadlock): append the change to a non-blocking buffer and
 * return. The Kotlin change flows of {@code index-coroutines} are such listeners.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
@FunctionalInterface
public interface ChangeListener<K, V> {
    /**
     * One committed change: {@code key} went from {@code oldValue} to {@code newValue}.
     *
     * @param sequence the change's number in its index, increasing in commit order for each key
     *     (and, for two changes where one happens-before the other, in that order); numbers of
     *     changes to different keys made at the same time may come in any order
     * @param key the key changed
     * @param oldValue the value before the change, or {@code null} if the key was absent
     * @param newValue the value after the change, or {@code null} if the key was removed
     */
    void onChange(long sequence, K key, V oldValue, V newValue);

    /**
     * Called once, after the feed dropped this listener because {@link #onChange} threw
     * {@code cause}; the change that was committed stays committed, and this listener receives
     * nothing more. The default does nothing.
     *
     * @param cause what {@link #onChange} threw
     */
    default void onDetached(Throwable cause) {
    }
}
