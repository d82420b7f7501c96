package io.arboretum.bftree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Every invalid setting fails at build() with a message naming the option and the value. */
class BfTreeConfigTest {

    private static void refused(Consumer<BfTreeConfig.Builder> setting, String option, String value) {
        BfTreeConfig.Builder b = BfTreeConfig.builder();
        setting.accept(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().contains(option), e.getMessage());
        assertTrue(e.getMessage().contains("was " + value), e.getMessage());
    }

    @Test
    void invalidValuesAreRefusedByName() {
        refused(b -> b.pageSize(1000), "pageSize", "1000");
        refused(b -> b.pageSize(256), "pageSize", "256");
        refused(b -> b.pageSize(1 << 17), "pageSize", "131072");
        refused(b -> b.pageSize(-4096), "pageSize", "-4096");
        refused(b -> b.memoryBudget(4096), "memoryBudget", "4096");
        refused(b -> b.pageSize(1024).memoryBudget(16 * 1024 - 1), "memoryBudget", "16383");
        refused(b -> b.memoryBudget(-1), "memoryBudget", "-1");
        refused(b -> b.durability(null), "durability", "null");
        refused(b -> b.durability(Durability.async(Duration.ZERO)), "durability ASYNC interval", "PT0S");
        refused(b -> b.durability(Durability.async(Duration.ofMillis(-5))), "durability ASYNC interval", "PT-0.005S");
        refused(b -> b.durability(Durability.async(Duration.ofMinutes(2))), "durability ASYNC interval", "PT2M");
        refused(b -> b.walSegmentSize(100), "walSegmentSize", "100");
        refused(b -> b.walSegmentSize(2L << 30), "walSegmentSize", String.valueOf(2L << 30));
        refused(b -> b.checkpointLogBytes(-1), "checkpointLogBytes", "-1");
        assertThrows(NullPointerException.class, () -> Durability.async(null));
    }

    @Test
    void validValuesAreKept() {
        BfTreeConfig c = BfTreeConfig.builder().pageSize(512).memoryBudget(8192)
                .durability(Durability.async(Duration.ofMillis(20))).walSegmentSize(4096)
                .checkpointLogBytes(0).build();
        assertEquals(512, c.pageSize());
        assertEquals(8192, c.memoryBudget());
        assertEquals(Duration.ofMillis(20), c.durability().interval());
        assertEquals(4096, c.walSegmentSize());
        assertEquals(0, c.checkpointLogBytes());
        assertEquals(32, c.maxKeySize());
        assertTrue(c.maxValueSize() > 0);
        BfTreeConfig d = BfTreeConfig.defaults();
        assertEquals(4096, d.pageSize());
        assertTrue(d.durability().isSync());
    }

    @Test
    void limitsLetAnOverflowingLeafSplitIntoTwoPages() {
        for (int ps = BfTreeConfig.MIN_PAGE_SIZE; ps <= BfTreeConfig.MAX_PAGE_SIZE; ps <<= 1) {
            Limits l = Limits.of(ps);
            assertTrue((l.capacity + l.maxRecord) / 2 + l.maxRecord <= l.capacity, "page size " + ps);
            assertTrue(l.maxValue > 0 && l.maxRecord < 65536, "page size " + ps);
        }
    }
}
