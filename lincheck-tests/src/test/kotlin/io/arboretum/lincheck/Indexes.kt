package io.arboretum.lincheck

import io.arboretum.bftree.BfTree
import io.arboretum.bftree.BfTreeConfig
import io.arboretum.bftree.Durability
import io.arboretum.bftree.ValueCodec
import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.btree.OffHeapLongBTreeMap
import io.arboretum.bwtree.BwTreeMap
import io.arboretum.keys.KeyEncoder
import io.arboretum.keys.KeyEncoders
import io.arboretum.masstree.MasstreeMap
import io.arboretum.pma.PackedMemoryArrayMap
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path
import java.util.Collections
import java.util.NavigableMap
import java.util.TreeMap
import org.jetbrains.lincheck.datastructures.ManagedStrategyGuarantee
import org.jetbrains.lincheck.datastructures.forClasses

/**
 * The maps the scenario classes run on. Each index of the project has a factory here and one file
 * of one-line test classes (`BTreeLincheckTests.kt`, `OffHeapLincheckTests.kt`); the control has
 * its own (`ControlLincheckTests.kt`).
 */
object Indexes {
    /** The column name of [ConcurrentBTreeMap]. */
    const val BTREE = "ConcurrentBTreeMap"

    /** The column name of [OffHeapLongBTreeMap] (through its `asMap()` view). */
    const val OFF_HEAP = "OffHeapLongBTreeMap"

    /** The column name of [MasstreeMap]. */
    const val MASSTREE = "MasstreeMap"

    /** The column name of [BwTreeMap]. */
    const val BWTREE = "BwTreeMap"

    /** Slots per border node of the Masstrees under test: the smallest width, so a fourth key splits. */
    const val MASSTREE_WIDTH = 3

    /** The column name of [PackedMemoryArrayMap]. */
    const val PMA = "PackedMemoryArrayMap"

    /** Cells per segment of the packed memory arrays under test: the smallest, so a few writes redistribute windows and resize the array. */
    const val PMA_SEGMENT = 4

    /** The column name of [BfTree] (through its typed view, [io.arboretum.bftree.BfMap]). */
    const val BFTREE = "BfTree"

    /** The column name of the control. */
    const val CONTROL = "control"

    /** Keys per node in every scenario on a real tree: four, so a few writes split and merge. */
    const val CAPACITY = 4

    /**
     * The merge threshold at [CAPACITY]. The two trees read it differently: [ConcurrentBTreeMap]
     * rebalances a node left with *fewer* than this many keys (so 2 means a leaf left with one key;
     * its default, `max(1, capacity / 4)` = 1, merges only emptied leaves), [OffHeapLongBTreeMap] a
     * node left with *at most* this many (a leaf left with two). Either way most removals from a
     * scenario's small tree merge or redistribute.
     */
    const val MERGE_THRESHOLD = 2

    /**
     * The sequential specification of the view classes: a `ConcurrentSkipListMap`, run on one
     * thread. A view's conditional writes of a key outside its range differ between the JDK maps:
     * `TreeMap`'s views inherit `Map.replace`, which returns null, while `ConcurrentSkipListMap`'s
     * throw `IllegalArgumentException`, as the trees do (they replace `ConcurrentSkipListMap`).
     */
    fun viewSpecification(): IndexUnderTest<NavigableMap<Long, Long>> =
        IndexUnderTest(java.util.concurrent.ConcurrentSkipListMap(), "specification", measured = false)

    /** The control of the view classes: a `ConcurrentSkipListMap` behind one lock (see [viewSpecification]). */
    fun viewControl(): IndexUnderTest<NavigableMap<Long, Long>> =
        IndexUnderTest(Collections.synchronizedNavigableMap(java.util.concurrent.ConcurrentSkipListMap()), CONTROL, measured = false)

    /** The sequential specification's map: a `TreeMap`, not measured. */
    fun specification(): IndexUnderTest<NavigableMap<Long, Long>> = IndexUnderTest(TreeMap(), "specification", measured = false)

