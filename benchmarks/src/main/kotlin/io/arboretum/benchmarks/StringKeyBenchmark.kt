package io.arboretum.benchmarks

import kotlinx.benchmark.Benchmark
import kotlinx.benchmark.BenchmarkMode
import kotlinx.benchmark.Measurement
import kotlinx.benchmark.Mode
import kotlinx.benchmark.OutputTimeUnit
import kotlinx.benchmark.Param
import kotlinx.benchmark.Scope
import kotlinx.benchmark.Setup
import kotlinx.benchmark.State
import kotlinx.benchmark.TearDown
import kotlinx.benchmark.Warmup
import org.openjdk.jmh.annotations.Fork
import org.openjdk.jmh.annotations.Level
import org.openjdk.jmh.infra.ThreadParams
import java.util.SplittableRandom
import java.util.concurrent.ConcurrentNavigableMap
import java.util.concurrent.TimeUnit

/**
 * The key shapes of the string-key benchmarks ([StringKeyBenchmark], and [MemoryFootprint]'s
 * string modes). Key `i` of a shape is a pure function of `i`: the same call gives an equal key
 * (a new object), so a benchmark can build probe keys that equal the stored ones without being
 * the same objects, and different `i` give different keys.
 */
enum class KeyShape {
    /**
     * YCSB's record keys: `"user"` followed by the record number's 64-bit FNV hash in decimal
     * (`Keys.stringKey`, as YCSB's `CoreWorkload` names keys with hashed insert order): 20 to
     * 23 characters, mostly `"user"` + 19 digits, spread over the key space.
     */
    YCSB,

    /**
     * URL-like keys of 56 to 99 ASCII bytes sharing long prefixes:
     * `https://host-HH.example.com/tenants/TTTTT/orders/OOOOOOO` and, for three keys in four,
     * `/items/J/` plus 3 to 34 filler characters after it. Keys come in groups of four
     * (`g = i / 4`): a group is one order `g` (seven digits) of one of 2,000 tenants (five lower-case
     * letters), each tenant on one of 32 hosts, all picked by hashing `g`. So every key shares
     * `https://host-` (13 bytes), a host's keys share 27 bytes, a tenant's 42 and an order's
     * 56; the first order key is a prefix of the other three. The 64-bit prefix a B+tree compares
     * first is the same for every key.
     */
    URL,

    /** Random 16-byte `byte[]` keys (the first 8 bytes a bijective mix of `i`, so keys are distinct), unsigned order. */
    BYTES16;

    /** The lower-case name used in `@Param` and on command lines. */
    val id: String get() = name.lowercase()

    /** Whether keys of this shape are `byte[]` (otherwise `String`). */
    val bytes: Boolean get() = this == BYTES16

    /** Key number [i] of this shape: a new `String` or `byte[]`. */
    fun key(i: Long): Any = when (this) {
        YCSB -> Keys.stringKey(i)
        URL -> urlKey(i)
        BYTES16 -> bytesKey(i)
    }

    /** Lookup by [id], and the generators behind [key]. */
    companion object {
        /** The shape whose [id] is [id]. */
        fun of(id: String): KeyShape =
            entries.firstOrNull { it.id == id }
                ?: throw IllegalArgumentException("unknown key shape '$id'; known: ${entries.joinToString { it.id }}")

        private const val TENANTS = 2_000
        private const val HOSTS = 32

        /** The [URL] key number [i]. */
        fun urlKey(i: Long): String {
            val g = i / 4
            val j = (i % 4).toInt()
            val h = MicroKeys.key(g, 21)
            val tenant = Math.floorMod(h, TENANTS.toLong()).toInt()
            val host = tenant % HOSTS
            val sb = StringBuilder(100)
            sb.append("https://host-")
            if (host < 10) sb.append('0')
            sb.append(host).append(".example.com/tenants/")
            var t = MicroKeys.key(tenant.toLong(), 22)
            repeat(5) {
                sb.append('a' + Math.floorMod(t, 26L).toInt())
                t = t ushr 5
            }
            sb.append("/orders/")
            val order = g.toString()
            repeat(7 - order.length) { sb.append('0') }
            sb.append(order)
            if (j > 0) {
                sb.append("/items/").append(j).append('/')
                var f = MicroKeys.key(i, 23)
                val len = 3 + Math.floorMod(f, 32L).toInt()
                f = f ushr 5
                repeat(len) { n ->
                    if (n % 12 == 11) f = MicroKeys.key(f, 24)
                    sb.append(ALPHABET[Math.floorMod(f, ALPHABET.length.toLong()).toInt()])
                    f = f ushr 5
                }
            }
            return sb.toString()
        }

        private const val ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_"

        /** The [BYTES16] key number [i]. */
        fun bytesKey(i: Long): ByteArray {
            val hi = MicroKeys.key(i, 31)
            val lo = MicroKeys.key(i, 32)
            val b = ByteArray(16)
            for (n in 0 until 8) {
                b[n] = (hi ushr (56 - 8 * n)).toByte()
                b[8 + n] = (lo ushr (56 - 8 * n)).toByte()
            }
            return b
        }
    }
}

