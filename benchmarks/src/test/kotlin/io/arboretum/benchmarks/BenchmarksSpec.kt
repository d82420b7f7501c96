package io.arboretum.benchmarks

import io.arboretum.benchmarks.ycsb.ArboretumDB
import io.arboretum.bwtree.BwTreeMap
import com.github.ajalt.clikt.core.CliktError
import com.github.ajalt.clikt.core.parse
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeExactly
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import org.openjdk.jmh.annotations.Param
import org.openjdk.jmh.infra.ThreadParams
import site.ycsb.ByteIterator
import site.ycsb.Status
import site.ycsb.StringByteIterator
import java.nio.file.Files
import java.util.Properties
import java.util.SplittableRandom
import java.util.TreeMap
import java.util.Vector

/**
 * Checks the benchmark plumbing (never timings): the registry's maps behave as sorted maps, the
 * YCSB binding has YCSB's read/insert/update/scan/delete semantics, the report writer produces
 * well-formed files, and every benchmark's `impl` parameter lists exactly the registry.
 */
class BenchmarksSpec : FunSpec({
    val scale = System.getProperty("arboretum.test.scale", "1").toInt()

    /** Random, descending and adversarial (alternating ends) key orders. */
    fun orders(n: Int): Map<String, List<Long>> {
        val rnd = SplittableRandom(99)
        val random = List(n) { rnd.nextLong(-1_000_000, 1_000_000) }
        val descending = (n downTo 1).map { it * 7L }
        val zigzag = (0 until n).map { if (it % 2 == 0) it.toLong() else (n * 2 - it).toLong() }
        return mapOf("random" to random, "descending" to descending, "zigzag" to zigzag)
    }

    for (impl in Implementations.all) {
        for ((order, keys) in orders(2_000 * scale)) {
            test("${impl.name}: Long map agrees with TreeMap, $order keys") {
                impl.newLongMap().use { open ->
                    val m = open.map
                    val model = TreeMap<Long, Long>()
                    keys.forEachIndexed { i, k ->
                        m.put(k, i.toLong()) shouldBe model.put(k, i.toLong())
                        if (i % 5 == 0) {
                            val victim = keys[i / 2]
                            m.remove(victim) shouldBe model.remove(victim)
                        }
                    }
                    m.size shouldBe model.size
                    for (k in keys.take(200)) m[k] shouldBe model[k]
                    m[Long.MAX_VALUE].shouldBeNull()
                    val from = keys[keys.size / 3]
                    // Range views are checked once the index has them (ConcurrentBTreeMap's arrive with the views branch).
                    if (hasViews(impl)) {
                    val scanned = m.tailMap(from).entries.iterator().asSequence().take(50).map { it.key to it.value }.toList()
                    scanned shouldContainExactly model.tailMap(from).entries.take(50).map { it.key to it.value }
                    }
                    m.firstKey() shouldBe model.firstKey()
                    m.lastKey() shouldBe model.lastKey()
                }
            }
        }
        test("${impl.name}: String map and LongIndex face") {
            if (impl.supportsStrings) impl.newStringMap().use { open ->
                val m = open.map
                for (r in 0 until 500L) m[Keys.stringKey(r)] = "v$r"
                m.size shouldBe 500
                m[Keys.stringKey(7)] shouldBe "v7"
                if (hasViews(impl)) m.keys.toList() shouldBe m.keys.toList().sorted()
            }
            impl.newLongIndex().use { index ->
                for (k in 10L downTo 1L) index.put(k * 10, k)
                index.get(30) shouldBe 3L
                index.put(30, 33)
                index.get(30) shouldBe 33L
                index.put(30, 3)
                index.get(31) shouldBe LongIndex.ABSENT
                index.size() shouldBe 10L
                // Values of keys 30, 40, 50: 3 + 4 + 5 (skipped for an index whose views are not there yet).
                if (hasViews(impl)) index.scan(25, 3) shouldBe 12L
            }
        }
    }

    for (impl in Implementations.all.filter { it.supportsBytes }) {
        test("${impl.name}: byte[] map agrees with TreeMap in unsigned order") {
            impl.newBytesMap().use { open ->
                val m = open.map
                val model = TreeMap<ByteArray, String>(java.util.Arrays::compareUnsigned)
                val rnd = SplittableRandom(5)
                repeat(2_000 * scale) {
                    // Short keys over a few byte values, so prefixes, 0x00 and 0xFF (unsigned order) occur.
                    val k = ByteArray(rnd.nextInt(0, 12)) { listOf(0, 1, 0x7F, 0x80, 0xFF)[rnd.nextInt(5)].toByte() }
                    m.put(k, "v$it") shouldBe model.put(k, "v$it")
                }
                m.size shouldBe model.size
                m.keys.map { it.toList() } shouldBe model.keys.map { it.toList() }
                val from = model.keys.elementAt(model.size / 2)
                m.tailMap(from).keys.take(20).map { it.toList() } shouldBe model.tailMap(from).keys.take(20).map { it.toList() }
            }
        }
    }

    test("key shapes: distinct keys, documented lengths, equal keys on every call") {
        val n = 20_000L * scale
        for (shape in KeyShape.entries) withClue(shape) {
            val keys = (0 until n).map { shape.key(it) }
            val distinct = keys.map { if (it is ByteArray) it.toList() else it }.toSet()
            distinct.size shouldBe n.toInt()
            (if (shape.bytes) shape.key(7).let { (it as ByteArray).toList() } else shape.key(7)) shouldBe
                (if (shape.bytes) (keys[7] as ByteArray).toList() else keys[7])
            val lengths = keys.map { StringKeyBenchmark.keyLength(it) }
            when (shape) {
                KeyShape.YCSB -> keys.all { (it as String).startsWith("user") && it.length in 5..23 } shouldBe true
                KeyShape.URL -> {
                    (lengths.min() >= 56 && lengths.max() <= 99) shouldBe true
                    keys.all { (it as String).startsWith("https://host-") && it.all { c -> c.code < 0x80 } } shouldBe true
                }
                KeyShape.BYTES16 -> lengths.all { it == 16 } shouldBe true
            }
        }
        KeyShape.urlKey(4).let { KeyShape.urlKey(5).startsWith(it) } shouldBe true
        runCatching { KeyShape.of("nope") }.exceptionOrNull()!!.message!! shouldContain "bytes16"
    }

    test("string-key benchmarks: impls take the key types, and one without them is skipped with a message") {
        for (c in listOf(StringKeyBenchmark::class.java, StringKeyPutBenchmark::class.java)) {
            val impls = c.getDeclaredField("impl").getAnnotation(Param::class.java).value.toList()
            withClue(c.simpleName) {
                Implementations.stringNames.containsAll(impls) shouldBe true
                Implementations.bytesNames.containsAll(impls) shouldBe true
            }
        }
        runCatching { openForShape("offheap", KeyShape.URL) }.exceptionOrNull()!!.message!! shouldContain "skipped"
        runCatching { openForShape("mapdb", KeyShape.BYTES16) }.exceptionOrNull()!!.message!! shouldContain "skipped"
    }

    test("memory harness measures string-shaped keys") {
        val r = MemoryFootprint.measureShapeHere("masstree", 1_000, KeyShape.URL)
        r.entries shouldBe 1_000L
        r.heapBytesPerEntry.isNaN() shouldBe false
    }

    test("LockedTreeMap views: descending, bounded, and iteration across batches") {
        val m = LockedTreeMap<Int, Int>()
        for (k in 999 downTo 0) m[k] = -k
        m.entries.map { it.key } shouldBe (0..999).toList()
        m.descendingMap().firstKey() shouldBe 999
        m.subMap(10, true, 20, false).keys.toList() shouldBe (10 until 20).toList()
        m.headMap(5).size shouldBe 5
        m.tailMap(995, false).keys.toList() shouldBe listOf(996, 997, 998, 999)
        m.descendingKeySet().take(3) shouldBe listOf(999, 998, 997)
        m.pollFirstEntry()!!.key shouldBe 0
        val it = m.entries.iterator()
        it.next().key shouldBe 1
        it.remove()
        m.containsKey(1) shouldBe false
    }

    test("registry rejects unknown names with the list of known ones") {
        val e = runCatching { Implementations.byName("nope") }.exceptionOrNull()!!
        e.message!! shouldContain Implementations.BASELINE
    }

    test("every benchmark's impl parameter lists exactly the registry") {
        for (c in listOf(YcsbLongBenchmark::class.java, ReadMicroBenchmark::class.java, PutMicroBenchmark::class.java)) {
            val f = c.getDeclaredField("impl")
            withClue(c.simpleName) { f.getAnnotation(Param::class.java).value.toList() shouldBe Implementations.names }
        }
        YcsbStringBenchmark::class.java.getDeclaredField("impl").getAnnotation(Param::class.java).value.toList() shouldBe
            Implementations.stringNames
        val e = runCatching { Implementations.byName("offheap").newStringMap() }.exceptionOrNull()!!
        e.message!! shouldContain "long keys only"
    }

    test("Bw-tree contention benchmark: thresholds the builder takes, the default among them") {
        val thresholds = BwTreeContentionBenchmark::class.java.getDeclaredField("consolidateThreshold")
            .getAnnotation(Param::class.java).value.map { it.toInt() }
        (BwTreeMap.DEFAULT_CONSOLIDATE_THRESHOLD in thresholds) shouldBe true
        for (t in thresholds) BwTreeContentionBenchmark().apply { consolidateThreshold = t }.newMap()
    }

    test("Bw-tree contention benchmark: the hot range stays put and its counters add up (two workers taking turns)") {
        val bench = BwTreeContentionBenchmark().apply { consolidateThreshold = 4 }
        val range = BwTreeContentionBenchmark.HotRange().apply { hotKeys = 64; hotMapSize = 10_000 }
        range.load(bench)
        range.keys.toList() shouldBe (4_968L until 5_032L).toList()
        val threads = (0 until 2).map { ThreadParams(it, 2, 0, 1, 0, 1, it, 2, it, 2) }
        val workers = threads.map { t -> BwTreeContentionBenchmark.HotWorker().apply { prepare(range, t); reset() } }
        val counters = threads.map { t -> BwTreeContentionBenchmark.HotCounters().apply { begin(range, t) } }
        repeat(20_000) { for (i in 0..1) bench.hotRange(range, workers[i], counters[i]) }
        counters.forEach { it.end(range) }
        workers.sumOf { it.done } shouldBe 40_000L
        val c = counters[0]
        // One thread at a time: no CAS can fail; a put or remove lands on a hot leaf three times
        // in four, and a chain of more than 4 deltas is consolidated.
        c.casFailuresPerOp shouldBeExactly 0.0
        withClue(c.consolidationsPerOp) { (c.consolidationsPerOp > 0.05 && c.consolidationsPerOp < 0.75 / 4) shouldBe true }
        withClue("p50 ${c.chainP50} p90 ${c.chainP90} max ${c.chainMax} mean ${c.chainMean}") {
            (c.chainP50 <= c.chainP90 && c.chainP90 <= c.chainMax && c.chainMax <= 4.0) shouldBe true
            (c.chainMax > 0.0 && c.chainMean > 0.0 && c.chainMean <= c.chainMax) shouldBe true
        }
        // The second thread reports nothing: JMH adds a counter up over threads.
        val other = counters[1]
        listOf(other.casFailuresPerOp, other.consolidationsPerOp, other.chainMean) shouldBe listOf(0.0, 0.0, 0.0)
        listOf(other.chainP50, other.chainP90, other.chainMax) shouldBe listOf(0.0, 0.0, 0.0)
        range.map.checkInvariants()
        range.map.firstKey() shouldBe 0L
        range.map.lastKey() shouldBe 9_999L
        range.map.headMap(4_968L).size shouldBe 4_968
        range.map.tailMap(5_032L).size shouldBe 10_000 - 5_032
    }

    test("op streams follow the mix and stay in range") {
        for (mix in YcsbMix.entries) {
            val s = OpStream(mix, KeyDistribution.ZIPFIAN, 1000, 1, 2, size = 4096)
            val inserts = s.ops.count { it == Op.INSERT }
            withClue(mix) {
                (inserts > 0) shouldBe (mix.insert > 0)
                (s.ops.count { it == Op.SCAN } > 0) shouldBe (mix.scan > 0)
                for (i in 0 until s.size) {
                    if (s.ops[i] != Op.INSERT) (s.records[i] in 0 until 1000 + 2L * inserts) shouldBe true
                    else (s.records[i] >= 1000 && s.records[i] % 2 == 1L) shouldBe true
                }
            }
        }
    }

    fun db(impl: String): ArboretumDB = ArboretumDB().apply {
        setProperties(Properties().apply { setProperty(ArboretumDB.IMPL, impl) })
        init()
    }

    fun fields(vararg kv: Pair<String, String>): Map<String, ByteIterator> =
        kv.associate { it.first to StringByteIterator(it.second) as ByteIterator }

    fun strings(m: Map<String, ByteIterator>) = m.mapValues { it.value.toString() }

    for (impl in listOf("btree", Implementations.BASELINE)) {
        test("YCSB binding on $impl: insert, read, update, delete") {
            val db = db(impl)
            try {
                db.insert("t", "user2", fields("f0" to "a", "f1" to "b:5:x")) shouldBe Status.OK
                val out = HashMap<String, ByteIterator>()
                db.read("t", "user2", null, out) shouldBe Status.OK
                strings(out) shouldBe mapOf("f0" to "a", "f1" to "b:5:x")
                out.clear()
                db.read("t", "user2", setOf("f1"), out) shouldBe Status.OK
                strings(out) shouldBe mapOf("f1" to "b:5:x")
                db.update("t", "user2", fields("f1" to "c")) shouldBe Status.OK
                out.clear()
                db.read("t", "user2", null, out) shouldBe Status.OK
                strings(out) shouldBe mapOf("f0" to "a", "f1" to "c")
                db.update("t", "user9", fields("f1" to "c")) shouldBe Status.NOT_FOUND
                db.read("other", "user2", null, HashMap()) shouldBe Status.NOT_FOUND
                db.delete("t", "user2") shouldBe Status.OK
                db.delete("t", "user2") shouldBe Status.NOT_FOUND
                db.read("t", "user2", null, HashMap()) shouldBe Status.NOT_FOUND
            } finally {
                db.cleanup()
            }
        }
        test("YCSB binding on $impl: scan from a key, in key order") {
            if (hasViews(Implementations.byName(impl))) {
                val db = db(impl)
                try {
                    for (k in listOf("user5", "user1", "user4", "user3", "user2")) db.insert("t", k, fields("f" to k))
                    val rows = Vector<HashMap<String, ByteIterator>>()
                    db.scan("t", "user2", 3, null, rows) shouldBe Status.OK
                    rows.map { it["f"].toString() } shouldBe listOf("user2", "user3", "user4")
                } finally {
                    db.cleanup()
                }
            }
        }
    }

    fun parse(vararg args: String): Settings {
        var got: Settings? = null
        CompareCommand { got = it }.parse(args.toList())
        return got!!
    }

    fun parseError(vararg args: String): String =
        runCatching { parse(*args) }.exceptionOrNull().let { e ->
            withClue(args.joinToString(" ")) { (e is CliktError) shouldBe true }
            (e as CliktError).let { it.message ?: it.toString() }
        }

    test("Compare options: defaults, every option, and clear errors") {
        val d = parse()
        d.profile shouldBe "quick"
        d.impls shouldBe Implementations.names
        d.forks shouldBe 2
        d.regimes shouldBe listOf(Regime.AGED)
        d.iteration shouldBe 100
        d.memory shouldBe true
        d.long shouldBe false
        d.persistentArgs shouldBe listOf("--profile", "quick")
        val long = parse("--long")
        long.iteration shouldBe 300
        long.persistentArgs shouldBe listOf("--profile", "quick", "--records", "100000", "--budget-mib", "2.5")
        parse("--long", "--iteration-ms", "200").iteration shouldBe 200
        d.childResults.shouldBeNull()
        val full = parse("--profile", "full")
        full.regimes shouldBe listOf(Regime.AGED, Regime.FRESH)
        full.iteration shouldBe 1000
        val s = parse("--impls", "btree, skiplist", "--threads", "4,1", "--forks", "3", "--regimes", "fresh",
            "--out", "x/y", "--iteration-ms", "50", "--no-memory")
        s.impls shouldBe listOf("btree", "skiplist")
        s.threads shouldBe listOf(4, 1)
        s.forks shouldBe 3
        s.regimes shouldBe listOf(Regime.FRESH)
        s.out.toString() shouldBe "x/y"
        s.iteration shouldBe 50
        s.memory shouldBe false
        parseError("--impls", "btree,nope") shouldContain Implementations.BASELINE
        parseError("--threads", "0")
        parseError("--threads", "two")
        parseError("--forks", "0")
        parseError("--profile", "slow") shouldContain "quick"
        parseError("--regimes", "old") shouldContain "aged"
        parseError("--iteration-ms", "-5")
        parseError("--bogus")
    }

    test("fork rows round-trip through the child file format and gather into cells in fork order") {
        val rows = listOf(
            Compare.ForkRow("ycsb-long", "A", "zipfian", "aged", 1, "btree", 2.0e6, ""),
            Compare.ForkRow("ycsb-long", "A", "zipfian", "aged", 1, "skiplist", 1.0e6, ""),
            Compare.ForkRow("ycsb-long", "A", "zipfian", "aged", 1, "btree", 3.0e6, ""),
            Compare.ForkRow("ycsb-long", "A", "zipfian", "aged", 1, "skiplist", 1.0e6, ""),
            Compare.ForkRow("ycsb-long", "E", "zipfian", "aged", 1, "mapdb", Double.NaN, "boom\twith tab"),
            Compare.ForkRow("ycsb-long", "E", "zipfian", "aged", 1, "mapdb", 5.0, ""),
        )
        val parsed = rows.map { Compare.parseRow(Compare.formatRow(it)) }
        parsed.take(4) shouldBe rows.take(4)
        parsed[4].note shouldBe "boom with tab"
        val cells = Compare.gather(parsed)
        cells.size shouldBe 3
        val btree = cells.single { it.impl == "btree" }
        btree.forkScores shouldBe listOf(2.0e6, 3.0e6)
        btree.opsPerSecond shouldBeExactly 2.5e6
        btree.spread shouldBeExactly 0.4
        btree.unstable shouldBe true
        val q = ReportWriter.ratio(btree, cells)
        q.median shouldBeExactly 2.5
        q.min shouldBeExactly 2.0
        q.max shouldBeExactly 3.0
        val mapdb = cells.single { it.impl == "mapdb" }
        mapdb.forkScores shouldBe listOf(5.0)
        mapdb.note shouldContain "1 of 2 forks failed"
        runCatching { Compare.parseRow("a\tb") }.exceptionOrNull()!!.message!! shouldContain "malformed"
    }

    test("spread marking: above 25% of the median is unstable, at or below is not; one fork has spread 0") {
        fun cell(vararg f: Double) = ThroughputResult("s", "w", "d", "aged", 1, "btree", f.toList())
        cell(100.0, 125.0).unstable shouldBe false // spread 25 / 112.5
        cell(100.0, 125.0, 100.0).unstable shouldBe false // spread exactly 0.25: not above
        cell(100.0, 126.0, 100.0).unstable shouldBe true
        cell(100.0).spread shouldBeExactly 0.0
        cell().ok shouldBe false
        cell().unstable shouldBe false
        ThroughputResult.median(listOf(3.0, 1.0, 2.0)) shouldBeExactly 2.0
        ThroughputResult.median(listOf(4.0, 1.0, 2.0, 3.0)) shouldBeExactly 2.5
    }

    test("report writer produces consistent CSV, JSON and HTML (XChart SVG, marks, complete legends) from fake results") {
        val rows = listOf(
            ThroughputResult("ycsb-long", "A", "zipfian", "aged", 1, Implementations.BASELINE, listOf(1_000_000.0, 1_100_000.0)),
            ThroughputResult("ycsb-long", "A", "zipfian", "aged", 1, "btree", listOf(2_000_000.0, 2_100_000.0)),
            ThroughputResult("ycsb-long", "C", "zipfian", "aged", 1, Implementations.BASELINE, listOf(1_000_000.0, 1_000_000.0)),
            ThroughputResult("ycsb-long", "C", "zipfian", "aged", 1, "btree", listOf(1_000_000.0, 3_000_000.0)),
            ThroughputResult("ycsb-long", "E", "zipfian", "aged", 1, "btree", emptyList(), "not supported: \"x\", <y>"),
            ThroughputResult("ycsb-long", "E", "zipfian", "aged", 1, "mapdb", emptyList(), "failed"),
        )
        val memory = listOf(MemoryResult("btree", 1_000_000, 44.0, 0.0), MemoryResult("mapdb", 1_000_000, Double.NaN, Double.NaN, "timed out"))
        val report = ComparisonReport(rows, memory, mapOf("cores" to "2"))
        ReportWriter.ratio(rows[1], rows).median shouldBeExactly (2.0 + 2_100_000.0 / 1_100_000.0) / 2
        ReportWriter.ratio(rows[4], rows).ok shouldBe false
        val dir = Files.createTempDirectory("arboretum-report")
        val files = ReportWriter.write(report, dir)
        files.map { it.fileName.toString() } shouldContainExactly listOf("index.html", "results.json", "results.csv")

        val csv = Files.readAllLines(dir.resolve("results.csv"))
        csv.size shouldBe 1 + rows.size + memory.size
        val header = csv[0].split(',')
        // Every line has the header's number of fields once quoted fields are taken as one.
        for (line in csv.drop(1)) withClue(line) { splitCsv(line).size shouldBe header.size }
        val c = splitCsv(csv[4]).zip(header).associate { it.second to it.first }
        c["regime"] shouldBe "aged"
        c["ops_per_s_median"] shouldBe "2000000.0"
        c["spread"] shouldBe "1.000"
        c["unstable"] shouldBe "true"
        c["ratio_min"] shouldBe "1.000"
        c["ratio_max"] shouldBe "3.000"
        c["fork_ops_per_s"] shouldBe "1000000.0;3000000.0"

        val json = Files.readString(dir.resolve("results.json"))
        checkJson(json)
        json shouldContain "\"ratioToBaseline\": 2.000"
        json shouldContain "\"opsPerSecondMedian\": null"
        json shouldContain "\"unstable\": true"
        json shouldContain "\"forkOpsPerSecond\": [1000000.000, 3000000.000]"

        val html = Files.readString(dir.resolve("index.html"))
        html shouldStartWith "<!DOCTYPE html>"
        html shouldContain "&lt;y&gt;"
        (html.indexOf("<script") < 0) shouldBe true
        withClue(html.substringAfter("chart not drawn", "").take(400)) { (html.indexOf("chart not drawn") < 0) shouldBe true }
        // One ratio chart for the one section, one memory chart; every implementation in the legend.
        Regex("<svg").findAll(html).count() shouldBe 2
        Regex("</svg>").findAll(html).count() shouldBe 2
        // XChart draws text as outlines, so the legend is checked on the chart itself: a series
        // with no number at all (mapdb here) is still a series, and the legend is shown.
        val series = listOf(Implementations.BASELINE, "btree", "mapdb")
        val chart = ReportWriter.chart("t", "y", listOf("A", "E"), series) { w, i ->
            if (i == "mapdb" || w == "E") null else 1.5 to 0.2
        }
        chart.seriesMap.keys.toList() shouldBe series
        chart.styler.isLegendVisible shouldBe true
        html shouldContain "class=\"better unstable\""
        html shouldContain "Unstable cells"

        val table = ReportWriter.consoleTable(report)
        table shouldContain "x2.00 (1.00-3.00) ${ReportWriter.UNSTABLE_MARK}"
        table shouldContain "unstable cells"
    }
})

