package io.arboretum.testkit;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The kit's differential engine: runs the same seeded random operations on a map under test
 * (or one of its views) and on the same view of a {@link java.util.TreeMap}, and fails at the
 * first result or exception that differs, naming the seed, the configuration, the view path and
 * the operation.
 *
 * <p>Where {@code ConcurrentSkipListMap}'s sub-maps and {@code TreeMap}'s differ, the engine
 * expects the former: {@code replace} (both forms) with a key outside a view's range throws
 * {@link IllegalArgumentException}.
 */
final class Differential {

    /** A map under test and the reference it must match, reached by the same path of views. */
    static final class MapPair {
        final ConcurrentNavigableMap<Integer, Integer> m;
        final NavigableMap<Integer, Integer> r;
        final String path;
        final boolean isView;

        MapPair(ConcurrentNavigableMap<Integer, Integer> m, NavigableMap<Integer, Integer> r, String path,
                boolean isView) {
            this.m = m;
            this.r = r;
            this.path = path;
            this.isView = isView;
        }
    }

    /** A key set view under test and its reference. */
    static final class SetPair {
        final NavigableSet<Integer> m;
        final NavigableSet<Integer> r;
        final String path;

        SetPair(NavigableSet<Integer> m, NavigableSet<Integer> r, String path) {
            this.m = m;
            this.r = r;
            this.path = path;
        }
    }

    final Random rnd;
    final long seed;
    final String config;
    final int keyMin;
    final int keyMax;
    final MapPair root;
    private final Consumer<ConcurrentNavigableMap<?, ?>> invariants;
    private String where = "";
    private long opCount;

    Differential(long seed, String config, int keyMin, int keyMax, MapPair root,
                 Consumer<ConcurrentNavigableMap<?, ?>> invariants) {
        this.rnd = new Random(seed);
        this.seed = seed;
        this.config = config;
        this.keyMin = keyMin;
        this.keyMax = keyMax;
        this.root = root;
        this.invariants = invariants;
    }

    int key() {
        return keyMin + rnd.nextInt(keyMax - keyMin + 1);
    }

    int value() {
        return rnd.nextInt(6);
    }

    AssertionError failure(String msg) {
        return new AssertionError("[seed=" + seed + "L, " + config + ", op #" + opCount + " on " + where + "] " + msg
                + "\n  (rerun with -Darboretum.test.seed=" + seed + ")");
    }

