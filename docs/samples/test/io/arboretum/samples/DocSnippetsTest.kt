package io.arboretum.samples

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.samples.coroutines.CustomerRepository
import io.arboretum.samples.coroutines.Customer
import io.arboretum.samples.coroutines.FeeService
import io.arboretum.samples.coroutines.Order
import io.arboretum.samples.coroutines.Sale
import io.arboretum.samples.coroutines.UTC
import io.arboretum.samples.coroutines.bulkLoading
import io.arboretum.samples.coroutines.foldingARange
import io.arboretum.samples.coroutines.liveTopN
import io.arboretum.samples.coroutines.streamingARange
import io.arboretum.samples.coroutines.streamingAResponse
import io.arboretum.samples.coroutines.updatingAValue
import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant
import java.time.LocalDate
import kotlin.io.path.extension
import kotlin.io.path.name
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Snippets that cannot rot. Every ```java and ```kotlin block in README.md and docs/ must be
 * preceded by a line `<!-- snippet: ID -->`, and must equal (after removing the common
 * indentation) the lines between `// snippet:begin ID` and `// snippet:end ID` in a sample under
 * docs/samples, which this module compiles and which the tests below run.
 */
class DocSnippetsTest {
    private val docs: Path = Path.of("").toAbsolutePath().let { if (it.name == "docs") it else it.resolve("docs") }
    private val root: Path = docs.parent

    /** Every code block of the docs is a marked copy of a sample region, and every region is shown. */
    @Test
    fun `doc snippets equal their samples`() {
        val regions = sampleRegions()
        val blocks = docBlocks()
        assertTrue(blocks.size >= 15, "expected at least 15 marked snippets, found ${blocks.size}")
        val problems = ArrayList<String>()
        for (b in blocks) {
            val id = b.id
            if (id == null) {
                problems += "${b.where}: a ```${b.lang} block without a <!-- snippet: ID --> line before it"
                continue
            }
            val region = regions[id]
            if (region == null) {
                problems += "${b.where}: snippet '$id' has no region '// snippet:begin $id' in docs/samples"
            } else if (region != b.text) {
                problems += "${b.where}: snippet '$id' differs from its sample:\n--- doc\n${b.text}\n--- sample\n$region"
            }
        }
        val shown = blocks.mapNotNull { it.id }.toSet()
        for (id in regions.keys - shown) problems += "sample region '$id' is shown in no doc"
        assertTrue(problems.isEmpty(), problems.joinToString("\n\n"))
    }

    /** The complete Java programs run. */
    @Test
    fun `java samples run`() {
        QuickStart.main(arrayOf())
        OffHeapHits.main(arrayOf())
        GettingStarted.main(arrayOf())
        MasstreeGuide.main(arrayOf())
        PmaGuide.main(arrayOf())
    }

    /** The complete Kotlin programs run. */
    @Test
    fun `kotlin programs run`() {
        io.arboretum.samples.readme.main()
        io.arboretum.samples.gettingstarted.main()
    }