/** Whether [impl]'s maps have working range views (`tailMap`, `keySet`). */
private fun hasViews(impl: Implementation): Boolean = impl.newLongMap().use { open ->
    open.map[1L] = 1L
    runCatching { open.map.tailMap(0L).entries.iterator().next(); open.map.keys.first() }.isSuccess
}

/** Splits one CSV line, honouring quoted fields. */
private fun splitCsv(line: String): List<String> {
    val out = mutableListOf<String>()
    val cur = StringBuilder()
    var quoted = false
    var i = 0
    while (i < line.length) {
        val c = line[i]
        when {
            quoted && c == '"' && i + 1 < line.length && line[i + 1] == '"' -> { cur.append('"'); i++ }
            c == '"' -> quoted = !quoted
            c == ',' && !quoted -> { out += cur.toString(); cur.clear() }
            else -> cur.append(c)
        }
        i++
    }
    out += cur.toString()
    return out
}

/** A small JSON syntax check (objects, arrays, strings, numbers, literals); throws on error. */
private fun checkJson(text: String) {
    var i = 0
    fun ws() { while (i < text.length && text[i].isWhitespace()) i++ }
    fun fail(): Nothing = throw AssertionError("invalid JSON at offset $i: ${text.substring(i, minOf(text.length, i + 30))}")
    fun value() {
        ws()
        if (i >= text.length) fail()
        when (text[i]) {
            '{' -> {
                i++; ws()
                if (text[i] == '}') { i++; return }
                while (true) {
                    ws(); if (text[i] != '"') fail(); value(); ws()
                    if (text[i] != ':') fail(); i++; value(); ws()
                    if (text[i] == ',') { i++; continue }
                    if (text[i] == '}') { i++; return }
                    fail()
                }
            }
            '[' -> {
                i++; ws()
                if (text[i] == ']') { i++; return }
                while (true) {
                    value(); ws()
                    if (text[i] == ',') { i++; continue }
                    if (text[i] == ']') { i++; return }
                    fail()
                }
            }
            '"' -> {
                i++
                while (text[i] != '"') { if (text[i] == '\\') i++; i++ }
                i++
            }
            else -> {
                val m = Regex("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?|true|false|null").matchAt(text, i) ?: fail()
                i += m.value.length
            }
        }
    }
    value(); ws()
    if (i != text.length) fail()
}
