package io.arboretum.btree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.keys.KeyEncoders;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The B+tree's prefixes are the shared ones of {@code io.arboretum.keys}: each codec's prefix is
 * the built-in encoder's, exact codecs rebuild their keys, and maps of strings whose prefixes tie
 * (8 shared bytes, non-ASCII units, surrogates, U+0000) still order as {@code String.compareTo}.
 */
class BTreeKeyPrefixTest {
    private static final long SEED = Long.getLong("arboretum.keys.seed", 20_261_202L);

    private static <K> void samePrefixes(KeyCodec c, KeyEncoder<K> enc, List<K> keys) {
        for (K k : keys) {
            assertEquals(enc.prefix(k), c.prefix(k), () -> "prefix of " + k + " under " + enc);
            if (c.kind == KeyCodec.EXACT) {
                assertEquals(k, c.decode(c.prefix(k)), () -> "exact key " + k + " rebuilt from its prefix");
            }
        }
    }

    @Test
    void codecsUseTheSharedPrefixes() {
        samePrefixes(KeyCodec.forFirstKey(1L), KeyEncoders.longs(), List.of(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE));
        samePrefixes(KeyCodec.forFirstKey(1), KeyEncoders.integers(), List.of(Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE));
        samePrefixes(KeyCodec.forFirstKey((short) 1), KeyEncoders.shorts(), List.of(Short.MIN_VALUE, (short) -1, Short.MAX_VALUE));
        samePrefixes(KeyCodec.forFirstKey((byte) 1), KeyEncoders.bytes(), List.of(Byte.MIN_VALUE, (byte) -1, Byte.MAX_VALUE));
        samePrefixes(KeyCodec.forFirstKey('c'), KeyEncoders.characters(), List.of('\u0000', '\u7FFF', '\u8000', '\uFFFF'));
        samePrefixes(KeyCodec.forFirstKey("s"), KeyEncoders.strings(), List.of("", "\u0000", "user12345678", "\uD83D\uDE00"));
        samePrefixes(KeyCodec.forFirstKey(new UUID(0, 0)), KeyEncoders.uuids(), List.of(new UUID(-1, 5), new UUID(7, -1)));
        samePrefixes(KeyCodec.forFirstKey(Instant.EPOCH), KeyEncoders.instants(), List.of(Instant.MIN, Instant.ofEpochMilli(-1)));
        KeyCodec bytes = KeyCodec.forComparator(ConcurrentBTreeMap.unsignedBytesComparator());
        assertSame(KeyCodec.UNSIGNED_BYTES, bytes);
        samePrefixes(bytes, KeyEncoders.byteArrays(), List.of(new byte[0], new byte[] {-1}, new byte[9]));
        assertSame(KeyEncoders.byteArrays().comparator(), ConcurrentBTreeMap.unsignedBytesComparator());
    }

    @Test
    void stringKeysWhosePrefixesTieOrderAsCompareTo() {
        String[] stems = {"user1234", "user12345678", "\u00E9\u00E9\u00E9\u00E9", "\u7F00\u7F00", "\uD83D\uDE00\uD83D",
            "a\u0000\u0000\u0000\u0000\u0000\u0000\u0000", ""};
        char[] tails = {'\u0000', 'a', '\u0080', '\u7F00', '\uD800', '\uDFFF', '\uE000', '\uFFFF'};
        ConcurrentBTreeMap<String, Integer> map = ConcurrentBTreeMap.<String, Integer>builder().nodeCapacity(4).build();
        TreeMap<String, Integer> ref = new TreeMap<>();
        Random rnd = new Random(SEED);
        for (int i = 0; i < 5_000; i++) {
            StringBuilder b = new StringBuilder(stems[rnd.nextInt(stems.length)]);
            for (int j = rnd.nextInt(3); j > 0; j--) {
                b.append(tails[rnd.nextInt(tails.length)]);
            }
            String k = b.toString();
            if (rnd.nextInt(4) == 0) {
                assertEquals(ref.remove(k), map.remove(k), "seed " + SEED + ", step " + i);
            } else {
                assertEquals(ref.put(k, i), map.put(k, i), "seed " + SEED + ", step " + i);
            }
        }
        map.checkInvariants();
        assertEquals(List.copyOf(ref.keySet()), List.copyOf(map.keySet()), "seed " + SEED);
    }
}