    /**
     * Positive control: a `TreeMap` behind one lock, linearizable by construction. If a check of
     * the control fails, the scenario class (its operations, its specification, its sizes) is
     * wrong, not an index.
     */
    fun control(): IndexUnderTest<NavigableMap<Long, Long>> =
        IndexUnderTest(Collections.synchronizedNavigableMap(TreeMap()), CONTROL, measured = false)

    /**
     * [ConcurrentBTreeMap] at [capacity] and [mergeThreshold] (by default [CAPACITY] and
     * [MERGE_THRESHOLD]), with its invariant check.
     */
    fun <K> btree(comparator: Comparator<in K>? = null, capacity: Int = CAPACITY, mergeThreshold: Int = MERGE_THRESHOLD): IndexUnderTest<NavigableMap<K, Long>> {
        val m = ConcurrentBTreeMap.builder<K, Long>().nodeCapacity(capacity).mergeThreshold(mergeThreshold).comparator(comparator).build()
        return IndexUnderTest(m, BTREE, m::checkInvariants)
    }

    /**
     * [MasstreeMap] at node width [width] (by default [MASSTREE_WIDTH]; the race classes, whose
     * prefills are shaped for [CAPACITY], use that), with its invariant check. Keys in natural
     * order (the encoder is chosen by the first key's class: `Long` or `String` here), or in the
     * order of [encoder]. A `Long` key is one 8-byte slice, so `Long` scenarios stay in the top layer and
     * split and unlink border nodes; the `String` keys of [StringKeyOperations] share their first
     * 8 bytes, so their scenarios create and collapse a second layer. The Masstree unlinks only
     * emptied border nodes (no merge threshold) and never redistributes.
     */
    fun <K> masstree(encoder: KeyEncoder<K>? = null, width: Int = MASSTREE_WIDTH): IndexUnderTest<NavigableMap<K, Long>> {
        val b = MasstreeMap.builder<K, Long>().nodeWidth(width)
        if (encoder != null) b.keyEncoder(encoder)
        val m = b.build()
        return IndexUnderTest(m, MASSTREE, m::checkInvariants, listOf(BYTE_VIEWS))
    }

    /**
     * The helpers that read and write a `long` in a `byte[]` through a byte-array view VarHandle,
     * which Lincheck 3.7's model checker rejects (`Unsupported VarHandle type:
     * ...VarHandleByteArrayAsLongs$ArrayHandle`): the built-in key encoders' and the Masstree's
     * slicing of a key. They touch only arrays private to one operation (a key's encoding, a key
     * being rebuilt), never shared memory, so treating each call as one atomic step hides no
     * interleaving.
     */
    private val BYTE_VIEWS: ManagedStrategyGuarantee = forClasses("io.arboretum.keys.FixedWidthEncoders", MasstreeMap::class.java.name)
        .methods("putLong", "getLong", "putInt", "getInt", "sliceAt", "extend")
        .treatAsAtomic()

    /**
     * [PackedMemoryArrayMap] at segment size [segmentSize] (by default [PMA_SEGMENT]), with its
     * invariant check. `Long` keys in natural order are stored as primitive longs; a [comparator]
     * (and `String` keys) make it store key objects. A scenario's dozen keys fill a few segments of
     * four cells, so inserts redistribute windows and grow the array, and removals shrink it.
     */
    fun <K> pma(comparator: Comparator<in K>? = null, segmentSize: Int = PMA_SEGMENT): IndexUnderTest<NavigableMap<K, Long>> {
        val m = PackedMemoryArrayMap.builder<K, Long>().segmentSize(segmentSize).comparator(comparator).build()
        return IndexUnderTest(m, PMA, m::checkInvariants)
    }

