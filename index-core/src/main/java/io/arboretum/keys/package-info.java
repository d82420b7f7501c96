/**
 * Order-preserving key encodings shared by every index family.
 *
 * <p>A {@link io.arboretum.keys.KeyEncoder} turns a key into a byte string whose unsigned
 * lexicographic order equals the key order (a proper prefix first), and back: the Masstree cuts
 * it into 8-byte slices, a disk-based or packed index stores it. {@link io.arboretum.keys.KeyEncoders}
 * holds the built-in encoders ({@code String} in {@code String.compareTo} order, {@code byte[]},
 * the integral types, {@code Character}, {@code UUID}, {@code Instant}), composite keys, lookup
 * by class, and {@link io.arboretum.keys.KeyEncoders#verify verify}, the check to run on an encoder
 * written by hand. {@link io.arboretum.keys.KeyPrefixes} computes the first eight encoded bytes as
 * an order-preserving {@code long} without allocating, the search prefix that
 * {@code ConcurrentBTreeMap} stores beside each key.
 */
package io.arboretum.keys;
