package io.arboretum.sync;

import io.arboretum.btree.OffHeapLongBTreeMap;
import java.util.Random;

/**
 * Test-only program run in a child JVM by {@link EpochManagerReachabilityTest} under
 * {@code -XX:MaxDirectMemorySize=256m}: on its one long-lived thread it creates, uses and drops
 * (without closing) far more off-heap maps than 256 MiB can hold at once, each left with nodes
 * retired but not yet reclaimed (so its epoch manager still refers to it).
 *
 * <p>Exit codes: 0 when every map was created and used; 2 when direct memory ran out (the dropped
 * maps were not released); 3 when too few maps had retired nodes pending at the drop, which would
 * make the check vacuous.
 */
final class EpochManagerUnclosedMapsMain {
    private EpochManagerUnclosedMapsMain() {
    }

    /**
     * Runs the workload.
     *
     * @param args optional: the number of maps (default 2,000)
     */
    public static void main(String[] args) {
        int maps = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        Random random = new Random(14);
        int withPending = 0;
        try {
            for (int i = 0; i < maps; i++) {
                // Capacity 4: nodes of 80 bytes in one direct chunk of 640 KiB, reserved when the map
                // is built; 2,000 maps hold 1.25 GiB if none is released.
                OffHeapLongBTreeMap map = OffHeapLongBTreeMap.builder().nodeCapacity(4).build();
                if (EpochManagerReachabilityTest.useAndShrink(map, random) > 0) {
                    withPending++;
                }
                // Dropped here, not closed.
            }
        } catch (OutOfMemoryError e) {
            System.err.println("direct memory exhausted after dropping unclosed maps: " + e);
            System.exit(2);
        }
        if (withPending < maps / 2) {
            System.err.println("only " + withPending + " of " + maps + " maps had retired nodes pending");
            System.exit(3);
        }
        System.out.println(maps + " unclosed maps created and dropped; " + withPending
                + " had retired nodes pending at the drop");
        System.exit(0);
    }
}
