package io.arboretum.bftree;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * What a latched leaf can do with its two homes, the mini-page in the {@link MiniPagePool} and the
 * page in the {@link PageFile}: look a key up, build the leaf's whole content, make room for a
 * write in the mini-page, apply a write there, write a merged page to a new slot, evict, flush for
 * a checkpoint, promote for a scan. The tree decides when (and logs first); this class only does.
 *
 * <p>Every method is called with the leaf's latch held: exclusive for anything that changes the
 * leaf or its mini-page, shared or exclusive for {@link #image} with {@code learn} false. None
 * waits for the pool: allocation is {@link MiniPagePool#tryAllocate}, so a thread holding a latch
 * never waits for the sweep (which may itself wait for that latch).
 */
final class LeafStore {
    final MiniPagePool pool;
    final PageFile pages;
    final Limits limits;

    LeafStore(MiniPagePool pool, PageFile pages, Limits limits) {
        this.pool = pool;
        this.pages = pages;
        this.limits = limits;
    }

    // ------------------------------------------------------------------ reading

    /** Reads and checks {@code l}'s disk page. */
    LeafImage readPage(Leaf l) {
        try {
            ByteBuffer b = pages.read(l.slot);
            LeafPage.Records r = LeafPage.decode(b, limits.pageSize, l.pid, l.low, l.high, pages.path,
                    (long) l.slot * limits.pageSize);
            return new LeafImage(l.low, l.high, r.keys, r.values);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read page " + l.slot + " of " + pages.path, e);
        }
    }

    /**
     * For a scan of a leaf that has no mini-page (exclusive latch): reads its page and makes it a
     * FULL mini-page by copying the page's record bytes as they are ({@link MiniPage#fromPage}),
     * decoding no record. Returns the leaf's content only if that was not possible (no block
     * free, or the records do not fit a block), else null: the new FULL mini-page holds it.
     */
    LeafImage promoteFromPage(Leaf l) {
        ByteBuffer b;
        int count;
        try {
            b = pages.read(l.slot);
            count = LeafPage.check(b, limits.pageSize, l.pid, l.low, l.high, pages.path, (long) l.slot * limits.pageSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read page " + l.slot + " of " + pages.path, e);
        }
        int start = LeafPage.recordsStart(l.low, l.high);
        int end = LeafPage.recordsEnd(b, l.low, l.high, count);
        l.diskBytes = end - start;
        long n = MiniPage.fromPage(pool, l.pid, b, start, end, count);
        if (n == MiniPagePool.NONE) {
            LeafPage.Records r = LeafPage.records(b, l.low, l.high, count);
            return new LeafImage(l.low, l.high, r.keys, r.values);
        }
        l.setMiniRelease(n); // the release publishes the filled block to optimistic readers
        return null;
    }

    /**
     * The value of {@code k} in {@code l} (exclusive latch): the mini-page decides if it holds
     * the key or is FULL; otherwise the disk page is read, and with {@code cache} a record found
     * there is copied into the mini-page as CLEAN if room is free without evicting anything.
     */
    byte[] lookup(Leaf l, byte[] k, boolean cache) {
        long a = l.miniAcquire();
        if (a != MiniPagePool.NONE) {
            int i = MiniPage.find(pool, a, k);
            if (i >= 0) {
                return MiniPage.isTomb(MiniPage.kind(pool, a, i)) ? null : MiniPage.value(pool, a, i);
            }
            if ((MiniPage.flags(pool, a) & MiniPage.FULL) != 0) {
                return null;
            }
        }
        LeafImage page = readPage(l);
        l.diskBytes = page.recordBytes;
        int i = page.search(k);
        byte[] v = i >= 0 ? page.values[i] : null;
        if (cache && v != null && reserve(l, k, v, false)) {
            long m = l.miniAcquire();
            MiniPage.insert(pool, m, -MiniPage.find(pool, m, k) - 1, k, v, MiniPage.CLEAN);
        }
        return v;
    }

    /**
     * The leaf's whole content: from a FULL mini-page alone, otherwise the disk page with the
     * mini-page's dirty records and tombstones laid over it (a CLEAN record equals the page's).
     * With {@code learn} (exclusive latch) the page's size is remembered in {@code diskBytes}.
     */
    LeafImage image(Leaf l, boolean learn) {
        long a = l.miniAcquire();
        if (a != MiniPagePool.NONE && (MiniPage.flags(pool, a) & MiniPage.FULL) != 0) {
            MiniPage.Entries e = MiniPage.decode(pool, a);
            MiniPage.Entries live = new MiniPage.Entries(e.count);
            for (int i = 0; i < e.count; i++) {
                if (!MiniPage.isTomb(e.kinds[i])) {
                    live.add(e.keys[i], e.values[i], e.kinds[i]);
                }
            }
            return new LeafImage(l.low, l.high, java.util.Arrays.copyOf(live.keys, live.count),
                    java.util.Arrays.copyOf(live.values, live.count));
        }
        LeafImage img = readPage(l);
        if (learn) {
            l.diskBytes = img.recordBytes;
        }
        if (a != MiniPagePool.NONE) {
            int n = MiniPage.count(pool, a);
            for (int i = 0; i < n; i++) {
                int kind = MiniPage.kind(pool, a, i);
                if (kind == MiniPage.DIRTY) {
                    img.apply(MiniPage.key(pool, a, i), MiniPage.value(pool, a, i));
                } else if (kind == MiniPage.TOMB_DIRTY) {
                    img.apply(MiniPage.key(pool, a, i), null);
                }
            }
        }
        return img;
    }

    // ------------------------------------------------------------------ writing into the mini-page

    /**
     * Makes room in {@code l}'s mini-page for a record of {@code k} and {@code v} (null: a
     * tombstone): creates the mini-page (the smallest block that holds it), compacts it, or grows
     * it by doubling up to a page; with {@code dropClean}, drops its CLEAN records and clean
     * tombstones as a last resort. Changes no record's value, so it may run before the write is
     * logged. Exclusive latch.
     *
     * @return false if there is no room without merging: the mini-page is a page of dirty records,
     *         or the pool has no free block right now
     */
    boolean reserve(Leaf l, byte[] k, byte[] v, boolean dropClean) {
        int need = MiniPage.footprint(k, v);
        long a = l.miniAcquire();
        if (a == MiniPagePool.NONE) {
            int size = pool.blockFor(MiniPage.SLOTS + need);
            long n = size < 0 ? MiniPagePool.NONE : pool.tryAllocate(size, l.pid);
            if (n == MiniPagePool.NONE) {
                return false;
            }
            MiniPage.init(pool, n, 0);
            l.setMiniRelease(n); // the release publishes the initialized block to optimistic readers
            return true;
        }
        if (MiniPage.find(pool, a, k) >= 0) {
            need -= MiniPage.SLOT; // a replacement reuses the slot
        }
        if (MiniPage.room(pool, a) >= need) {
            return true;
        }
        MiniPage.Entries e = MiniPage.decode(pool, a);
        int flags = MiniPage.flags(pool, a);
        int size = MiniPage.size(pool, a);
        int required = MiniPage.SLOTS + e.footprint() + need;
        if (required <= size) {
            MiniPage.write(pool, a, e, flags); // compaction in place: e is a heap copy
            return true;
        }
        if (required <= pool.maxBlock) {
            int grown = Math.max(pool.blockFor(required), Math.min(2 * size, pool.maxBlock));
            long n = pool.tryAllocate(grown, l.pid);
            if (n != MiniPagePool.NONE) {
                MiniPage.write(pool, n, e, flags);
                pool.release(a);
                l.setMiniRelease(n); // the old block stays readable until the sweep and the epochs free it
                return true;
            }
        }
        if (dropClean) {
            MiniPage.Entries kept = new MiniPage.Entries(e.count);
            for (int i = 0; i < e.count; i++) {
                if (MiniPage.isDirty(e.kinds[i])) {
                    kept.add(e.keys[i], e.values[i], e.kinds[i]);
                }
            }
            if (kept.count < e.count && MiniPage.SLOTS + kept.footprint() + MiniPage.footprint(k, v) <= size) {
                MiniPage.write(pool, a, kept, flags & ~MiniPage.FULL); // no longer every record
                return true;
            }
        }
        return false;
    }

    /** Applies a write (null {@code v}: a delete) to the mini-page as DIRTY; {@link #reserve} made room. */
    void installBlind(Leaf l, byte[] k, byte[] v) {
        long a = l.miniAcquire();
        int kind = v == null ? MiniPage.TOMB_DIRTY : MiniPage.DIRTY;
        int i = MiniPage.find(pool, a, k);
        if (i >= 0) {
            int old = MiniPage.kind(pool, a, i);
            if (old == MiniPage.DIRTY) {
                l.dirtyPutBytes -= MiniPage.recordBytes(pool, a, i);
            }
            if (MiniPage.isDirty(old)) {
                l.dirtyCount--;
            }
            MiniPage.replace(pool, a, i, k, v, kind);
        } else {
            MiniPage.insert(pool, a, -i - 1, k, v, kind);
        }
        if (v != null) {
            l.dirtyPutBytes += Limits.recordBytes(k, v);
        }
        l.dirtyCount++;
    }

    // ------------------------------------------------------------------ pages

    /** Writes {@code img} of logical page {@code pid} to a new slot (shadow slots: see {@link PageFile}). */
    int writeImage(LeafImage img, long pid) throws IOException {
        int s = pages.allocate();
        try {
            ByteBuffer buf = ByteBuffer.allocate(limits.pageSize);
            LeafPage.encode(buf, limits.pageSize, pid, img.low, img.high, img.keys, img.values, img.count);
            pages.write(s, buf);
        } catch (IOException | RuntimeException e) {
            pages.release(s); // never named by a checkpoint: free again at once
            throw e;
        }
        return s;
    }

    /** Makes slot {@code s}, holding {@code img}, the leaf's page and drops the mini-page. Cannot fail. */
    void installImage(Leaf l, LeafImage img, int s) {
        if (l.slot >= 0) {
            pages.release(l.slot);
        }
        l.slot = s;
        l.diskBytes = img.recordBytes;
        l.deletedBytes = 0; // the page now lacks what was deleted
        dropMini(l);
    }

    /** Forgets the mini-page (its dirty records must be in the page by now). */
    void dropMini(Leaf l) {
        long a = l.miniAcquire();
        if (a != MiniPagePool.NONE) {
            pool.release(a);
            l.setMiniRelease(MiniPagePool.NONE); // readers holding the old address read intact bytes (epochs)
        }
        l.dirtyCount = 0;
        l.dirtyPutBytes = 0;
    }

    /**
     * Evicts the mini-page: merges its dirty records into a new page first. The leaf's records
     * do not change. Exclusive latch.
     */
    void evict(Leaf l) throws IOException {
        if (l.dirty()) {
            LeafImage img = image(l, false);
            installImage(l, img, writeImage(img, l.pid));
        } else {
            dropMini(l);
        }
    }

    /**
     * For a checkpoint: merges the dirty records into a new page and keeps the mini-page as a
     * cache (its records become CLEAN, its tombstones clean). Exclusive latch.
     */
    void flush(Leaf l) throws IOException {
        if (!l.dirty()) {
            return;
        }
        LeafImage img = image(l, false);
        int s = writeImage(img, l.pid);
        pages.release(l.slot);
        l.slot = s;
        l.diskBytes = img.recordBytes;
        l.deletedBytes = 0; // the page now lacks what was deleted
        long a = l.miniAcquire();
        int n = MiniPage.count(pool, a);
        for (int i = 0; i < n; i++) {
            int kind = MiniPage.kind(pool, a, i);
            if (MiniPage.isDirty(kind)) {
                MiniPage.setKind(pool, a, i, kind == MiniPage.DIRTY ? MiniPage.CLEAN : MiniPage.TOMB_CLEAN);
            }
        }
        l.dirtyCount = 0;
        l.dirtyPutBytes = 0;
    }

    /**
     * For a scan: replaces the mini-page by a FULL one holding {@code img} (the leaf's content)
     * with the dirty records and tombstones kept dirty, if it fits a page and the pool has a
     * block free. The leaf's records do not change. Exclusive latch.
     */
    void promote(Leaf l, LeafImage img) {
        long a = l.miniAcquire();
        if (a != MiniPagePool.NONE && (MiniPage.flags(pool, a) & MiniPage.FULL) != 0) {
            return;
        }
        MiniPage.Entries d = a == MiniPagePool.NONE ? new MiniPage.Entries(0) : MiniPage.decode(pool, a);
        MiniPage.Entries e = new MiniPage.Entries(img.count + d.count);
        int i = 0;
        int j = 0;
        while (i < img.count || j < d.count) {
            int c = i == img.count ? 1 : j == d.count ? -1 : java.util.Arrays.compareUnsigned(img.keys[i], d.keys[j]);
            if (c < 0) {
                e.add(img.keys[i], img.values[i], MiniPage.CLEAN);
                i++;
            } else if (c > 0) {
                if (d.kinds[j] == MiniPage.TOMB_DIRTY) {
                    e.add(d.keys[j], null, MiniPage.TOMB_DIRTY); // the page still has it
                }
                j++;
            } else {
                e.add(img.keys[i], img.values[i], d.kinds[j] == MiniPage.DIRTY ? MiniPage.DIRTY : MiniPage.CLEAN);
                i++;
                j++;
            }
        }
        int size = pool.blockFor(MiniPage.SLOTS + e.footprint());
        long n = size < 0 ? MiniPagePool.NONE : pool.tryAllocate(size, l.pid);
        if (n == MiniPagePool.NONE) {
            return;
        }
        MiniPage.write(pool, n, e, MiniPage.FULL);
        if (a != MiniPagePool.NONE) {
            pool.release(a);
        }
        l.setMiniRelease(n); // same records, new place: readers of the old block still read them (epochs)
    }
}