    /**
     * [BwTreeMap] at [capacity] (by default [CAPACITY]: a fifth key splits a leaf, and a leaf left
     * with one key merges into its left sibling), with its invariant check. Each map gets an epoch
     * manager of its own, so that every invocation starts from the same state (the shared default
     * manager would carry its epoch and per-thread counters from one invocation to the next, which
     * model checking reports as non-determinism).
     */
    fun <K> bwtree(comparator: Comparator<in K>? = null, capacity: Int = CAPACITY): IndexUnderTest<NavigableMap<K, Long>> {
        val m = BwTreeMap.builder<K, Long>().nodeCapacity(capacity).comparator(comparator)
            .consolidateThreshold(BWTREE_CONSOLIDATE_THRESHOLD).epochManager(io.arboretum.sync.EpochManager()).build()
        return IndexUnderTest(m, BWTREE, m::checkInvariants, listOf(EPOCH_CALLS))
    }

    /** The Bw-trees' consolidation threshold in scenarios: 2, so that a few writes consolidate a page. */
    const val BWTREE_CONSOLIDATE_THRESHOLD = 2

    /**
     * The epoch manager's calls, each one atomic step to the model checker. Pinning registers a
     * thread under a monitor the first time, and every 64th pin, like retiring an id, may collect
     * under another: the obstruction-freedom check ([BwTreePointLincheckTest]) would report those monitors as locks. They are
     * the epoch manager's, which has its own tests (`EpochManagerTest`); the Bw-tree's own steps
     * stay fully interleaved. `docs/guides/how-the-bwtree-works.md` says which paths this leaves
     * unchecked for obstruction-freedom.
     */
    private val EPOCH_CALLS: ManagedStrategyGuarantee =
        forClasses(io.arboretum.sync.EpochManager::class.java.name, io.arboretum.sync.EpochManager.Guard::class.java.name)
            .methods("pin", "close", "retire", "collect", "tryAdvance")
            .treatAsAtomic()

    /**
     * A fresh [BfTree] through its typed view (keys by [keys], `Long` values padded to
     * [BfTreeValues.BYTES] bytes), with its invariant check. The tree lives in its own directory
     * on real files, in `/dev/shm` when there is one (a tmpfs: `force` costs nothing, and the same
     * code runs as on a disk), in SYNC mode, so every write goes through the log's group commit,
     * which is model-checked with the rest. Pages are the smallest (512 bytes): a leaf holds five
     * records and a sixth splits it, so a scenario's dozen keys lie in three or four leaves, puts
     * split them and removals empty them. (Keys padded to 30 bytes, three records a leaf, were
     * tried: they split more often, but made no seeded fault easier to find.)
     *
     * Lincheck makes one map per invocation and has no teardown; [BfTrees] closes and deletes the
     * previous tree when it makes the next, so files and descriptors do not pile up.
     */
    fun <K> bftree(keys: KeyEncoder<K>): IndexUnderTest<NavigableMap<K, Long>> {
        val t = BfTrees.fresh()
        val m = t.asMap(keys, BfTreeValues)
        return IndexUnderTest(m, BFTREE, t::checkInvariants, listOf(BYTE_VIEWS, BFTREE_IO, BFTREE_PRIVATE, BFTREE_MINI_PAGE_COMPARE, BFTREE_INNER_INDEX))
    }

    /**
     * The Bf-tree's inner index, a [ConcurrentBTreeMap] from low fence to leaf: each of the calls
     * the tree makes on it (route, publish a split, unpublish a merge) is one atomic step. The
     * B+tree's linearizability is model-checked by its own classes ([btree], at node capacity
     * 4 so that its splits and merges happen inside scenarios); the Bf-tree relies on nothing
     * else of it, and checks every route against the leaf's fences under the leaf's latch, so
     * the interleavings that matter here (a route gone stale before the latch is taken) stay:
     * the switch points around each call remain.
     */
    private val BFTREE_INNER_INDEX: ManagedStrategyGuarantee = forClasses(ConcurrentBTreeMap::class.java.name)
        .methods("floorEntry", "lowerEntry", "lastEntry", "put", "remove").treatAsAtomic()

