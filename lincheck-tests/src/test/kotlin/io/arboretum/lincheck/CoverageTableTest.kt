package io.arboretum.lincheck

import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.extension
import kotlin.io.path.nameWithoutExtension
import org.jetbrains.lincheck.datastructures.Operation
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Keeps `docs/lincheck-coverage.md` true: parses its table and compares it with the operations
 * classes (by reflection), with the Lincheck test subclasses found in the compiled test classes,
 * and with the subjects of [WeakConsistencyStressTest].
 */
class CoverageTableTest {
    private val table: Table = Table.parse(locateDoc())

    /** The table's rows and the `@Operation` methods of each operations class are the same set. */
    @Test
    fun `every row names an existing operation and every operation has a row`() {
        for (opsClass in OPERATIONS_CLASSES) {
            val declared = opsClass.methods.filter { it.isAnnotationPresent(Operation::class.java) }.map { it.name }.toSortedSet()
            val listed = table.rows.filter { it.cls == opsClass.simpleName }.map { it.checkedAs }.toSortedSet()
            assertEquals(declared, listed,
                "docs/lincheck-coverage.md and the @Operation methods of ${opsClass.simpleName} disagree: " +
                    "only in the class ${declared - listed}, only in the table ${listed - declared}")
        }
    }

    /** A Lincheck cell says "MC, stress" exactly when a test subclass runs that class on that index. */
    @Test
    fun `each Lincheck cell matches the test subclasses that exist`() {
        val subclasses = lincheckSubclasses()
        for (row in table.rows.filter { r -> OPERATIONS_CLASSES.any { it.simpleName == r.cls } }) {
            for ((index, cell) in row.cells) {
                val claimed = modesOf(cell, "${row.checkedAs}, column $index")
                val actual = subclasses.filter { (cls, idx) -> idx == index && cls.operationsClass().simpleName == row.cls }
                    .flatMap { (cls, _) -> modesRunBy(cls) }.toSortedSet()
                assertEquals(claimed, actual,
                    "docs/lincheck-coverage.md says ${row.cls}.${row.checkedAs} runs on $index in modes $claimed; the test classes run $actual")
            }
        }
        // Every subclass found runs against a column of the table.
        for ((cls, index) in subclasses) {
            assertTrue(index in table.indexes, "${cls.simpleName} tests $index, which has no column in the table")
        }
    }

    /** A weak-consistency cell says "weak" exactly when the checker scans that index that way. */
    @Test
    fun `each weak-consistency cell matches the checker's subjects`() {
        val subjects = WeakConsistencyStressTest.subjects()
        for (row in table.rows.filter { it.cls == WeakConsistencyStressTest::class.java.simpleName }) {
            for ((index, cell) in row.cells) {
                val subject = subjects.find { if (index == CONTROL) it.name.endsWith("(control)") else it.name == index }
                val runs = subject != null &&
                    (row.checkedAs in EVERY_SUBJECT || subject.scans.any { it.first == row.checkedAs })
                when {
                    cell == "weak" -> assertTrue(runs, "the table says '${row.checkedAs}' is checked on $index, but the checker does not")
                    cell.startsWith("—") -> assertTrue(!runs, "the checker runs '${row.checkedAs}' on $index, but the table says it does not")
                    else -> throw AssertionError("unknown cell '$cell' in row ${row.checkedAs}, column $index")
                }
            }
        }
    }

    /** The concrete `*LincheckTest` subclasses of the operations classes, each with the index it tests. */
    private fun lincheckSubclasses(): List<Pair<Class<*>, String>> {
        val dir = Path.of(MapOperations::class.java.protectionDomain.codeSource.location.toURI())
            .resolve(MapOperations::class.java.packageName.replace('.', '/'))
        val found = ArrayList<Pair<Class<*>, String>>()
        Files.list(dir).use { files ->
            for (f in files) {
                if (f.extension != "class" || '$' in f.nameWithoutExtension || !f.nameWithoutExtension.endsWith("LincheckTest")) continue
                val cls = Class.forName(MapOperations::class.java.packageName + "." + f.nameWithoutExtension)
                if (OPERATIONS_CLASSES.none { it.isAssignableFrom(cls) } || java.lang.reflect.Modifier.isAbstract(cls.modifiers)) continue
                val instance = cls.getDeclaredConstructor().newInstance()
                val index = cls.getMethod("getIndexName").invoke(instance) as String
                found += cls to index
            }
        }
        assertTrue(found.isNotEmpty(), "found no *LincheckTest classes in $dir")
        return found
    }

    /** The modes a cell claims: "MC, stress" gives both, "stress (c)" one, "— (a)" none. */
    private fun modesOf(cell: String, where: String): Set<String> {
        val text = cell.replace(Regex("""\([a-z]\)"""), "").trim()
        if (text == "—") return sortedSetOf()
        val modes = text.split(",").map { it.trim() }.toSortedSet()
        assertTrue(modes.all { it == MC || it == STRESS }, "unknown cell '$cell' in row $where")
        return modes
    }

    /** The modes a test class runs, by its JUnit test methods. */
    private fun modesRunBy(cls: Class<*>): Set<String> = buildSet {
        val names = cls.methods.filter { it.isAnnotationPresent(Test::class.java) }.map { it.name }
        if ("modelCheckingTest" in names) add(MC)
        if ("stressTest" in names) add(STRESS)
    }

    /** The operations class ([OPERATIONS_CLASSES]) that this test class extends. */
    private fun Class<*>.operationsClass(): Class<*> = OPERATIONS_CLASSES.first { it.isAssignableFrom(this) }

    /** One row: the operation as documented, its class, its method or scan name, and one cell per index. */
    private class Row(val cls: String, val checkedAs: String, val cells: Map<String, String>)

    /** The parsed coverage table. */
    private class Table(val indexes: List<String>, val rows: List<Row>) {
        companion object {
            fun parse(text: String): Table {
                val lines = text.lines().map { it.trim() }.filter { it.startsWith("|") }
                require(lines.size > 2) { "docs/lincheck-coverage.md has no table" }
                fun cells(line: String) = line.trim('|').split('|').map { it.trim() }
                val header = cells(lines[0])
                require(header.take(3) == listOf("Operation", "Class", "Checked as")) { "unexpected table header $header" }
                val indexes = header.drop(3)
                val rows = lines.drop(2).map { line ->
                    val c = cells(line)
                    require(c.size == header.size) { "row has ${c.size} cells, header ${header.size}: $line" }
                    Row(c[1].trim('`'), c[2].trim('`'), indexes.zip(c.drop(3)).toMap())
                }
                return Table(indexes, rows)
            }
        }
    }

    private companion object {
        const val CONTROL = "control"
        const val MC = "MC"
        const val STRESS = "stress"
        val OPERATIONS_CLASSES = listOf(MapOperations::class.java, ViewOperations::class.java)

        /** Weak-consistency probes that every subject of the checker runs. */
        val EVERY_SUBJECT = setOf("size()", "putAll during scans")

        fun locateDoc(): String {
            val candidates = listOf(Path.of("..", "docs", "lincheck-coverage.md"), Path.of("docs", "lincheck-coverage.md"))
            val doc = candidates.firstOrNull { Files.isRegularFile(it) }
                ?: throw AssertionError("docs/lincheck-coverage.md not found from ${Path.of("").toAbsolutePath()}")
            return Files.readString(doc)
        }
    }
}
