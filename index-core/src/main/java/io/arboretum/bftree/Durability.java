package io.arboretum.bftree;

import java.time.Duration;
import java.util.Objects;

/**
 * When a write of a {@link BfTree} is on disk: the promise a write makes when it returns.
 *
 * <ul>
 *   <li>{@link #SYNC}: {@code put}, {@code delete}, {@code putIfAbsent} and a successful
 *       {@code replace} return only after their log record has been forced to the device
 *       ({@code FileChannel.force}). A crash of the process or of the machine loses no write that
 *       has returned. Writers that wait at the same moment share one force (group commit).</li>
 *   <li>{@link #async(Duration) ASYNC(interval)}: a write returns once its record is in the log's
 *       buffer in memory; a background thread writes and forces the buffer every
 *       {@code interval} (and a writer forces it itself when it holds more than 1 MiB). A crash
 *       of the process or machine can lose the writes of about the last {@code interval} plus
 *       the time of one force, never more, and never a write that {@link BfTree#flush()} or a
 *       checkpoint covered. What is recovered is always a prefix of the writes in log order.</li>
 * </ul>
 */
public final class Durability {
    /** Each write returns after its log record is forced to the device. */
    public static final Durability SYNC = new Durability(null);

    private final Duration interval;

    private Durability(Duration interval) {
        this.interval = interval;
    }

    /**
     * Writes return before they are on disk; the log is forced every {@code interval}. The
     * interval is checked by {@link BfTreeConfig.Builder#build()}: more than zero, at most one
     * minute.
     *
     * @param interval the longest time an acknowledged write stays only in memory
     * @return the asynchronous mode with that interval
     * @throws NullPointerException if {@code interval} is null
     */
    public static Durability async(Duration interval) {
        return new Durability(Objects.requireNonNull(interval, "interval"));
    }

    /**
     * Whether this is {@link #SYNC}.
     *
     * @return true for {@code SYNC}, false for an asynchronous mode
     */
    public boolean isSync() {
        return interval == null;
    }

    /**
     * The force interval of an asynchronous mode.
     *
     * @return the interval, or {@link Duration#ZERO} for {@code SYNC}
     */
    public Duration interval() {
        return interval == null ? Duration.ZERO : interval;
    }

    /**
     * Two modes are equal when both are {@code SYNC} or both asynchronous with equal intervals.
     *
     * @param o the other object
     * @return whether it is the same mode
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Durability && Objects.equals(interval, ((Durability) o).interval);
    }

    /**
     * A hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hashCode(interval);
    }

    /**
     * {@code SYNC} or {@code ASYNC(interval)}.
     *
     * @return the mode's name
     */
    @Override
    public String toString() {
        return interval == null ? "SYNC" : "ASYNC(" + interval + ")";
    }
}