    /**
     * The Bf-tree's file I/O, each call one atomic step to the model checker. Lincheck 3.7 refuses
     * NIO channels in model checking (`Nio.Channels are not supported yet`), so the tree's calls
     * that touch a channel are listed here: the log leader's append and force (`writeOut`), a
     * segment's creation, the page file's positional reads, writes and force, and the directory's
     * durable replace and force. Each works on private buffers and on files no other thread
     * writes at the same time (the log's leader is elected under its lock, a page slot is written
     * by one evictor or checkpoint), so one step per call hides no interleaving of the tree's own
     * state; the leader election, the latches and the gate around them stay fully interleaved.
     * The files are real (on a tmpfs), so the bytes written are the same as on a disk.
     */
    private val BFTREE_IO: ManagedStrategyGuarantee = forClasses(
        "io.arboretum.bftree.WriteAheadLog", "io.arboretum.bftree.PageFile", "io.arboretum.bftree.BfDirectory",
    ).methods("writeOut", "startSegment", "write", "read", "force", "forceDirectory", "replaceDurably").treatAsAtomic()

    /**
     * The Bf-tree's computations on memory private to one operation, each call one atomic step:
     * a page's encoding and decoding and the checksums (`LeafPage`, `WalRecord`,
     * `BfDirectory.crc`: buffers of the calling thread), the `String` encoder (a key's own bytes),
     * and the comparison of a key in a mini-page with the key sought (`MiniPage.compare`: off-heap
     * bytes, which the model checker does not track as shared memory; its switch points are at
     * the calls into `ByteBuffer`). Their loops run over every byte of a page or a key, past the
     * model checker's loop bound (50 iterations, or 10 before it suspects a spin lock): left
     * interleaved, a sequential put that encodes a page, or a writer comparing an 11-byte key
     * while a reader waits on the leaf's latch, was reported as hung. None touches memory another
     * thread writes at the same time. Everything else of the tree stays interleaved, the
     * mini-pages' searches and record copies included: a larger list (leaf images, record copies)
     * made the model checker miss seeded faults it otherwise finds.
     */
    private val BFTREE_PRIVATE: ManagedStrategyGuarantee = forClasses(
        "io.arboretum.bftree.LeafPage", "io.arboretum.bftree.WalRecord", "io.arboretum.bftree.BfDirectory",
        "io.arboretum.keys.StringKeyEncoder",
    ).methods("encode", "decode", "crc", "encodeKey", "decodeKey").treatAsAtomic()

    /** `MiniPage.compare`, atomic for the reason given at [BFTREE_PRIVATE]. */
    private val BFTREE_MINI_PAGE_COMPARE: ManagedStrategyGuarantee =
        forClasses("io.arboretum.bftree.MiniPage").methods("compare").treatAsAtomic()

    /** [bftree] with `Long` keys ([KeyEncoders.longs]). */
    fun bftree(): IndexUnderTest<NavigableMap<Long, Long>> = bftree(KeyEncoders.longs())

    /** Off-heap bytes one tree may reserve. */
    private const val MAX_BYTES = 16L * 1024

    /**
     * A fresh [OffHeapLongBTreeMap] at [CAPACITY] and [MERGE_THRESHOLD] (Lincheck creates one per
     * invocation), with its invariant check. Lincheck has no per-invocation teardown, so trees are
     * never closed and their direct buffers are freed only when collected; each is capped at
     * [MAX_BYTES] (a scenario's tree needs about 20 nodes of 80 bytes), or a `-Pthorough` run
     * exhausts direct memory. Freed nodes are poisoned (`debugPoisonFreedNodes`), as a general
     * allocator would reuse them, so a reader that trusts a reclaimed node fails visibly.
     */
    fun offHeap(): IndexUnderTest<NavigableMap<Long, Long>> {
        val tree = OffHeapLongBTreeMap.builder().nodeCapacity(CAPACITY).mergeThreshold(MERGE_THRESHOLD)
            .maxOffHeapBytes(MAX_BYTES).debugPoisonFreedNodes(true).build()
        return IndexUnderTest(tree.asMap(), OFF_HEAP, tree::checkInvariants, listOf(OFF_HEAP_MEMORY))
    }

