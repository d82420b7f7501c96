package io.arboretum.benchmarks.persistent

import com.github.ajalt.clikt.core.CliktError
import com.github.ajalt.clikt.core.parse
import io.arboretum.benchmarks.ComparisonReport
import io.arboretum.benchmarks.KeyDistribution
import io.arboretum.benchmarks.Keys
import io.arboretum.benchmarks.ReportWriter
import io.arboretum.benchmarks.ThroughputResult
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Files
import java.nio.file.Path
import java.util.TreeMap

/**
 * Checks the persistent comparison's plumbing (never timings): every store adapter keeps what is
 * written across a clean close and reopen in both durability modes, scans ascend from the right
 * key, the runner measures every cell and recovers every store after a killed writer, and its
 * results survive the trip through the child JVM's file and into the report.
 */
class PersistentStoresSpec : FunSpec({
    val root = Files.createTempDirectory("arboretum-persistent-spec")
    afterSpec { deleteTree(root) }

    /** Reference contents: record numbers' hashed keys to the value of a version. */
    fun model(records: Int): TreeMap<Long, ByteArray> =
        TreeMap<Long, ByteArray>().apply { for (r in 0 until records.toLong()) put(Keys.longKey(r), Values.of(r)) }

    fun checkAgainst(store: PersistentStore, expected: TreeMap<Long, ByteArray>) {
        for ((k, v) in expected) withClue("key $k") { store.get(k)!!.contentEquals(v) shouldBe true }
        store.get(expected.lastKey() + 1).shouldBeNull()
        // Scans: from a present key, from between keys, from below the first and near the end.
        val froms = listOf(expected.firstKey() - 1, expected.keys.elementAt(expected.size / 3),
            expected.keys.elementAt(expected.size / 2) + 1, expected.keys.elementAt(expected.size - 5))
        for (from in froms) withClue("scan from $from") {
            val want = expected.tailMap(from, true).values.take(40).sumOf { it.size.toLong() }
            store.scan(from, 40) shouldBe want
        }
    }

    for (kind in PersistentStores.all) {
        test("${kind.name}: writes survive a clean close and reopen, in both durability modes") {
            val dir = root.resolve("adapter-${kind.name}")
            val expected = model(3000)
            kind.create(dir, StoreOptions(1L shl 20, StoreDurability.ASYNC)).use { st ->
                for ((k, v) in expected) st.put(k, v)
                val gone = expected.keys.filterIndexed { i, _ -> i % 7 == 3 }
                for (k in gone) {
                    st.delete(k)
                    expected.remove(k)
                }
                st.flush()
                checkAgainst(st, expected)
            }
            directoryBytes(dir) shouldBeGreaterThan 3000L * Values.RECORD_BYTES / 2
            kind.open(dir, StoreOptions(1L shl 20, StoreDurability.SYNC)).use { st ->
                checkAgainst(st, expected)
                val k = expected.firstKey()
                st.put(k, Values.of(99))
                expected[k] = Values.of(99)
            }
            kind.open(dir, StoreOptions(1L shl 20, StoreDurability.ASYNC)).use { st -> checkAgainst(st, expected) }
            deleteTree(dir)
        }
    }

    test("every store serves reads from many short-lived threads, two at a time (the runner's new threads per round)") {
        // LMDB has a fixed number of reader slots (64 here): per-thread read transactions ran out.
        for (kind in PersistentStores.all) withClue(kind.name) {
            val dir = root.resolve("threads-${kind.name}")
            val expected = model(200)
            kind.create(dir, StoreOptions(1L shl 20, StoreDurability.ASYNC)).use { st ->
                for ((k, v) in expected) st.put(k, v)
                repeat(100) { round ->
                    val errors = java.util.concurrent.ConcurrentLinkedQueue<Throwable>()
                    val threads = List(2) { t ->
                        Thread {
                            runCatching {
                                val k = expected.keys.elementAt((round * 2 + t) % expected.size)
                                check(st.get(k)!!.contentEquals(expected.getValue(k)))
                                check(st.scan(k, 3) > 0)
                                st.put(k, expected.getValue(k))
                            }.onFailure { errors += it }
                        }.apply { start() }
                    }
                    threads.forEach { it.join() }
                    errors.firstOrNull()?.let { throw it }
                }
            }
            deleteTree(dir)
        }
    }

    test("the runner measures every cell of every store and recovers each after a killed writer") {
        val cells = listOf("get", "scan100", "put", "A", "E").map { PersistentCell(it, KeyDistribution.ZIPFIAN, 2, StoreDurability.ASYNC) } +
            PersistentCell("put", KeyDistribution.UNIFORM, 1, StoreDurability.SYNC)
        val settings = PersistentSettings(PersistentStores.names, records = 2000, budget = 1L shl 20, cells = cells,
            warmupMs = 20, roundMs = 40, rounds = 2, updates = 500, recoveryRecords = 3000, dir = root.resolve("run"))
        val lines = mutableListOf<String>()
        val r = PersistentBench(settings) { lines += it }.run()
        r.rows.size shouldBe cells.size * PersistentStores.all.size
        for (row in r.rows) withClue("${row.impl} ${row.group}: ${row.note}") {
            row.forkScores.size shouldBe 2
            row.forkScores.min() shouldBeGreaterThan 0.0
            row.suite shouldBe if (row.workload == "put" && row.threads == 1) "persistent-sync" else "persistent-async"
        }
        r.stores.map { it.store } shouldContainExactly PersistentStores.names
        for (s in r.stores) withClue(s) {
            s.note shouldBe ""
            s.bytesOnDisk shouldBeGreaterThan 0L
            s.loadWriteAmp shouldBeGreaterThan 0.0
            s.recoveryRecords shouldBe 3000L
            s.recoveryMs shouldBeGreaterThan 0.0
        }
        // The Bf-tree's recovery run never checkpoints, so every record is in its log.
        r.stores.single { it.store == "bftree" }.recoveryLogBytes shouldBeGreaterThan 3000L * Values.RECORD_BYTES
        r.environment.getValue("persistent directory") shouldContain "filesystem"
        Files.list(settings.dir).use { it.count() } shouldBe 0L // stores deleted afterwards
    }

    test("results survive the child JVM's file, and the report compares with RocksDB") {
        val rows = listOf(
            ThroughputResult("persistent-async", "get", "uniform", "-", 1, "bftree", listOf(200.0, 300.0), ""),
            ThroughputResult("persistent-async", "get", "uniform", "-", 1, "rocksdb", listOf(100.0, 100.0), ""),
            ThroughputResult("persistent-sync", "put", "uniform", "-", 1, "lmdb", emptyList(), "boom\twith tab"),
        )
        val stores = listOf(
            StoreResult("bftree", 1000, 1 shl 20, 1.5, 160_000, 2.5, 7.0, 250, 7.5, 30.0, 1000, 2 shl 20, 50.0),
            StoreResult("rocksdb", 1000, 1 shl 20, 1.0, 130_000, 11.0, 12.0, 0, Double.NaN, Double.NaN, 0, 0, Double.NaN, "no updates"),
        )
        val back = PersistentCompare.parse(PersistentCompare.format(PersistentResults(rows, stores, mapOf("k" to "v\tw"))).lines().filter { it.isNotBlank() })
        back.rows[0] shouldBe rows[0]
        back.rows[2].note shouldBe "boom with tab"
        back.stores[0] shouldBe stores[0]
        back.stores[1].updateWriteAmp.isNaN() shouldBe true
        back.environment shouldBe mapOf("k" to "v w")
        stores[0].bytesPerRecord shouldBe 160.0
        stores[0].recoveryMsPerGiB shouldBe 50.0 * 512

        val report = ComparisonReport(back.rows, emptyList(), back.environment, back.stores)
        ReportWriter.ratio(back.rows[0], back.rows).median shouldBe 2.5
        val csv = ReportWriter.csv(report).lines().filter { it.isNotEmpty() }
        csv.size shouldBe 1 + rows.size + stores.size
        val header = csv[0].split(',')
        val storeRow = csv.last().split(',').zip(header).associate { it.second to it.first }
        storeRow["kind"] shouldBe "persistent-store"
        storeRow["impl"] shouldBe "rocksdb"
        storeRow["disk_bytes_per_record"] shouldBe "130.0"
        for (line in csv) line.split(',').size shouldBe header.size
        ReportWriter.json(report) shouldContain "\"persistentStores\": [\n    {\"store\": \"bftree\""
        val html = ReportWriter.html(report)
        html shouldContain "against <code>rocksdb</code>"
        html shouldContain "WriteOptions.setSync(true)"
        ReportWriter.consoleTable(report) shouldContain "x2.50"
    }

    test("a cell's stream touches most records before it repeats") {
        val s = CellStream(PersistentCell("get", KeyDistribution.UNIFORM, 1, StoreDurability.ASYNC), 1_000_000, 0)
        s.ops.size shouldBe CellStream.SIZE
        s.keys.toSet().size.toDouble() shouldBeGreaterThan 0.8 * 1_000_000
        val scans = CellStream(PersistentCell("scan100", KeyDistribution.ZIPFIAN, 2, StoreDurability.ASYNC), 1000, 1, size = 64)
        scans.lengths.toSet() shouldBe setOf(100)
    }

    test("the command line: profiles, subsets and bad input") {
        var got: PersistentSettings? = null
        PersistentCommand { s, _, _ -> got = s }.parse(listOf("--profile", "quick", "--dir", root.toString()))
        got!!.records shouldBe 50_000
        got!!.budget shouldBe (5L shl 18)
        got!!.cells.map { "${it.suite} ${it.workload} ${it.threads}" } shouldContainExactly
            listOf("persistent-async get 1", "persistent-async scan100 1", "persistent-async put 1", "persistent-sync put 1")
        got!!.recoveryRecords shouldBe 0
        PersistentCommand { s, _, _ -> got = s }.parse(listOf("--stores", "bftree,lmdb", "--threads", "2", "--distributions", "zipfian",
            "--workloads", "C", "--sync-workloads", "", "--dir", root.toString()))
        got!!.stores shouldContainExactly listOf("bftree", "lmdb")
        got!!.cells shouldContainExactly listOf(PersistentCell("C", KeyDistribution.ZIPFIAN, 2, StoreDurability.ASYNC))
        got!!.recoveryRecords shouldBe 1_000_000
        for (bad in listOf(listOf("--stores", "leveldb"), listOf("--workloads", "G"), listOf("--threads", "0"))) withClue(bad) {
            (runCatching { PersistentCommand { _, _, _ -> }.parse(bad) }.exceptionOrNull() is CliktError) shouldBe true
        }
    }
})

/** A directory that is not a store's refuses to open as one (no silent empty store). */
class PersistentStoresOpenSpec : FunSpec({
    test("opening a directory without a store fails for the stores that can tell") {
        val dir: Path = Files.createTempDirectory("arboretum-persistent-empty")
        try {
            for (kind in PersistentStores.all) withClue(kind.name) {
                runCatching { kind.open(dir, StoreOptions(1L shl 20, StoreDurability.ASYNC)).close() }.isFailure shouldBe true
            }
        } finally {
            deleteTree(dir)
        }
    }
})
