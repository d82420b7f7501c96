package io.arboretum.masstree;

import static io.arboretum.masstree.MasstreeMap.BEFORE;
import static io.arboretum.masstree.MasstreeMap.DELETED;
import static io.arboretum.masstree.MasstreeMap.LEFTMOST;
import static io.arboretum.masstree.MasstreeMap.LINK;
import static io.arboretum.masstree.MasstreeMap.MAX_HOPS;
import static io.arboretum.masstree.MasstreeMap.RESTART;
import static io.arboretum.masstree.MasstreeMap.RIGHTMOST;
import static io.arboretum.masstree.MasstreeMap.SUFFIX;
import static io.arboretum.masstree.MasstreeMap.borderFor;
import static io.arboretum.masstree.MasstreeMap.cmpC;
import static io.arboretum.masstree.MasstreeMap.ord;
import static io.arboretum.masstree.MasstreeMap.permSlot;
import static io.arboretum.masstree.MasstreeMap.reach;
import static io.arboretum.masstree.MasstreeMap.retryPause;
import static io.arboretum.masstree.MasstreeMap.safeCount;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.map.BatchCursor;
import io.arboretum.masstree.MasstreeMap.Border;
import io.arboretum.masstree.MasstreeMap.Layer;
import io.arboretum.masstree.MasstreeMap.Restart;
import java.util.Arrays;