    /**
     * Every access of [OffHeapLongBTreeMap] to off-heap memory goes through these private helpers,
     * each a single VarHandle access to one 8-byte-aligned `long` (atomic in every access mode).
     * Lincheck 3.7's model checker rejects the byte-buffer view handles inside them
     * (`Unsupported VarHandle type: ...VarHandleByteArrayAsLongs$ByteBufferHandle`); treating each
     * call as one atomic step lets it run the index, and it still switches threads between any two
     * accesses: the granularity it uses for fields. Two seeded faults of the off-heap tree that model checking
     * catches ([OffHeapSeededFaultTest]) show that these interleavings are explored. A
     * helper added to the index without being listed here makes model checking fail with the
     * error above, not pass silently.
     */
    private val OFF_HEAP_MEMORY: ManagedStrategyGuarantee = forClasses(OffHeapLongBTreeMap::class.java.name)
        .methods("getLong", "setLong", "versionAcquire", "versionOpaque", "versionPlain", "setVersionRelease", "casVersion")
        .treatAsAtomic()
}

/** A [ConcurrentBTreeMap] at [Indexes.CAPACITY] for the stress checkers that build their own maps. */
internal fun <K, V> newBTree(): ConcurrentBTreeMap<K, V> =
    ConcurrentBTreeMap.builder<K, V>().nodeCapacity(Indexes.CAPACITY).build()

/**
 * The Bf-trees of the scenarios, one open at a time (see [Indexes.bftree]). Each invocation of a
 * Lincheck check makes its map before the previous one is needed again, never while one is in
 * use, so closing the last tree when making the next is safe.
 */
internal object BfTrees {
    private val root: Path = run {
        val shm = Path.of("/dev/shm")
        val base = if (Files.isDirectory(shm) && Files.isWritable(shm)) shm else Path.of(System.getProperty("java.io.tmpdir"))
        Files.createTempDirectory(base, "lincheck-bftree").also { dir -> dir.toFile().deleteOnExit() }
    }
    private var last: BfTree? = null
    private var lastDir: Path? = null
    private var made = 0

    /** The configuration of every scenario's tree: 512-byte pages, SYNC, explicit checkpoints only. */
    private val config: BfTreeConfig = BfTreeConfig.builder().pageSize(512).memoryBudget(16L * 512)
        .durability(Durability.SYNC).walSegmentSize(4096).checkpointLogBytes(0).build()

    /** Closes and deletes the previous tree, and creates an empty one. */
    @Synchronized
    fun fresh(): BfTree {
        dispose()
        val dir = root.resolve("t" + made++)
        val t = BfTree.create(dir, config)
        last = t
        lastDir = dir
        return t
    }

    /**
     * Closes the last tree and deletes its directory, on a daemon thread given [CLOSE_MILLIS]: when
     * Lincheck abandons an invocation (a failure found, a deadlock suspected) its operations stop
     * wherever they were, perhaps holding the tree's gate, and that tree's close would wait for
     * ever. Such a tree is left open (its files and descriptors leak, once per failed check).
     */
    private fun dispose() {
        val t = last ?: return
        val dir = lastDir
        last = null
        val closer = Thread {
            t.close()
            dir?.toFile()?.deleteRecursively()
        }
        closer.isDaemon = true
        closer.start()
        closer.join(CLOSE_MILLIS)
    }

    /** How long [dispose] waits for a tree to close. */
    private const val CLOSE_MILLIS = 2_000L
}

/**
 * `Long` values padded to [BYTES] bytes, so that few records fill a 512-byte page (see
 * [Indexes.bftree]). Equal values encode equally, as
 * [ValueCodec] requires of conditional writes.
 */
object BfTreeValues : ValueCodec<Long> {
    /** Bytes of an encoded value: the most a 512-byte page allows. */
    const val BYTES = 70

    override fun valueType(): Class<Long> = Long::class.javaObjectType

    override fun encode(value: Long): ByteArray = ByteBuffer.allocate(BYTES).putLong(value).array()

    override fun decode(bytes: ByteArray): Long = ByteBuffer.wrap(bytes).getLong()
}
