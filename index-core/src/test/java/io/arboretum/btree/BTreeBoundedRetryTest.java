package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Readers finish under a writer that never pauses. A writer thread puts and removes odd keys
 * around and inside the reader's range as fast as it can, at capacity 4 (so it splits, merges and
 * redistributes constantly); the reader's navigation, polls, batch copies and iterators, with the
 * default optimistic attempts and with none (every call through the latched fallback), must each
 * complete {@code N} calls within a generous timeout and return answers consistent with the even
 * keys, which are present throughout.
 */
class BTreeBoundedRetryTest {
    static final int SCALE = Math.max(1, Integer.getInteger("arboretum.test.scale", 1));

    @ParameterizedTest(name = "optimisticAttempts={0}")
    @ValueSource(ints = {ConcurrentBTreeMap.OPTIMISTIC_ATTEMPTS, 1, 0})
    void readersFinishUnderAWriterThatNeverPauses(int attempts) throws Exception {
        ConcurrentBTreeMap<Integer, Integer> map = ConcurrentBTreeMap.<Integer, Integer>builder()
                .nodeCapacity(4).mergeThreshold(2).optimisticAttempts(attempts).build();
        int lo = 1_000;
        int hi = 1_200;
        for (int k = 0; k <= 2 * hi; k += 2) {
            map.put(k, k);
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            Random rnd = new Random(7);
            while (!stop.get()) {
                int k = lo - 40 + 2 * rnd.nextInt((hi - lo) / 2 + 40) + 1; // odd keys in and around the range
                if (rnd.nextBoolean()) {
                    map.put(k, k);
                } else {
                    map.remove(k);
                }
            }
        });
        writer.setDaemon(true);
        writer.start();
        int n = 20_000 * SCALE;
        Thread reader = new Thread(() -> readAll(map, lo, hi, n));
        Throwable[] failure = new Throwable[1];
        reader.setUncaughtExceptionHandler((t, e) -> failure[0] = e);
        reader.setDaemon(true);
        try {
            reader.start();
            reader.join(240_000);
            assertTrue(!reader.isAlive(), "the reader did not finish " + n + " rounds under the writer");
        } finally {
            stop.set(true);
            writer.join(60_000);
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
        assertTrue(!writer.isAlive(), "the writer did not stop");
        map.checkInvariants();
    }

    private static void readAll(ConcurrentBTreeMap<Integer, Integer> map, int lo, int hi, int n) {
        Random rnd = new Random(11);
        NavigableMap<Integer, Integer> sub = map.subMap(lo, true, hi, true);
        for (int i = 0; i < n; i++) {
            int k = lo + 2 * rnd.nextInt((hi - lo) / 2); // an even key, present throughout
            switch (i % 8) {
                case 0:
                    assertEquals(k, map.ceilingKey(k));
                    assertEquals(k, map.floorKey(k));
                    break;
                case 1: {
                    int h = map.higherKey(k);
                    assertTrue(h == k + 1 || h == k + 2, k + " -> higher " + h);
                    int l = map.lowerKey(k + 2);
                    assertTrue(l == k || l == k + 1, (k + 2) + " -> lower " + l);
                    break;
                }
                case 2:
                    assertEquals(0, map.firstKey());
                    assertEquals(2 * hi, map.lastKey());
                    break;
                case 3: { // a poll in a range that only this thread's even key and the writer's odd keys share
                    Map.Entry<Integer, Integer> e = map.subMap(k, true, k + 1, true).pollFirstEntry();
                    assertEquals(k, e.getKey());
                    map.put(k, k);
                    Map.Entry<Integer, Integer> d = map.subMap(k - 1, true, k, true).pollLastEntry();
                    assertEquals(k, d.getKey());
                    map.put(k, k);
                    break;
                }
                case 4:
                case 5: { // ascending (leaf cursor) and descending (batch copies) scans of the range
                    boolean desc = i % 8 == 5;
                    Iterator<Integer> it = (desc ? sub.descendingMap() : sub).keySet().iterator();
                    int expectEven = desc ? hi : lo;
                    Integer prev = null;
                    while (it.hasNext()) {
                        int x = it.next();
                        assertTrue(prev == null || (desc ? x < prev : x > prev), "order: " + prev + " then " + x);
                        if (x % 2 == 0) {
                            assertEquals(expectEven, x, "an even key present throughout was skipped");
                            expectEven += desc ? -2 : 2;
                        }
                        prev = x;
                    }
                    assertEquals(desc ? lo - 2 : hi + 2, expectEven);
                    break;
                }
                case 6: {
                    Object[] ks = new Object[8];
                    Object[] vs = new Object[8];
                    boolean desc = i % 16 == 6;
                    int m = desc ? map.copyBatch(null, false, k, true, true, ks, vs)
                            : map.copyBatch(k, true, null, false, false, ks, vs);
                    assertTrue(m > 0 && ks[0].equals(k), "batch from " + k + " starts at " + ks[0]);
                    break;
                }
                default:
                    assertEquals(k, map.get(k));
                    break;
            }
        }
    }
}
