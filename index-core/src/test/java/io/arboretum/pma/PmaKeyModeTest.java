package io.arboretum.pma;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.keys.KeyEncoders;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Every key type in both storage modes: primitive longs for the types whose shared encoding fits
 * in eight bytes (Long, Integer, Short, Byte, Character, and a fixed-width encoder), objects for
 * the rest (String, UUID, Instant, a variable-length encoder); extremes and sign changes included,
 * in random order, against a TreeMap.
 */
class PmaKeyModeTest {

    private static <K extends Comparable<K>> void check(String what, IntFunction<K> key, int n,
                                                        PackedMemoryArrayMap<K, Integer> m, boolean exact) {
        TreeMap<K, Integer> ref = new TreeMap<>(m.comparator());
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(what.hashCode()));
        for (int i : idx) {
            K k = key.apply(i);
            assertEquals(ref.put(k, i), m.put(k, i), what);
        }
        m.checkInvariants();
        assertEquals(ref, m, what);
        assertEquals(new ArrayList<>(ref.keySet()), new ArrayList<>(m.keySet()), what);
        assertEquals(new ArrayList<>(ref.descendingMap().entrySet()), new ArrayList<>(m.descendingMap().entrySet()), what);
        for (int i = 0; i < n; i += 3) {
            K k = key.apply(i);
            assertEquals(ref.remove(k), m.remove(k), what);
        }
        m.checkInvariants();
        assertEquals(ref, m, what);
        assertEquals(exact, m.storesLongs(), what + ": storage mode");
    }

    private static <K, V> PackedMemoryArrayMap<K, V> small() {
        return PackedMemoryArrayMap.<K, V>builder().segmentSize(4).build();
    }

    @Test
    void typesWithEightByteEncodingsAreStoredAsLongs() {
        PmaKeyModeTest.<Long>check("Long", i -> (i % 2 == 0 ? 1 : -1) * (long) i * 0x0123_4567_89ABL
                + (i == 0 ? Long.MIN_VALUE : i == 1 ? Long.MAX_VALUE : 0), 600, small(), true);
        PmaKeyModeTest.<Integer>check("Integer", i -> i == 0 ? Integer.MIN_VALUE : i == 1 ? Integer.MAX_VALUE : (i - 300) * 7919, 600, small(),
                true);
        PmaKeyModeTest.<Short>check("Short", i -> (short) (i * 97 - 30000), 600, small(), true);
        PmaKeyModeTest.<Byte>check("Byte", i -> (byte) (i - 128), 256, small(), true);
        PmaKeyModeTest.<Character>check("Character", i -> (char) (i == 0 ? 0xFFFF : i * 101), 600, small(), true);
        PackedMemoryArrayMap<Long, Integer> enc = PackedMemoryArrayMap.<Long, Integer>builder().segmentSize(4)
                .keyEncoder(KeyEncoders.longs()).build();
        check("Long through its KeyEncoder", i -> (long) i * -977, 600, enc, true);
    }

    @Test
    void otherTypesAreStoredAsObjects() {
        PmaKeyModeTest.<String>check("String", i -> (i % 3 == 0 ? "\uD83D\uDE00" : i % 3 == 1 ? "\uE000" : "a") + Integer.toString(i, 7), 600,
                small(), false);
        PmaKeyModeTest.<UUID>check("UUID", i -> new UUID(i * 0x1234_5678_9ABCL, -i), 600, small(), false);
        PmaKeyModeTest.<Instant>check("Instant", i -> Instant.ofEpochSecond(i - 300, i * 1000), 600, small(), false);
        KeyEncoder<String> strings = KeyEncoders.strings();
        PackedMemoryArrayMap<String, Integer> enc = PackedMemoryArrayMap.<String, Integer>builder().segmentSize(5)
                .keyEncoder(strings).build();
        check("String through its KeyEncoder", i -> "k" + (i * 31 % 1000), 600, enc, false);
    }
}