/**
 * The cursor of every scan of a {@link MasstreeMap} (iterators of the map and its views, range
 * flows): it keeps its place in the trie between batches instead of descending again for each.
 *
 * <p><b>Place.</b> A stack of <em>frames</em>, one per layer from the top down to the layer of
 * the current entry. A frame holds a validated <em>snapshot</em> of one border node of its layer:
 * the node, a version {@code v}, and what was read under it (the permutation, which lists the
 * entries in key order, the {@code next} link, the low fence and whether it is the rightmost),
 * and a position in it. Entries are not copied: each is read from the node when it is taken and
 * used only once the node validates again at {@code v}, so a node that did not change since
 * {@code v} is read in place (the cursor allocates a few small objects per scan, not per node). Frame {@code d > 0} was entered through the layer link at the position of frame
 * {@code d - 1}; the slices of those links are kept in {@code prefix}, so the key of an entry of
 * frame {@code d} is {@code prefix[0, 8d)}, its slice's bytes and its suffix, built from what the
 * stack already holds, never by reading the trie again.
 *
 * <p><b>One batch</b> ({@link #advance()}; the direction is fixed per cursor):
 * <ol>
 *   <li>If the cursor has no place (first call, or after a restart), <em>seek</em>: descend from
 *       the top layer to the border node whose range holds the start key (the range's bound, or
 *       the last key returned, exclusive), snapshot it and position after (before) the start
 *       key; where the start key continues below a link with its own slice, push a frame and go
 *       on in the linked layer, 8 bytes further into the key.</li>
 *   <li>Take the entry at the top frame's position. A frame whose snapshot was validated in an
 *       earlier call is first checked again ({@code changed(v)}); if its node changed, restart.
 *       A layer link pushes a frame for the linked layer at its leftmost (rightmost) border
 *       node. A key is built and compared with the far bound (past it: the scan is done), and
 *       goes into the batch with its value.</li>
 *   <li>At the end of a snapshot, ascending: snapshot the node's {@code next} (read with the
 *       snapshot); descending: find the node whose {@code next} is this node, from a descent to
 *       the keys just below its low fence, and snapshot it at a version where its {@code next}
 *       still is this node. At the end of a layer (no {@code next}; descending, the leftmost
 *       node), pop the frame and go on after (before) the link in the frame above.</li>
 *   <li>Any failed check (a node deleted, a node changed since its snapshot, a left neighbour
 *       not found) drops the whole stack and seeks again from the last key of the batch (or the
 *       start key), so restarts cost one descent and never return a key twice.</li>
 * </ol>
 *
 * <p><b>Why it keeps {@link BatchCursor}'s guarantees.</b> Each entry handed out comes from a
 * snapshot validated during the same {@code advance()} call, so it was present at that instant.
 * Keys are strictly ordered: within a snapshot by the permutation; the next node of a layer holds
 * only keys at or above the node's high fence at the snapshot; a linked layer's keys lie between
 * the link's neighbours; a seek starts strictly after the last key returned. An entry present for
 * the whole scan is returned: a live border node's low fence never changes (only a split sets
 * one, on a new node), so the node a snapshot's {@code next} names, found live, holds every key
 * from the old high fence up to its own; a left neighbour validated with {@code next} equal to
 * the node it was looked for from holds every key from its low fence up to that node's; the
 * leftmost border node of a layer is removed only when the whole layer, then empty, is unlinked.
 *
 * <p><b>Strict cursors.</b> A cursor opened while the map has change listeners treats a node that
 * is locked, at its snapshot or at a later check, as changed, and so waits out every writer
 * holding a lock (see {@code MasstreeMap}'s notes, "Why a subscriber's scan meets every change
 * it was not sent"). Otherwise it ignores a lock without a change, as every reader does.
 *
 * <p><b>Untrusted reads.</b> Everything is read racily: the permutation's count is clamped and
 * its slots bounds-checked, and nothing read is acted on (no key built, no layer entered, no
 * comparison with a bound, nothing handed to the encoder) before the node validates at the
 * frame's version. A suffix array is never changed once stored in a slot, so once the slot's
 * reference validates its bytes may be read after.
 *
 * <p>Notation as in {@link MasstreeMap}: {@code n} a border node, {@code f} a frame, {@code v} a
 * version, {@code s}/{@code c} a composite (slice and class), {@code pos} a position.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
final class MasstreeCursor<K, V> implements BatchCursor<K, V> {

    /** The size of the first batch (unless the caller's maximum is smaller); later ones double. */
    static final int FIRST_BATCH = 16;

    /**
     * One layer of the cursor's place: a border node, the version at which its permutation, links
     * and fences were read, and a position in it. The entries themselves are not copied: each is
     * read from the node when it is taken and trusted only once the node validates again at that
     * version, which also proves that everything read earlier under it still holds.
     */
    static final class Frame {
        Layer layer;
        Border node;
        long version;
        /** The {@code advance()} call in which the node was last validated. */
        int checkedIn;
        long perm;
        int cnt;
        Border next;
        long lowS;
        int lowC;
        int highC;
        /** The entry to take next: ascending from 0 up, descending from {@code cnt - 1} down. */
        int pos;
        /** Whether a locked node counts as changed (the cursor's {@code strict}). */
        boolean strict;

        /**
         * Reads {@code n}'s permutation, links and fences, racily, and returns whether {@code n}
         * did not change since {@code v} (then they are {@code n}'s at {@code v}). The count is
         * clamped to the node's capacity; nothing read is trusted before this returns true.
         */
        boolean read(Border n, long v) {
            // Benign race: a plain read of a permutation a writer may be changing; its count is
            // clamped here and its slots bounds-checked where they are used, and it counts only
            // if v validates below.
            long p = n.perm;
            perm = p;
            cnt = safeCount(n, p);
            next = n.nextAcquire();
            lowS = n.lowS;
            lowC = n.lowC;
            highC = n.highC;
            // changed(v) puts an acquire fence before re-reading the version: if no writer
            // marked n dirty since v, every load above read the state at v.
            if (changed(n, v)) {
                return false;
            }
            node = n;
            version = v;
            return true;
        }

        /** The slot of position {@code i} (validated permutation), bounds-checked anyway. */
        int slot(int i) {
            int slot = permSlot(perm, i);
            if (slot >= node.slices.length) {
                throw RESTART;
            }
            return slot;
        }

        /** Whether the node still is as it was at {@code version}: what was read from it holds. */
        void validate() {
            if (changed(node, version)) {
                throw RESTART;
            }
        }

        /** {@code n.changed(v)}, or, strict, also true while {@code n} is or was locked at {@code v}. */
        boolean changed(Border n, long v) {
            return strict ? n.lockedOrChanged(v) : n.changed(v);
        }
    }

    private final Layer top;
    private final KeyEncoder<K> enc;
    private final boolean descending;
    /** Where the scan starts (encoded), or null: the range's bound in the scan's direction. */
    private final byte[] start;
    private final boolean startInclusive;
    /** Where the scan stops (encoded), or null. */
    private final byte[] stop;
    private final boolean stopInclusive;
    private final int maxBatch;
    /**
     * Whether a locked node fails validation, as if changed: set when the map had change
     * listeners at opening ({@code MasstreeMap}'s class notes, "Change feed"), so that the
     * snapshot scan of a subscriber reflects every write that missed its listener.
     */
    private final boolean strict;

    // The batch: keys as encoded bytes in kbuf (decoded when asked for), values.
    private int cap;
    private byte[] kbuf = new byte[256];
    private int kused;
    private int[] koff;
    private int[] klen;
    private Object[] vals;
    private Object[] keys;
    private int count;

    // The place: frames[0 .. depth) and the link slices above them.
    private Frame[] frames = new Frame[4];
    private int depth;
    private byte[] prefix = new byte[32];
    /** The last key returned (encoded), where a seek resumes (exclusive); null before any. */
    private byte[] resume;
    private boolean done;
    /** Counts advance() calls: a frame checked in an earlier call is checked again. */
    private int call;
    private final long[] at = new long[1];

    MasstreeCursor(Layer top, KeyEncoder<K> enc, byte[] lo, boolean loInclusive, byte[] hi,
                   boolean hiInclusive, boolean descending, int maxBatch, boolean strict) {
        this.top = top;
        this.enc = enc;
        this.descending = descending;
        this.start = descending ? hi : lo;
        this.startInclusive = descending ? hiInclusive : loInclusive;
        this.stop = descending ? lo : hi;
        this.stopInclusive = descending ? loInclusive : hiInclusive;
        this.maxBatch = maxBatch;
        this.strict = strict;
        this.cap = Math.min(FIRST_BATCH, maxBatch);
        allocate(cap);
    }

    private void allocate(int size) {
        koff = new int[size];
        klen = new int[size];
        vals = new Object[size];
        keys = new Object[size];
    }

    @Override
    public int advance() {
        // Drop the previous batch's references first, so nothing stale stays if this throws.
        Arrays.fill(vals, 0, count, null);
        Arrays.fill(keys, 0, count, null);
        if (count > 0 && cap < maxBatch) {
            cap = (int) Math.min(2L * cap, maxBatch);
            allocate(cap);
        }
        count = 0;
        kused = 0;
        if (done) {
            return 0;
        }
        call++;
        for (int attempt = 0; ; attempt++) {
            try {
                if (depth == 0) {
                    seek();
                }
                fill();
                break;
            } catch (Restart r) {
                depth = 0; // seek again, from the last key of this batch if it has one
                retryPause(attempt);
            }
        }
        if (count > 0) {
            resume = Arrays.copyOfRange(kbuf, koff[count - 1], koff[count - 1] + klen[count - 1]);
        }
        if (done) {
            Arrays.fill(frames, null); // nothing more to read: let the snapshots go
            depth = 0;
        }
        return count;
    }

    @Override
    @SuppressWarnings("unchecked")
    public K key(int i) {
        Object k = keys[i];
        if (k == null) {
            k = enc.decode(kbuf, koff[i], klen[i]);
            keys[i] = k;
        }
        return (K) k;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V value(int i) {
        return (V) vals[i];
    }

    // ------------------------------------------------------------------ place

    private Frame frame(int d) {
        if (d == frames.length) {
            frames = Arrays.copyOf(frames, d * 2);
        }
        Frame f = frames[d];
        if (f == null) {
            f = new Frame();
            f.strict = strict;
            frames[d] = f;
        }
        return f;
    }

    /** Records the slice of the link through which frame {@code d + 1} was entered. */
    private void setPrefix(int d, long slice) {
        int off = 8 * d;
        if (off + 8 > prefix.length) {
            prefix = Arrays.copyOf(prefix, Math.max(prefix.length * 2, off + 8));
        }
        for (int i = 0; i < 8; i++) {
            prefix[off + i] = (byte) (slice >>> (56 - 8 * i));
        }
    }

    /**
     * Snapshots {@code n} into {@code f} under a stable version.
     *
     * @throws Restart if {@code n} is deleted, or keeps changing
     */
    private void snapshot(Frame f, Border n) {
        for (int round = 0; round < MAX_HOPS; round++) {
            long v = n.stableVersion();
            if ((v & DELETED) != 0) {
                throw RESTART;
            }
            if (f.read(n, v)) {
                f.checkedIn = call;
                return;
            }
            retryPause(round);
        }
        throw RESTART;
    }

    /** Snapshots the leftmost or rightmost border node of {@code lay} into {@code f}. */
    private void edge(Frame f, Layer lay) {
        f.layer = lay;
        if (!descending) {
            snapshot(f, reach(lay, 0, 0, LEFTMOST));
            if (f.lowC >= 0) {
                throw RESTART; // routed by a stale interior node
            }
            f.pos = 0;
            return;
        }
        Border n = reach(lay, 0, 0, RIGHTMOST);
        for (int hops = 0; ; hops++) {
            snapshot(f, n);
            if (f.highC < 0) {
                break;
            }
            if (f.next == null || hops > MAX_HOPS) {
                throw RESTART;
            }
            n = f.next; // the rightmost node split after the descent: walk right
        }
        f.pos = f.cnt - 1;
    }

    /** Builds the stack from the start key: the last key returned, or the range's bound. */
    private void seek() {
        byte[] k;
        boolean inclusive;
        if (count > 0) {
            k = Arrays.copyOfRange(kbuf, koff[count - 1], koff[count - 1] + klen[count - 1]);
            inclusive = false;
        } else if (resume != null) {
            k = resume;
            inclusive = false;
        } else {
            k = start;
            inclusive = startInclusive;
        }
        depth = 0;
        Layer lay = top;
        for (int off = 0; ; off += 8) {
            Frame f = frame(depth++);
            if (k == null) {
                edge(f, lay);
                return;
            }
            long s = MasstreeMap.sliceAt(k, off);
            int c = MasstreeMap.classAt(k, off);
            f.layer = lay;
            Border n = borderFor(lay, s, c, at);
            if (!f.read(n, at[0])) {
                throw RESTART;
            }
            f.checkedIn = call;
            // Racy reads of the entries, validated below before anything is acted on.
            int pos = 0;
            int slot = -1;
            while (pos < f.cnt) {
                slot = f.slot(pos);
                if (cmpC(n.slices[slot], ord(n.lens[slot]), s, c) >= 0) {
                    break;
                }
                pos++;
            }
            boolean equal = pos < f.cnt && n.slices[slot] == s && ord(n.lens[slot]) == c;
            byte cls = equal ? n.lens[slot] : 0;
            // Acquire: a layer stored by a writer is seen fully built.
            Object sub = equal && cls == LINK ? n.valAcquire(slot) : null;
            byte[] suf = equal && cls == SUFFIX ? n.sufs[slot] : null;
            f.validate();
            if (equal) {
                if (cls == LINK) {
                    // k goes on below this link: position on it and continue in its layer.
                    if (!(sub instanceof Layer)) {
                        throw RESTART;
                    }
                    f.pos = pos;
                    setPrefix(depth - 1, s);
                    lay = (Layer) sub;
                    continue;
                }
                // The stored key against k: d < 0 below, d > 0 above. A suffix array is never
                // changed once stored, so its bytes need no validation of their own.
                int d = 0;
                if (cls == SUFFIX) {
                    if (suf == null) {
                        throw RESTART;
                    }
                    d = Arrays.compareUnsigned(suf, 0, suf.length, k, off + 8, k.length);
                }
                if (descending) {
                    f.pos = d < 0 || (d == 0 && inclusive) ? pos : pos - 1;
                } else {
                    f.pos = d > 0 || (d == 0 && inclusive) ? pos : pos + 1;
                }
            } else {
                f.pos = descending ? pos - 1 : pos;
            }
            return;
        }
    }

    /** Moves frame {@code f}, at the end of its snapshot, to the next border node of its layer. */
    private boolean step(Frame f) {
        if (!descending) {
            Border nx = f.next;
            if (nx == null) {
                return false;
            }
            snapshot(f, nx);
            f.pos = 0;
            return true;
        }
        if (f.lowC < 0) {
            return false;
        }
        Border target = f.node;
        long ls = f.lowS;
        int lc = f.lowC;
        Border l = reach(f.layer, ls, lc, BEFORE);
        for (int hops = 0; ; hops++) {
            if (l == null || hops > MAX_HOPS) {
                throw RESTART;
            }
            snapshot(f, l);
            if (f.next == target) {
                break; // validated with next == target: l's range ends at target's low fence
            }
            if (f.lowC >= 0 && cmpC(f.lowS, f.lowC, ls, lc) >= 0) {
                throw RESTART; // walked past where target was: it is gone
            }
            l = f.next;
        }
        f.pos = f.cnt - 1;
        return true;
    }

    /** Fills the batch from the place, up to {@code cap} entries or the end of the range. */
    private void fill() {
        int dir = descending ? -1 : 1;
        while (count < cap) {
            Frame f = frames[depth - 1];
            if (f.checkedIn != call) {
                // Snapshotted in an earlier call: its entries count only if the node is unchanged.
                if (f.changed(f.node, f.version)) {
                    throw RESTART;
                }
                f.checkedIn = call;
            }
            int i = f.pos;
            if (i < 0 || i >= f.cnt) {
                if (step(f)) {
                    continue;
                }
                // End of this layer: go on after (before) the link in the layer above.
                frames[depth - 1].node = null;
                if (--depth == 0) {
                    done = true;
                    return;
                }
                frames[depth - 1].pos += dir;
                continue;
            }
            // Racy reads of the entry at position i, trusted after f.validate() below (which also
            // re-proves, in this call, everything read from the node before).
            Border n = f.node;
            int slot = f.slot(i);
            byte cls = n.lens[slot];
            long s = n.slices[slot];
            // Acquire: a value or layer stored by a writer is seen fully built.
            Object val = n.valAcquire(slot);
            byte[] suf = cls == SUFFIX ? n.sufs[slot] : null;
            f.validate();
            if (cls == LINK) {
                Object sub = val;
                if (!(sub instanceof Layer)) {
                    throw RESTART;
                }
                setPrefix(depth - 1, s);
                edge(frame(depth++), (Layer) sub);
                continue;
            }
            if (cls == SUFFIX && suf == null) {
                throw RESTART;
            }
            int plen = 8 * (depth - 1);
            int inSlice = cls <= 8 ? cls : 8;
            int len = plen + inSlice + (suf == null ? 0 : suf.length);
            if (kused + len > kbuf.length) {
                kbuf = Arrays.copyOf(kbuf, Math.max(kbuf.length * 2, kused + len));
            }
            int o = kused;
            System.arraycopy(prefix, 0, kbuf, o, plen);
            for (int b = 0; b < inSlice; b++) {
                kbuf[o + plen + b] = (byte) (s >>> (56 - 8 * b));
            }
            if (suf != null) {
                System.arraycopy(suf, 0, kbuf, o + plen + inSlice, suf.length);
            }
            if (stop != null) {
                int cmp = Arrays.compareUnsigned(kbuf, o, o + len, stop, 0, stop.length);
                if (descending ? cmp < 0 || (cmp == 0 && !stopInclusive) : cmp > 0 || (cmp == 0 && !stopInclusive)) {
                    done = true;
                    return;
                }
            }
            koff[count] = o;
            klen[count] = len;
            vals[count] = val;
            count++;
            kused += len;
            f.pos = i + dir;
        }
    }
}