    /** The fragments of the Kotlin coroutines guide run and give the results the guide says. */
    @Test
    fun `kotlin coroutines fragments run`() = runBlocking {
        val orders = ConcurrentBTreeMap<Long, Order>()
        for (id in 990L..2_010L) orders[id] = Order("c${id % 5}", id)
        val (newest, page) = streamingARange(orders, cursor = 1_500L)
        assertEquals((2_010L downTo 1_991L).toList(), newest.map { it.cents })
        assertEquals((1_501L..1_600L).toList(), page.toList())

        val lines = ArrayList<String>()
        streamingAResponse(orders, 2_000L) { lines += it }
        assertEquals(11, lines.size)
        assertTrue(lines[0].startsWith("{\"id\":2000,"), lines[0])

        val day = Instant.parse("2026-12-01T00:00:00Z")
        val sales = ConcurrentBTreeMap<Instant, Sale>()
        for (h in 0L until 72L) sales[day.plusSeconds(3_600 * h)] = Sale(100)
        val revenue = foldingARange(sales, day, day.plusSeconds(86_400 * 2), UTC)
        assertEquals(mapOf(LocalDate.of(2026, 12, 1) to 2_400L, LocalDate.of(2026, 12, 2) to 2_400L), revenue)

        val balances = ConcurrentBTreeMap<Long, Long>()
        balances[7L] = 100L
        assertEquals(99L, updatingAValue(balances, 7L, FeeService()))

        val (index, loaded) = bulkLoading(CustomerRepository(listOf(Customer(2, "b"), Customer(1, "a"))))
        assertEquals(2L, loaded)
        assertEquals(listOf(1L, 2L), index.keys.toList())

        // The live top-N follows writes made while it runs.
        val scores = ConcurrentBTreeMap<String, Long>()
        for ((p, s) in listOf("ann" to 10L, "bob" to 30L, "cy" to 20L, "dee" to 5L)) scores[p] = s
        val latest = java.util.concurrent.atomic.AtomicReference<List<Pair<String, Long>>>(emptyList())
        val top = launch(kotlinx.coroutines.Dispatchers.Default) { liveTopN(scores, 3) { latest.set(it) } }
        kotlinx.coroutines.withTimeout(10_000) {
            while (latest.get() != listOf("bob" to 30L, "cy" to 20L, "ann" to 10L)) kotlinx.coroutines.delay(1)
            scores["dee"] = 40L
            scores.remove("bob")
            scores.merge("ann", 15L, Long::plus)
            while (latest.get() != listOf("dee" to 40L, "ann" to 25L, "cy" to 20L)) kotlinx.coroutines.delay(1)
        }
        top.cancel()
    }

    private class Block(val where: String, val lang: String, val id: String?, val text: String)

    private fun docFiles(): List<Path> {
        val files = ArrayList<Path>()
        files.add(root.resolve("README.md"))
        Files.walk(docs).use { s ->
            s.filter { it.extension == "md" && !it.startsWith(docs.resolve("target")) }.sorted().forEach { files.add(it) }
        }
        return files
    }

    private fun docBlocks(): List<Block> {
        val out = ArrayList<Block>()
        val marker = Regex("""^<!-- snippet: ([\w-]+) -->$""")
        for (f in docFiles()) {
            val lines = Files.readAllLines(f)
            var i = 0
            while (i < lines.size) {
                val fence = Regex("^```(\\w*)\\s*$").find(lines[i])
                if (fence == null) {
                    i++
                    continue
                }
                val lang = fence.groupValues[1]
                val start = i
                i++
                val body = ArrayList<String>()
                while (i < lines.size && lines[i].trimEnd() != "```") body += lines[i++]
                i++
                if (lang == "java" || lang == "kotlin") {
                    val id = if (start > 0) marker.find(lines[start - 1].trim())?.groupValues?.get(1) else null
                    out += Block("${root.relativize(f)}:${start + 1}", lang, id, normalize(body))
                }
            }
        }
        return out
    }

    private fun sampleRegions(): Map<String, String> {
        val out = LinkedHashMap<String, String>()
        val begin = Regex("""^\s*// snippet:begin ([\w-]+)\s*$""")
        Files.walk(docs.resolve("samples")).use { s ->
            s.filter { it.extension == "java" || it.extension == "kt" }.sorted().forEach { f ->
                val lines = Files.readAllLines(f)
                var i = 0
                while (i < lines.size) {
                    val id = begin.find(lines[i])?.groupValues?.get(1)
                    i++
                    if (id == null) continue
                    val body = ArrayList<String>()
                    while (i < lines.size && !lines[i].trim().startsWith("// snippet:end")) body += lines[i++]
                    check(i < lines.size && lines[i].trim() == "// snippet:end $id") { "$f: region '$id' is not closed by // snippet:end $id" }
                    check(out.put(id, normalize(body)) == null) { "$f: region '$id' is defined twice" }
                    i++
                }
            }
        }
        return out
    }

    /** Drops trailing blank lines and trailing spaces, and the indentation common to every line. */
    private fun normalize(lines: List<String>): String {
        val trimmed = lines.map { it.trimEnd() }.dropLastWhile { it.isEmpty() }.dropWhile { it.isEmpty() }
        val indent = trimmed.filter { it.isNotEmpty() }.minOfOrNull { it.length - it.trimStart().length } ?: 0
        return trimmed.joinToString("\n") { if (it.isEmpty()) it else it.substring(indent) }
    }
}
