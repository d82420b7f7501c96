package io.arboretum.keys;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * {@link KeyEncoders#verify}: checks an encoder's contract on sample keys and reports the first
 * violation as an {@link IllegalArgumentException} naming the keys and their encodings.
 *
 * @param <K> the type of keys
 */
final class EncoderCheck<K> {
    /** Bytes of junk around an encoding copied into a larger array, to catch decoders that ignore the offset. */
    private static final int PAD = 3;
    private static final int MAX_SHOWN = 64;

    private final KeyEncoder<K> encoder;
    private final Comparator<? super K> order;

    @SuppressWarnings("unchecked")
    EncoderCheck(KeyEncoder<K> encoder) {
        this.encoder = Objects.requireNonNull(encoder, "null encoder");
        Comparator<? super K> c = encoder.comparator();
        this.order = c != null ? c : (a, b) -> ((Comparable<Object>) a).compareTo(b);
    }

    void run(Collection<? extends K> sampleKeys) {
        List<K> keys = new ArrayList<>(sampleKeys.size());
        for (K k : sampleKeys) {
            keys.add(Objects.requireNonNull(k, "null sample key"));
        }
        keys.sort(order);
        byte[] previous = null;
        for (int i = 0; i < keys.size(); i++) {
            K k = keys.get(i);
            byte[] e = checkOne(k);
            if (previous != null) {
                K p = keys.get(i - 1);
                int byKey = Integer.signum(order.compare(p, k));
                int byBytes = Integer.signum(Arrays.compareUnsigned(previous, e));
                if (byKey != byBytes) {
                    throw fail("breaks the order: the keys compare " + sign(byKey) + " but their encodings compare "
                            + sign(byBytes) + ": " + show(p, previous) + " and " + show(k, e));
                }
            }
            previous = e;
        }
    }

    /** Checks what concerns one key; returns its encoding. */
    private byte[] checkOne(K k) {
        byte[] e = encoder.encode(k);
        if (e == null) {
            throw fail("returned null for " + describe(k));
        }
        if (!Arrays.equals(e, encoder.encode(k))) {
            throw fail("encodes " + describe(k) + " differently on a second call");
        }
        int fixed = encoder.fixedLength();
        if (fixed >= 0 && e.length != fixed) {
            throw fail("reports fixed length " + fixed + " but encodes " + show(k, e));
        }
        long prefix = encoder.prefix(k);
        if (prefix != KeyPrefixes.ofBytes(e)) {
            throw fail("returns prefix " + Long.toHexString(prefix) + " for " + show(k, e)
                    + ", not the first eight bytes " + Long.toHexString(KeyPrefixes.ofBytes(e)));
        }
        checkDecode(k, e, e.clone(), 0, "");
        byte[] padded = new byte[e.length + 2 * PAD];
        Arrays.fill(padded, (byte) 0xA5);
        System.arraycopy(e, 0, padded, PAD, e.length);
        checkDecode(k, e, padded, PAD, " at offset " + PAD + " in a larger array");
        return e;
    }

    /** Decodes {@code e}, found at {@code offset} in {@code array}, and checks it gives back {@code k}. */
    private void checkDecode(K k, byte[] e, byte[] array, int offset, String where) {
        K decoded;
        try {
            decoded = encoder.decode(array, offset, e.length);
        } catch (RuntimeException x) {
            IllegalArgumentException f = fail("does not round-trip: decoding " + show(k, e) + where + " throws " + x);
            f.initCause(x);
            throw f;
        }
        if (decoded == null || !encoder.keyType().isInstance(decoded)) {
            throw fail("decodes " + show(k, e) + where + " to " + describe(decoded) + ", not a "
                    + encoder.keyType().getName());
        }
        if (order.compare(decoded, k) != 0 || !Arrays.equals(encoder.encode(decoded), e)) {
            throw fail("does not round-trip: " + show(k, e) + " decodes" + where + " to " + describe(decoded));
        }
    }

    private IllegalArgumentException fail(String what) {
        return new IllegalArgumentException("KeyEncoder " + encoder + " " + what);
    }

    private static String sign(int s) {
        return s < 0 ? "<" : s > 0 ? ">" : "==";
    }

    private String show(K k, byte[] e) {
        return describe(k) + " (" + hex(e) + ")";
    }

    private static String describe(Object k) {
        String s;
        if (k instanceof byte[]) {
            s = "byte[] " + hex((byte[]) k);
        } else if (k instanceof CharSequence) {
            StringBuilder b = new StringBuilder("\"");
            ((CharSequence) k).chars().forEach(c -> {
                if (c >= 0x20 && c < 0x7F) {
                    b.append((char) c);
                } else {
                    b.append(String.format("\\u%04X", c));
                }
            });
            s = b.append('"').toString();
        } else {
            s = String.valueOf(k);
        }
        return s.length() > 2 * MAX_SHOWN ? s.substring(0, 2 * MAX_SHOWN) + "..." : s;
    }

    private static String hex(byte[] e) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < e.length && i < MAX_SHOWN; i++) {
            b.append(i == 0 ? "" : " ").append(String.format("%02X", e[i] & 0xFF));
        }
        return e.length > MAX_SHOWN ? b + " ... (" + e.length + " bytes)" : b.toString();
    }
}