/**
 * Opens an empty map of [impl] for keys of [shape] (`String` values): its `String` map, or its
 * `byte[]` map in unsigned order for [KeyShape.BYTES16]. The map is typed `Any` so one benchmark
 * body serves both key types. Fails with a message naming the implementation when it takes
 * neither.
 */
@Suppress("UNCHECKED_CAST")
internal fun openForShape(impl: String, shape: KeyShape): OpenMap<Any, String> {
    val i = Implementations.byName(impl)
    return if (shape.bytes) {
        if (!i.supportsBytes) throw UnsupportedOperationException(
            "$impl: skipped, it takes no byte[] keys (byte[]-capable: ${Implementations.bytesNames.joinToString()})")
        i.newBytesMap() as OpenMap<Any, String>
    } else {
        if (!i.supportsStrings) throw UnsupportedOperationException(
            "$impl: skipped, it takes no String keys (String-capable: ${Implementations.stringNames.joinToString()})")
        i.newStringMap() as OpenMap<Any, String>
    }
}

/**
 * Reads of string-keyed indexes (`String` keys of the [KeyShape.YCSB] and [KeyShape.URL] shapes,
 * 16-byte `byte[]` keys in unsigned order for [KeyShape.BYTES16]) on a map of [size] keys with
 * short shared `String` values: `get` of present keys in uniform random order and a 100-entry
 * scan from a random present key through `tailMap(k).entrySet().iterator()` (each entry's key and
 * value are touched). Run with `-t 1` and `-t 2` for the thread counts.
 *
 * The keys probed are equal to the stored ones but are other objects (built again by the
 * generator), as a service's request keys are. Each runs in both heap regimes ([regime], see
 * [Regime]) in a fixed 4 GB heap.
 *
 * `byte[]` keys use each map's unsigned order: `ConcurrentSkipListMap` and the locked `TreeMap`
 * with `Arrays::compareUnsigned`, `ConcurrentBTreeMap` with its `unsignedBytesComparator()` (which
 * it recognises and gives an 8-byte prefix), `MasstreeMap.forBytes()`. An implementation without a
 * map for the shape's key type fails its setup with a message saying it is skipped.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class StringKeyBenchmark {
    /** Implementation name from [Implementations] (one that takes the shape's key type). */
    @Param("skiplist", "btree", "masstree", "treemap-rwlock")
    var impl: String = ""

    /** Key shape: `ycsb`, `url` or `bytes16` (see [KeyShape]). */
    @Param("ycsb", "url", "bytes16")
    var shape: String = ""

    /** Entries in the map. */
    @Param("1000000")
    var size: Int = 0

    /** Heap regime, `aged` or `fresh` (see [Regime]). */
    @Param("aged", "fresh")
    var regime: String = ""

    /** The loaded map. */
    lateinit var open: OpenMap<Any, String>

    /** The loaded map, typed for the benchmark bodies. */
    lateinit var map: ConcurrentNavigableMap<Any, String>

    /** Probe keys: every key of the shape once, in a random order, built apart from the stored keys. */
    lateinit var probes: Array<Any>

    /** Loads [size] keys in random order, then ages the map in the aged regime. */
    @Setup(Level.Trial)
    fun load() {
        val s = KeyShape.of(shape)
        val r = Regime.of(regime)
        open = openForShape(impl, s)
        map = open.map
        val order = shuffled(size, 5)
        for (i in order) map[s.key(i.toLong())] = VALUES[i and 15]
        val probeOrder = shuffled(size, 9)
        probes = Array(size) { s.key(probeOrder[it].toLong()) }
        if (r == Regime.AGED) Aging.age(
            size,
            rewrite = { map[s.key(it.toLong())] = String(VALUES[it and 15].toCharArray()) },
            remove = { map.remove(s.key(it.toLong())) },
            reinsert = { map[s.key(it.toLong())] = VALUES[it and 15] },
        )
        check(map.size == size) { "$impl holds ${map.size} entries after loading $size distinct $shape keys" }
    }

    /** Releases the map. */
    @TearDown(Level.Trial)
    fun close() = open.close()

    /** A thread's position in [probes]. */
    @State(Scope.Thread)
    class Cursor {
        /** Next slot of [probes]. */
        var next = 0

        /** Starts each thread at a different place. */
        @Setup(Level.Trial)
        fun prepare(bench: StringKeyBenchmark, thread: ThreadParams) {
            next = (bench.size / thread.threadCount) * thread.threadIndex
        }

        /** The next slot of an array of length [bound]. */
        fun step(bound: Int): Int {
            val i = next
            next = if (i + 1 >= bound) 0 else i + 1
            return i
        }
    }

    /** `get` of a present key, keys in uniform random order; returns the value's length. */
    @Benchmark
    fun get(c: Cursor): Int = map[probes[c.step(probes.size)]]?.length ?: -1

    /**
     * Reads 100 entries from a random present key through `tailMap(k).entrySet().iterator()`;
     * returns a sum over each entry's key and value so neither can be dropped.
     */
    @Benchmark
    fun scan100(c: Cursor): Int {
        val it = map.tailMap(probes[c.step(probes.size)]).entries.iterator()
        var sum = 0
        var n = 0
        while (n < 100 && it.hasNext()) {
            val e = it.next()
            sum += keyLength(e.key) + e.value.length
            n++
        }
        return sum
    }

    /** Shared values and helpers. */
    companion object {
        /** Values of the entries: entry `i` maps to `VALUES[i % 16]` (shared, 8 characters). */
        val VALUES: Array<String> = Array(16) { n -> "value-" + ('a' + n) + ('a' + n) }

        /** The length of a `String` or `byte[]` key. */
        fun keyLength(k: Any): Int = if (k is String) k.length else (k as ByteArray).size

        /** `0 until n` in a random order reproducible from [seed]. */
        fun shuffled(n: Int, seed: Long): IntArray {
            val a = IntArray(n) { it }
            val rnd = SplittableRandom(seed)
            for (i in n - 1 downTo 1) {
                val j = rnd.nextInt(i + 1)
                val t = a[i]; a[i] = a[j]; a[j] = t
            }
            return a
        }
    }
}

