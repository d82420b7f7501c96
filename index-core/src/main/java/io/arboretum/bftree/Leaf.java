package io.arboretum.bftree;

import io.arboretum.sync.HybridLatch;
import java.util.Arrays;

/**
 * One leaf, identified by its logical page id: its fences, its records while resident in memory,
 * and the disk slot of its last written image.
 *
 * <p>Every field but {@code pid}, {@code latch} and {@code referenced} is written only under the
 * leaf's exclusive latch and read under its shared or exclusive latch: the latch's acquiring CAS
 * and releasing store order those accesses (see {@link HybridLatch}). A leaf made by a split is
 * filled before it is published into the inner index and the mapping table, whose writes are
 * releases (a {@code ConcurrentSkipListMap} put, a release store), so a thread that finds it sees
 * it filled.
 */
final class Leaf {
    final long pid;
    final HybridLatch latch = new HybridLatch();
    /** Inclusive low fence; empty for the first leaf (minus infinity). */
    byte[] low;
    /** Exclusive high fence; null for the last leaf (plus infinity). */
    byte[] high;
    /** Records in ascending unsigned order while resident; null when only on disk. */
    byte[][] keys;
    byte[][] values;
    int count;
    /** Bytes of the records as encoded in a page (resident only). */
    int recordBytes;
    /** Slot of the last written image, or -1 if never written. */
    int slot = -1;
    /** Whether the resident records differ from the image in {@code slot}. */
    boolean dirty;
    /** Bytes this leaf currently counts against the memory budget. */
    long charged;
    /**
     * Clock bit for second-chance eviction. Read and written without the latch: a benign race,
     * since a lost update only makes eviction give this leaf one chance more or less.
     */
    boolean referenced;

    Leaf(long pid, byte[] low, byte[] high) {
        this.pid = pid;
        this.low = low;
        this.high = high;
    }

    boolean resident() {
        return keys != null;
    }

    void makeEmptyResident() {
        keys = new byte[8][];
        values = new byte[8][];
        count = 0;
        recordBytes = 0;
    }

    void install(byte[][] k, byte[][] v) {
        int n = k.length;
        keys = Arrays.copyOf(k, Math.max(8, n + n / 2));
        values = Arrays.copyOf(v, keys.length);
        count = n;
        int b = 0;
        for (int i = 0; i < n; i++) {
            b += Limits.recordBytes(k[i], v[i]);
        }
        recordBytes = b;
    }

    void drop() {
        keys = null;
        values = null;
        count = 0;
        recordBytes = 0;
    }

    /** Whether {@code k} belongs here: {@code low <= k < high}. */
    boolean covers(byte[] k) {
        return Arrays.compareUnsigned(low, k) <= 0 && (high == null || Arrays.compareUnsigned(k, high) < 0);
    }

    /**
     * Whether this leaf holds the keys just below {@code bound} (null: plus infinity):
     * {@code low < bound <= high}.
     */
    boolean coversBelow(byte[] bound) {
        if (bound == null) {
            return high == null;
        }
        return Arrays.compareUnsigned(low, bound) < 0 && (high == null || Arrays.compareUnsigned(bound, high) <= 0);
    }

    /** Index of {@code k}, or {@code -(insertion point) - 1}. */
    int search(byte[] k) {
        int lo = 0;
        int hi = count - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Arrays.compareUnsigned(keys[mid], k);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    /** First index whose key is at least {@code k}. */
    int lowerBound(byte[] k) {
        int i = search(k);
        return i >= 0 ? i : -i - 1;
    }

    /** Sets {@code k} to {@code v} (the one place both writes and log replay change a leaf). */
    void applyPut(byte[] k, byte[] v) {
        int i = search(k);
        if (i >= 0) {
            recordBytes += v.length - values[i].length;
            values[i] = v;
        } else {
            i = -i - 1;
            if (count == keys.length) {
                keys = Arrays.copyOf(keys, count * 2);
                values = Arrays.copyOf(values, count * 2);
            }
            System.arraycopy(keys, i, keys, i + 1, count - i);
            System.arraycopy(values, i, values, i + 1, count - i);
            keys[i] = k;
            values[i] = v;
            count++;
            recordBytes += Limits.recordBytes(k, v);
        }
        dirty = true;
    }

    /** Removes {@code k} if present. */
    void applyDelete(byte[] k) {
        int i = search(k);
        if (i < 0) {
            return;
        }
        recordBytes -= Limits.recordBytes(keys[i], values[i]);
        System.arraycopy(keys, i + 1, keys, i, count - i - 1);
        System.arraycopy(values, i + 1, values, i, count - i - 1);
        count--;
        keys[count] = null;
        values[count] = null;
        dirty = true;
    }

    /** Bytes of this leaf as a page. */
    int pageBytes() {
        return LeafPage.encodedSize(low, high, recordBytes);
    }

    /** The split point that halves the record bytes, in {@code [1, count - 1]}. */
    int splitIndex() {
        int half = recordBytes / 2;
        int acc = 0;
        int i = 0;
        while (i < count - 1 && acc < half) {
            acc += Limits.recordBytes(keys[i], values[i]);
            i++;
        }
        return Math.max(1, Math.min(i, count - 1));
    }

    /**
     * Moves records {@code [mid, count)} to a new leaf {@code pid} with fences
     * {@code [separator, high)}; this leaf's high fence becomes {@code separator}. Both are dirty.
     * The new leaf is not yet published.
     */
    Leaf splitOff(int mid, byte[] separator, long newPid) {
        Leaf r = new Leaf(newPid, separator, high);
        r.install(Arrays.copyOfRange(keys, mid, count), Arrays.copyOfRange(values, mid, count));
        r.dirty = true;
        for (int i = mid; i < count; i++) {
            recordBytes -= Limits.recordBytes(keys[i], values[i]);
            keys[i] = null;
            values[i] = null;
        }
        count = mid;
        high = separator;
        dirty = true;
        return r;
    }
}