    private static Object norm(Object o) {
        if (o instanceof Map.Entry) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            return new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue());
        }
        return o;
    }

    /** Runs both, compares their results or the classes of their exceptions. */
    void same(String op, Supplier<?> actual, Supplier<?> expected) {
        opCount++;
        Object e = null;
        Object a = null;
        String ex = null;
        String ax = null;
        try {
            e = norm(expected.get());
        } catch (RuntimeException t) {
            ex = t.getClass().getSimpleName();
        }
        try {
            a = norm(actual.get());
        } catch (RuntimeException t) {
            ax = t.getClass().getSimpleName() + "(" + t.getMessage() + ")";
            if (ex != null && ax.startsWith(ex + "(")) {
                ax = ex;
            }
        }
        if (!Objects.equals(ex, ax) || !Objects.equals(a, e)) {
            throw failure(op + ": expected " + (ex != null ? "exception " + ex : e) + " but got "
                    + (ax != null ? "exception " + ax : a));
        }
    }

    /** Whether a key lies in the reference view's range (TreeMap's sub-maps check bounds on subMap). */
    static boolean inRange(NavigableMap<Integer, Integer> r, int k) {
        try {
            r.subMap(k, true, k, true);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static <T> List<T> drain(Iterator<T> it) {
        List<T> out = new ArrayList<>();
        while (it.hasNext()) {
            T t = it.next();
            out.add(t instanceof Map.Entry ? (T) norm(t) : t);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Comparator<Integer> order(Comparator<? super Integer> c) {
        return c == null ? Comparator.naturalOrder() : (Comparator<Integer>) c;
    }

    /** Compares everything observable of a map view with its reference. */
    void assertSameView(MapPair p) {
        String saved = where;
        where = p.path + " (full comparison)";
        ConcurrentNavigableMap<Integer, Integer> m = p.m;
        NavigableMap<Integer, Integer> r = p.r;
        same("entrySet iteration", () -> drain(m.entrySet().iterator()), () -> drain(r.entrySet().iterator()));
        same("keySet iteration", () -> drain(m.keySet().iterator()), () -> drain(r.keySet().iterator()));
        same("values iteration", () -> drain(m.values().iterator()), () -> drain(r.values().iterator()));
        same("descendingMap iteration", () -> drain(m.descendingMap().entrySet().iterator()),
                () -> drain(r.descendingMap().entrySet().iterator()));
        same("descendingKeySet iteration", () -> drain(m.descendingKeySet().iterator()),
                () -> drain(r.descendingKeySet().iterator()));
        same("navigableKeySet.descendingIterator", () -> drain(m.navigableKeySet().descendingIterator()),
                () -> drain(r.navigableKeySet().descendingIterator()));
        same("size", m::size, r::size);
        same("isEmpty", m::isEmpty, r::isEmpty);
        same("firstKey", m::firstKey, r::firstKey);
        same("lastKey", m::lastKey, r::lastKey);
        same("equals(reference)", () -> m.equals(r), () -> true);
        same("reference.equals", () -> r.equals(m), () -> true);
        same("hashCode", m::hashCode, r::hashCode);
        same("toString", m::toString, r::toString);
        same("keySet equals", () -> m.keySet().equals(r.keySet()), () -> true);
        same("entrySet equals", () -> m.entrySet().equals(r.entrySet()), () -> true);
        same("stream of keys", () -> new ArrayList<>(m.keySet()), () -> new ArrayList<>(r.keySet()));
        Comparator<Integer> mc = order(m.comparator());
        Comparator<Integer> rc = order(r.comparator());
        for (int i = 0; i < 4; i++) {
            int a = key();
            int b = key();
            same("comparator().compare(" + a + ", " + b + ")", () -> Integer.signum(mc.compare(a, b)),
                    () -> Integer.signum(rc.compare(a, b)));
        }
        where = saved;
    }

    void checkRoot() {
        assertSameView(root);
        try {
            invariants.accept(root.m);
        } catch (RuntimeException e) {
            throw failure("invariants violated: " + e);
        }
    }

    /** Derives a random view of a map view, or returns null when both sides reject the bounds. */
    MapPair deriveMap(MapPair p) {
        Comparator<Integer> c = order(p.r.comparator());
        int a = key();
        int b = key();
        if (rnd.nextInt(4) != 0 && c.compare(a, b) > 0) {
            int t = a;
            a = b;
            b = t;
        }
        boolean ai = rnd.nextBoolean();
        boolean bi = rnd.nextBoolean();
        int fa = a;
        int fb = b;
        String desc;
        Supplier<ConcurrentNavigableMap<Integer, Integer>> mk;
        Supplier<NavigableMap<Integer, Integer>> rk;
        switch (rnd.nextInt(7)) {
            case 0:
                desc = ".descendingMap()";
                mk = p.m::descendingMap;
                rk = p.r::descendingMap;
                break;
            case 1:
                desc = ".subMap(" + a + ", " + ai + ", " + b + ", " + bi + ")";
                mk = () -> p.m.subMap(fa, ai, fb, bi);
                rk = () -> p.r.subMap(fa, ai, fb, bi);
                break;
            case 2:
                desc = ".subMap(" + a + ", " + b + ")";
                mk = () -> p.m.subMap(fa, fb);
                rk = () -> (NavigableMap<Integer, Integer>) p.r.subMap(fa, fb);
                break;
            case 3:
                desc = ".headMap(" + b + ", " + bi + ")";
                mk = () -> p.m.headMap(fb, bi);
                rk = () -> p.r.headMap(fb, bi);
                break;
            case 4:
                desc = ".headMap(" + b + ")";
                mk = () -> p.m.headMap(fb);
                rk = () -> (NavigableMap<Integer, Integer>) p.r.headMap(fb);
                break;
            case 5:
                desc = ".tailMap(" + a + ", " + ai + ")";
                mk = () -> p.m.tailMap(fa, ai);
                rk = () -> p.r.tailMap(fa, ai);
                break;
            default:
                desc = ".tailMap(" + a + ")";
                mk = () -> p.m.tailMap(fa);
                rk = () -> (NavigableMap<Integer, Integer>) p.r.tailMap(fa);
                break;
        }
        String saved = where;
        where = p.path + desc;
        Object[] made = new Object[2];
        same("create view", () -> {
            made[0] = mk.get();
            return "a view";
        }, () -> {
            made[1] = rk.get();
            return "a view";
        });
        where = saved;
        if (made[0] == null || made[1] == null) {
            return null;
        }
        @SuppressWarnings("unchecked")
        ConcurrentNavigableMap<Integer, Integer> mm = (ConcurrentNavigableMap<Integer, Integer>) made[0];
        @SuppressWarnings("unchecked")
        NavigableMap<Integer, Integer> rr = (NavigableMap<Integer, Integer>) made[1];
        return new MapPair(mm, rr, p.path + desc, true);
    }

    /** One random operation on a map view. */
    void mapOp(MapPair p) {
        where = p.path;
        ConcurrentNavigableMap<Integer, Integer> m = p.m;
        NavigableMap<Integer, Integer> r = p.r;
        int k = key();
        int v = value();
        int w = value();
        boolean in = inRange(r, k);
        switch (rnd.nextInt(36)) {
            case 0: same("get(" + k + ")", () -> m.get(k), () -> r.get(k)); break;
            case 1: same("containsKey(" + k + ")", () -> m.containsKey(k), () -> r.containsKey(k)); break;
            case 2: case 3: case 4:
                same("put(" + k + ", " + v + ")", () -> m.put(k, v), () -> r.put(k, v)); break;
            case 5: same("putIfAbsent(" + k + ", " + v + ")", () -> m.putIfAbsent(k, v), () -> r.putIfAbsent(k, v));
                break;
            case 6: case 7: same("remove(" + k + ")", () -> m.remove(k), () -> r.remove(k)); break;
            case 8: same("remove(" + k + ", " + v + ")", () -> m.remove(k, v), () -> r.remove(k, v)); break;
            case 9:
                same("replace(" + k + ", " + v + ")", () -> m.replace(k, v), () -> {
                    if (!in) {
                        throw new IllegalArgumentException("CSLM sub-maps reject replace out of range");
                    }
                    return r.replace(k, v);
                });
                break;
            case 10:
                same("replace(" + k + ", " + v + ", " + w + ")", () -> m.replace(k, v, w), () -> {
                    if (!in) {
                        throw new IllegalArgumentException("CSLM sub-maps reject replace out of range");
                    }
                    return r.replace(k, v, w);
                });
                break;
            case 11:
                same("computeIfAbsent(" + k + ")", () -> m.computeIfAbsent(k, Differential::absentFn),
                        () -> r.computeIfAbsent(k, Differential::absentFn));
                break;
            case 12:
                same("computeIfPresent(" + k + ")", () -> m.computeIfPresent(k, Differential::presentFn),
                        () -> r.computeIfPresent(k, Differential::presentFn));
                break;
            case 13:
                same("compute(" + k + ")", () -> m.compute(k, Differential::computeFn),
                        () -> r.compute(k, Differential::computeFn));
                break;
            case 14:
                same("merge(" + k + ", " + v + ")", () -> m.merge(k, v, Differential::mergeFn),
                        () -> r.merge(k, v, Differential::mergeFn));
                break;
            case 15: same("lowerKey(" + k + ")", () -> m.lowerKey(k), () -> r.lowerKey(k)); break;
            case 16: same("floorKey(" + k + ")", () -> m.floorKey(k), () -> r.floorKey(k)); break;
            case 17: same("ceilingKey(" + k + ")", () -> m.ceilingKey(k), () -> r.ceilingKey(k)); break;
            case 18: same("higherKey(" + k + ")", () -> m.higherKey(k), () -> r.higherKey(k)); break;
            case 19: same("lowerEntry(" + k + ")", () -> m.lowerEntry(k), () -> r.lowerEntry(k)); break;
            case 20: same("floorEntry(" + k + ")", () -> m.floorEntry(k), () -> r.floorEntry(k)); break;
            case 21: same("ceilingEntry(" + k + ")", () -> m.ceilingEntry(k), () -> r.ceilingEntry(k)); break;
            case 22: same("higherEntry(" + k + ")", () -> m.higherEntry(k), () -> r.higherEntry(k)); break;
            case 23:
                same("firstKey", m::firstKey, r::firstKey);
                same("lastKey", m::lastKey, r::lastKey);
                same("firstEntry", m::firstEntry, r::firstEntry);
                same("lastEntry", m::lastEntry, r::lastEntry);
                break;
            case 24: same("pollFirstEntry", m::pollFirstEntry, r::pollFirstEntry); break;
            case 25: same("pollLastEntry", m::pollLastEntry, r::pollLastEntry); break;
            case 26:
                same("size", m::size, r::size);
                same("isEmpty", m::isEmpty, r::isEmpty);
                break;
            case 27: same("containsValue(" + v + ")", () -> m.containsValue(v), () -> r.containsValue(v)); break;
            case 28: same("getOrDefault(" + k + ")", () -> m.getOrDefault(k, -1), () -> r.getOrDefault(k, -1));
                break;
            case 29: {
                Map.Entry<Integer, Integer> e = new AbstractMap.SimpleImmutableEntry<>(k, v);
                same("entrySet().contains(" + e + ")", () -> m.entrySet().contains(e), () -> r.entrySet().contains(e));
                same("entrySet().remove(" + e + ")", () -> m.entrySet().remove(e), () -> r.entrySet().remove(e));
                break;
            }
            case 30:
                same("values().contains(" + v + ")", () -> m.values().contains(v), () -> r.values().contains(v));
                same("values().remove(" + v + ")", () -> m.values().remove(v), () -> r.values().remove(v));
                break;
            case 31:
                same("keySet().remove(" + k + ")", () -> m.keySet().remove(k), () -> r.keySet().remove(k));
                same("keySet().contains(" + k + ")", () -> m.keySet().contains(k), () -> r.keySet().contains(k));
                break;
            case 32: case 33:
                iterate(p);
                break;
            case 34:
                if (rnd.nextInt(8) == 0) {
                    same("clear", () -> {
                        m.clear();
                        return null;
                    }, () -> {
                        r.clear();
                        return null;
                    });
                }
                break;
            default:
                same("descendingMap().firstKey", () -> m.descendingMap().firstKey(), () -> r.descendingMap().firstKey());
                same("navigableKeySet().pollFirst", () -> m.navigableKeySet().pollFirst(),
                        () -> r.navigableKeySet().pollFirst());
                break;
        }
    }

    /** Iterates one of the views' iterators in lockstep with the reference, removing some. */
    void iterate(MapPair p) {
        int which = rnd.nextInt(6);
        Iterator<?> mi;
        Iterator<?> ri;
        String name;
        switch (which) {
            case 0: mi = p.m.entrySet().iterator(); ri = p.r.entrySet().iterator(); name = "entrySet"; break;
            case 1: mi = p.m.keySet().iterator(); ri = p.r.keySet().iterator(); name = "keySet"; break;
            case 2: mi = p.m.values().iterator(); ri = p.r.values().iterator(); name = "values"; break;
            case 3: mi = p.m.descendingMap().entrySet().iterator(); ri = p.r.descendingMap().entrySet().iterator();
                name = "descendingMap().entrySet"; break;
            case 4: mi = p.m.descendingKeySet().iterator(); ri = p.r.descendingKeySet().iterator();
                name = "descendingKeySet"; break;
            default: mi = p.m.navigableKeySet().descendingIterator(); ri = p.r.navigableKeySet().descendingIterator();
                name = "descendingIterator"; break;
        }
        int removeOdds = 1 + rnd.nextInt(4);
        same(name + " iterator remove before next", () -> {
            mi.remove();
            return null;
        }, () -> {
            ri.remove();
            return null;
        });
        int steps = 0;
        while (true) {
            boolean mh = mi.hasNext();
            boolean rh = ri.hasNext();
            if (mh != rh) {
                throw failure(name + " iterator hasNext() = " + mh + " but reference says " + rh + " after " + steps);
            }
            if (!mh) {
                break;
            }
            same(name + " iterator next #" + steps, mi::next, ri::next);
            steps++;
            if (rnd.nextInt(removeOdds + 1) == 0) {
                same(name + " iterator remove", () -> {
                    mi.remove();
                    return null;
                }, () -> {
                    ri.remove();
                    return null;
                });
                if (rnd.nextInt(4) == 0) {
                    same(name + " iterator remove twice", () -> {
                        mi.remove();
                        return null;
                    }, () -> {
                        ri.remove();
                        return null;
                    });
                }
            }
        }
        same(name + " iterator next at end", mi::next, ri::next);
    }

    /** Derives a random view of a key set view, or null when both sides reject the bounds. */
    SetPair deriveSet(SetPair p) {
        Comparator<Integer> c = order(p.r.comparator());
        int a = key();
        int b = key();
        if (rnd.nextInt(4) != 0 && c.compare(a, b) > 0) {
            int t = a;
            a = b;
            b = t;
        }
        boolean ai = rnd.nextBoolean();
        boolean bi = rnd.nextBoolean();
        int fa = a;
        int fb = b;
        String desc;
        Supplier<NavigableSet<Integer>> mk;
        Supplier<NavigableSet<Integer>> rk;
        switch (rnd.nextInt(7)) {
            case 0: desc = ".descendingSet()"; mk = p.m::descendingSet; rk = p.r::descendingSet; break;
            case 1: desc = ".subSet(" + a + ", " + ai + ", " + b + ", " + bi + ")";
                mk = () -> p.m.subSet(fa, ai, fb, bi); rk = () -> p.r.subSet(fa, ai, fb, bi); break;
            case 2: desc = ".subSet(" + a + ", " + b + ")";
                mk = () -> (NavigableSet<Integer>) p.m.subSet(fa, fb);
                rk = () -> (NavigableSet<Integer>) p.r.subSet(fa, fb); break;
            case 3: desc = ".headSet(" + b + ", " + bi + ")";
                mk = () -> p.m.headSet(fb, bi); rk = () -> p.r.headSet(fb, bi); break;
            case 4: desc = ".headSet(" + b + ")";
                mk = () -> (NavigableSet<Integer>) p.m.headSet(fb);
                rk = () -> (NavigableSet<Integer>) p.r.headSet(fb); break;
            case 5: desc = ".tailSet(" + a + ", " + ai + ")";
                mk = () -> p.m.tailSet(fa, ai); rk = () -> p.r.tailSet(fa, ai); break;
            default: desc = ".tailSet(" + a + ")";
                mk = () -> (NavigableSet<Integer>) p.m.tailSet(fa);
                rk = () -> (NavigableSet<Integer>) p.r.tailSet(fa); break;
        }
        String saved = where;
        where = p.path + desc;
        Object[] made = new Object[2];
        same("create set view", () -> {
            made[0] = mk.get();
            return "a view";
        }, () -> {
            made[1] = rk.get();
            return "a view";
        });
        where = saved;
        if (made[0] == null || made[1] == null) {
            return null;
        }
        @SuppressWarnings("unchecked")
        NavigableSet<Integer> ms = (NavigableSet<Integer>) made[0];
        @SuppressWarnings("unchecked")
        NavigableSet<Integer> rs = (NavigableSet<Integer>) made[1];
        return new SetPair(ms, rs, p.path + desc);
    }

    /** One random operation on a key set view. */
    void setOp(SetPair p) {
        where = p.path;
        NavigableSet<Integer> m = p.m;
        NavigableSet<Integer> r = p.r;
        int k = key();
        switch (rnd.nextInt(14)) {
            case 0: same("contains(" + k + ")", () -> m.contains(k), () -> r.contains(k)); break;
            case 1: case 2: same("remove(" + k + ")", () -> m.remove(k), () -> r.remove(k)); break;
            case 3: same("lower(" + k + ")", () -> m.lower(k), () -> r.lower(k)); break;
            case 4: same("floor(" + k + ")", () -> m.floor(k), () -> r.floor(k)); break;
            case 5: same("ceiling(" + k + ")", () -> m.ceiling(k), () -> r.ceiling(k)); break;
            case 6: same("higher(" + k + ")", () -> m.higher(k), () -> r.higher(k)); break;
            case 7:
                same("first", m::first, r::first);
                same("last", m::last, r::last);
                break;
            case 8: same("pollFirst", m::pollFirst, r::pollFirst); break;
            case 9: same("pollLast", m::pollLast, r::pollLast); break;
            case 10:
                same("size", m::size, r::size);
                same("isEmpty", m::isEmpty, r::isEmpty);
                break;
            case 11: same("add(" + k + ")", () -> m.add(k), () -> r.add(k)); break;
            case 12:
                same("iteration", () -> drain(m.iterator()), () -> drain(r.iterator()));
                same("descendingIterator", () -> drain(m.descendingIterator()), () -> drain(r.descendingIterator()));
                same("equals", () -> m.equals(r), () -> true);
                same("toArray", () -> List.of(m.toArray()), () -> List.of(r.toArray()));
                break;
            default: {
                List<Integer> some = List.of(key(), key(), key());
                same("removeAll(" + some + ")", () -> m.removeAll(some), () -> r.removeAll(some));
                break;
            }
        }
    }

    /** Loads keys into the root map and the reference, comparing each put. */
    void load(Collection<Integer> keys) {
        where = "root (load)";
        for (int k : keys) {
            int v = value();
            same("put(" + k + ", " + v + ")", () -> root.m.put(k, v), () -> root.r.put(k, v));
        }
    }

    static Integer absentFn(Integer k) {
        return k % 3 == 0 ? null : k % 7;
    }

    static Integer presentFn(Integer k, Integer v) {
        return v % 3 == 0 ? null : (v + k) % 6;
    }

    static Integer computeFn(Integer k, Integer v) {
        if (v == null) {
            return k % 2 == 0 ? null : k % 6;
        }
        return v % 4 == 0 ? null : (v + 1) % 6;
    }

    static Integer mergeFn(Integer a, Integer b) {
        return (a + b) % 5 == 0 ? null : (a + b) % 6;
    }
}