/**
 * Bulk load of string keys: one invocation puts [size] keys of [shape], in random order, into an
 * empty map (split between the threads, each thread its own slice). Single-shot timing, as
 * [PutMicroBenchmark]; the comparison job turns it into puts per second. The key objects are built
 * once per trial and put again into each iteration's new map (a map that keeps the caller's key
 * object keeps these; `MasstreeMap` copies the key's bytes). No regime: each iteration starts
 * from an empty map, in the same fixed heap.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class StringKeyPutBenchmark {
    /** Implementation name from [Implementations] (one that takes the shape's key type). */
    @Param("skiplist", "btree", "masstree", "treemap-rwlock")
    var impl: String = ""

    /** Key shape: `ycsb`, `url` or `bytes16` (see [KeyShape]). */
    @Param("ycsb", "url", "bytes16")
    var shape: String = ""

    /** Keys put per invocation. */
    @Param("1000000")
    var size: Int = 0

    /** The keys, in the order they are put. */
    lateinit var keys: Array<Any>

    /** The map being filled (new each iteration). */
    lateinit var open: OpenMap<Any, String>

    /** Builds the keys once, in random order; fails at once for an implementation without the key type. */
    @Setup(Level.Trial)
    fun keys() {
        val s = KeyShape.of(shape)
        openForShape(impl, s).close()
        val order = StringKeyBenchmark.shuffled(size, 13)
        keys = Array(size) { s.key(order[it].toLong()) }
    }

    /** A new empty map per iteration. */
    @Setup(Level.Iteration)
    fun fresh() {
        open = openForShape(impl, KeyShape.of(shape))
    }

    /** Checks the map holds every key, then releases it. */
    @TearDown(Level.Iteration)
    fun release() {
        check(open.map.size == size) { "$impl holds ${open.map.size} entries after putting $size distinct $shape keys" }
        open.close()
    }

    /** Puts this thread's slice of the keys. */
    @Benchmark
    fun put(thread: ThreadParams): Int {
        val n = thread.threadCount
        val t = thread.threadIndex
        val from = (keys.size.toLong() * t / n).toInt()
        val to = (keys.size.toLong() * (t + 1) / n).toInt()
        val map = open.map
        for (i in from until to) map[keys[i]] = StringKeyBenchmark.VALUES[i and 15]
        return to - from
    }
}

