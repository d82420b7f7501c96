package io.arboretum.bftree;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of a {@link BfTree}: memory budget, page size, durability, log segment size and
 * checkpoint policy. Immutable; made by {@link #builder()}. Every value is checked by
 * {@link Builder#build()}, which names the option and the value it refuses.
 *
 * <p>The page size is part of the on-disk format: {@link BfTree#create} records it, and
 * {@link BfTree#open} refuses a configuration whose page size differs from the directory's.
 * The other settings may change from one open to the next.
 */
public final class BfTreeConfig {
    /** Smallest page size: small pages make tests split often. */
    static final int MIN_PAGE_SIZE = 512;
    /** Largest page size: record lengths inside a page are 16-bit. */
    static final int MAX_PAGE_SIZE = 65536;
    /** The budget must hold at least this many pages, so a scan and a split can proceed. */
    static final int MIN_BUDGET_PAGES = 16;
    /** Smallest log segment. */
    static final long MIN_SEGMENT = 4096;
    /** Largest log segment. */
    static final long MAX_SEGMENT = 1L << 30;
    /** Longest asynchronous force interval. */
    static final Duration MAX_ASYNC_INTERVAL = Duration.ofMinutes(1);

    private final long memoryBudget;
    private final int pageSize;
    private final Durability durability;
    private final long walSegmentSize;
    private final long checkpointLogBytes;

    private BfTreeConfig(Builder b) {
        this.memoryBudget = b.memoryBudget;
        this.pageSize = b.pageSize;
        this.durability = b.durability;
        this.walSegmentSize = b.walSegmentSize;
        this.checkpointLogBytes = b.checkpointLogBytes;
    }

    /**
     * A builder with the defaults: 64 MiB memory budget, 4 KiB pages, {@link Durability#SYNC},
     * 64 MiB log segments, a checkpoint after every 256 MiB of log.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The configuration with every default.
     *
     * @return {@code builder().build()}
     */
    public static BfTreeConfig defaults() {
        return builder().build();
    }

    /**
     * Size of the off-heap mini-page pool, which caches records and buffers writes: its direct
     * buffers are allocated when the tree opens (rounded down to a multiple of the page size) and
     * never grow; a full pool evicts mini-pages to disk.
     *
     * @return the memory budget in bytes
     */
    public long memoryBudget() {
        return memoryBudget;
    }

    /**
     * Size of a leaf page on disk.
     *
     * @return the page size in bytes, a power of two
     */
    public int pageSize() {
        return pageSize;
    }

    /**
     * When a write is on disk.
     *
     * @return the durability mode
     */
    public Durability durability() {
        return durability;
    }

    /**
     * Size at which the log starts a new segment file.
     *
     * @return bytes per segment
     */
    public long walSegmentSize() {
        return walSegmentSize;
    }

    /**
     * Checkpoint policy: a write that brings the log written since the last checkpoint to this
     * many bytes takes a checkpoint; 0 means only explicit {@link BfTree#checkpoint()} calls (and
     * open and close) take them.
     *
     * @return the log bytes between automatic checkpoints, or 0
     */
    public long checkpointLogBytes() {
        return checkpointLogBytes;
    }

    /**
     * The largest key this configuration accepts: a sixteenth of the page, so that both fence
     * keys and at least four records always fit in a page.
     *
     * @return bytes
     */
    public int maxKeySize() {
        return Limits.of(pageSize).maxKey;
    }

    /**
     * The largest value this configuration accepts with a key of the largest size.
     *
     * @return bytes
     */
    public int maxValueSize() {
        return Limits.of(pageSize).maxValue;
    }

    /**
     * Every setting, for logs.
     *
     * @return the settings as text
     */
    @Override
    public String toString() {
        return "BfTreeConfig{memoryBudget=" + memoryBudget + ", pageSize=" + pageSize
                + ", durability=" + durability + ", walSegmentSize=" + walSegmentSize
                + ", checkpointLogBytes=" + checkpointLogBytes + "}";
    }

    /** Collects settings; {@link #build()} checks them all. Not thread-safe. */
    public static final class Builder {
        private long memoryBudget = 64L << 20;
        private int pageSize = 4096;
        private Durability durability = Durability.SYNC;
        private long walSegmentSize = 64L << 20;
        private long checkpointLogBytes = 256L << 20;

        private Builder() {
        }

        /**
         * Bytes of the off-heap mini-page pool (at least 16 pages).
         *
         * @param bytes the budget
         * @return this builder
         */
        public Builder memoryBudget(long bytes) {
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * Leaf page size on disk: a power of two from 512 to 65536. Fixed when the tree is
         * created.
         *
         * @param bytes the page size
         * @return this builder
         */
        public Builder pageSize(int bytes) {
            this.pageSize = bytes;
            return this;
        }

        /**
         * When a write is on disk.
         *
         * @param durability {@link Durability#SYNC} or {@link Durability#async(Duration)}
         * @return this builder
         */
        public Builder durability(Durability durability) {
            this.durability = durability;
            return this;
        }

        /**
         * Size at which the log starts a new segment file: 4 KiB to 1 GiB.
         *
         * @param bytes the segment size
         * @return this builder
         */
        public Builder walSegmentSize(long bytes) {
            this.walSegmentSize = bytes;
            return this;
        }

        /**
         * Take a checkpoint after this many bytes of log; 0 for explicit checkpoints only.
         *
         * @param bytes log bytes between automatic checkpoints, or 0
         * @return this builder
         */
        public Builder checkpointLogBytes(long bytes) {
            this.checkpointLogBytes = bytes;
            return this;
        }

        /**
         * Checks every setting and makes the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first invalid option and its value
         */
        public BfTreeConfig build() {
            if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
                throw new IllegalArgumentException("BfTreeConfig: pageSize must be a power of two from "
                        + MIN_PAGE_SIZE + " to " + MAX_PAGE_SIZE + ", was " + pageSize);
            }
            long minBudget = (long) MIN_BUDGET_PAGES * pageSize;
            if (memoryBudget < minBudget) {
                throw new IllegalArgumentException("BfTreeConfig: memoryBudget must be at least "
                        + MIN_BUDGET_PAGES + " pages (" + minBudget + " bytes with pageSize " + pageSize
                        + "), was " + memoryBudget);
            }
            if (durability == null) {
                throw new IllegalArgumentException("BfTreeConfig: durability must be SYNC or ASYNC(interval), was null");
            }
            if (!durability.isSync()) {
                Duration d = durability.interval();
                if (d.isNegative() || d.isZero() || d.compareTo(MAX_ASYNC_INTERVAL) > 0) {
                    throw new IllegalArgumentException("BfTreeConfig: durability ASYNC interval must be more than"
                            + " zero and at most " + MAX_ASYNC_INTERVAL + ", was " + d);
                }
            }
            if (walSegmentSize < MIN_SEGMENT || walSegmentSize > MAX_SEGMENT) {
                throw new IllegalArgumentException("BfTreeConfig: walSegmentSize must be from " + MIN_SEGMENT
                        + " to " + MAX_SEGMENT + " bytes, was " + walSegmentSize);
            }
            if (checkpointLogBytes < 0) {
                throw new IllegalArgumentException("BfTreeConfig: checkpointLogBytes must be 0 (explicit"
                        + " checkpoints only) or positive, was " + checkpointLogBytes);
            }
            Objects.requireNonNull(durability);
            return new BfTreeConfig(this);
        }
    }
}
