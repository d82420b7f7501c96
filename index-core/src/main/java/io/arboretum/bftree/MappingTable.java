package io.arboretum.bftree;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Logical page id to leaf. A leaf object holds its disk slot and, if it has one, the address of
 * its mini-page in the pool, so the table maps an id to "mini-page and disk page" or "disk page"
 * through it; the pool's sweep finds a block's leaf here from the pid in the block's header. Ids are
 * allocated densely and never reused: a leaf that a merge absorbs leaves its slot empty (null),
 * so a log record or a pool block that names it finds nothing, never another leaf.
 *
 * <p>Installs are serialized by the monitor; lookups take no lock: the array reference and each
 * element are read with acquire and written with release, so a lookup that sees a leaf sees it
 * filled. A lookup racing with an install may miss the newest leaf; only the sweep and
 * single-threaded recovery look leaves up here, and a block in the pool names only a leaf that was
 * installed before the block was allocated (a split publishes the new leaf before it can own one).
 */
final class MappingTable {
    private Leaf[] table = new Leaf[64];
    private long nextPid;

    synchronized long allocatePid() {
        return nextPid++;
    }

    synchronized long nextPid() {
        return nextPid;
    }

    synchronized void reserveThrough(long pid) {
        nextPid = Math.max(nextPid, pid + 1);
    }

    synchronized void install(Leaf l) {
        if (l.pid >= Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("too many logical pages: " + l.pid);
        }
        Leaf[] t = table;
        if (l.pid >= t.length) {
            t = Arrays.copyOf(t, (int) Math.max(t.length * 2L, l.pid + 1));
            setTableRelease(t);
        }
        ELEMENT.setRelease(t, (int) l.pid, l);
        reserveThrough(l.pid);
    }

    /** Empties {@code pid}'s entry (its leaf was absorbed by a merge); the id is not reused. */
    synchronized void remove(long pid) {
        ELEMENT.setRelease(tableAcquire(), (int) pid, (Leaf) null);
    }

    Leaf get(long pid) {
        Leaf[] t = tableAcquire();
        return pid >= 0 && pid < t.length ? (Leaf) ELEMENT.getAcquire(t, (int) pid) : null;
    }

    /** Upper bound of the ids in use, for a sweep. */
    int capacity() {
        return tableAcquire().length;
    }

    // VarHandle mechanics

    private Leaf[] tableAcquire() {
        return (Leaf[]) TABLE.getAcquire(this);
    }

    private void setTableRelease(Leaf[] t) {
        TABLE.setRelease(this, t);
    }

    private static final VarHandle TABLE;
    private static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(Leaf[].class);

    static {
        try {
            TABLE = MethodHandles.lookup().findVarHandle(MappingTable.class, "table", Leaf[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