/**
 * `MasstreeMap.putAllSorted` against individual `put`s of the same input: one invocation loads
 * [size] keys of [shape] in ascending key order into an empty `MasstreeMap` (`new MasstreeMap()`
 * for `String` keys, `MasstreeMap.forBytes()` for `byte[]`), either with one `putAllSorted` call
 * ([method] `putAllSorted`) or with one `put` per key in the same order ([method] `put`). Single
 * shot, one thread; the entries (key objects and a shared value) are built and sorted once per
 * trial, so both methods read the same objects. The goal of issue 17 is `putAllSorted` at least
 * twice as fast as the puts.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = ["-Xms" + Regime.HEAP, "-Xmx" + Regime.HEAP])
class MasstreeSortedLoadBenchmark {
    /** `putAllSorted` (one bulk call) or `put` (one call per key), same sorted input. */
    @Param("putAllSorted", "put")
    var method: String = ""

    /** Key shape: `ycsb`, `url` or `bytes16` (see [KeyShape]). */
    @Param("ycsb", "url", "bytes16")
    var shape: String = ""

    /** Keys loaded per invocation. */
    @Param("1000000")
    var size: Int = 0

    /** The entries in ascending key order. */
    lateinit var entries: List<Map.Entry<Any, String>>

    /** The map being filled (new each iteration). */
    lateinit var map: io.arboretum.masstree.MasstreeMap<Any, String>

    /** Builds and sorts the entries once. */
    @Setup(Level.Trial)
    fun entries() {
        require(method == "putAllSorted" || method == "put") { "unknown method '$method'; known: putAllSorted, put" }
        val s = KeyShape.of(shape)
        val probe = newMap(s)
        val list = ArrayList<Map.Entry<Any, String>>(size)
        for (i in 0 until size) list.add(java.util.AbstractMap.SimpleImmutableEntry(s.key(i.toLong()), StringKeyBenchmark.VALUES[i and 15]))
        list.sortWith { a, b -> probe.comparator()?.compare(a.key, b.key) ?: @Suppress("UNCHECKED_CAST") (a.key as Comparable<Any>).compareTo(b.key) }
        entries = list
    }

    @Suppress("UNCHECKED_CAST")
    private fun newMap(s: KeyShape): io.arboretum.masstree.MasstreeMap<Any, String> =
        if (s.bytes) io.arboretum.masstree.MasstreeMap.forBytes<String>() as io.arboretum.masstree.MasstreeMap<Any, String>
        else io.arboretum.masstree.MasstreeMap<String, String>() as io.arboretum.masstree.MasstreeMap<Any, String>

    /** A new empty map per iteration. */
    @Setup(Level.Iteration)
    fun fresh() {
        map = newMap(KeyShape.of(shape))
    }

    /** Checks the map holds every key. */
    @TearDown(Level.Iteration)
    fun check() {
        check(map.size == size) { "masstree holds ${map.size} entries after loading $size distinct $shape keys by $method" }
    }

    /** Loads the sorted entries by [method]. */
    @Benchmark
    fun load(): Int {
        val m = map
        if (method == "putAllSorted") {
            m.putAllSorted(entries)
        } else {
            for (e in entries) m[e.key] = e.value
        }
        return m.size
    }
}
