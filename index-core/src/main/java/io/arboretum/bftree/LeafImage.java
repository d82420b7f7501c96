package io.arboretum.bftree;

import java.util.Arrays;

/**
 * A leaf's whole content in heap arrays: its fences and every record, in ascending unsigned key
 * order. Made from a disk page with the leaf's mini-page laid over it ({@code BfTree.image}), it
 * is what a merge writes back to disk, what a split cuts in two, what a cursor copies from, and
 * what recovery holds for a leaf that a logged PUT left bigger than a page until its SPLIT record.
 * Owned by one thread at a time.
 */
final class LeafImage {
    byte[] low;
    byte[] high;
    byte[][] keys;
    byte[][] values;
    int count;
    /** Bytes of the records as encoded in a page. */
    int recordBytes;

    LeafImage(byte[] low, byte[] high, byte[][] k, byte[][] v) {
        this.low = low;
        this.high = high;
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

    /** Sets {@code k} to {@code v}, or removes it if {@code v} is null. */
    void apply(byte[] k, byte[] v) {
        int i = search(k);
        if (v == null) {
            if (i >= 0) {
                recordBytes -= Limits.recordBytes(keys[i], values[i]);
                System.arraycopy(keys, i + 1, keys, i, count - i - 1);
                System.arraycopy(values, i + 1, values, i, count - i - 1);
                count--;
                keys[count] = null;
                values[count] = null;
            }
        } else if (i >= 0) {
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
     * Appends the records of {@code right}, the image of the next leaf (every key of which is
     * above this image's), and takes its high fence: the content of the two leaves merged.
     */
    void absorb(LeafImage right) {
        int n = count + right.count;
        if (n > keys.length) {
            keys = Arrays.copyOf(keys, n);
            values = Arrays.copyOf(values, n);
        }
        System.arraycopy(right.keys, 0, keys, count, right.count);
        System.arraycopy(right.values, 0, values, count, right.count);
        count = n;
        recordBytes += right.recordBytes;
        high = right.high;
    }

    /**
     * Moves records {@code [mid, count)} to a new image with fences {@code [separator, high)};
     * this image's high fence becomes {@code separator}.
     */
    LeafImage splitOff(int mid, byte[] separator) {
        LeafImage r = new LeafImage(separator, high, Arrays.copyOfRange(keys, mid, count),
                Arrays.copyOfRange(values, mid, count));
        for (int i = mid; i < count; i++) {
            recordBytes -= Limits.recordBytes(keys[i], values[i]);
            keys[i] = null;
            values[i] = null;
        }
        count = mid;
        high = separator;
        return r;
    }
}
