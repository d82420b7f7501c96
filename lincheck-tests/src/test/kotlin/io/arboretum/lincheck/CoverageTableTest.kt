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
 * Keeps `docs/lincheck-coverage.md` true. Its operations table is compared with the scenario
 * classes (by reflection: their `@Operation` methods), with the `*LincheckTest` classes found in
 * the compiled test classes (which index runs which scenario class), and with the subjects of
 * [WeakConsistencyStressTest]. Its structure table is compared with the measured test classes:
 * one row each, and a row claims at least 30% concurrent splits and merges in model checking
 * exactly when its class asserts that goal on every run ([LincheckScenario.structureGoal]), so a
 * claimed fraction that the scenarios stop reaching fails the build.
 */
class CoverageTableTest {
    private val doc: String = locateDoc()
    private val operations: Table = Table.parse(doc, "Operation")
    private val structure: Table = Table.parse(doc, "Test class")
    private val tests: List<Pair<Class<*>, String>> = lincheckTests()
    private val scenarioClasses: Set<Class<*>> = tests.map { it.first.superclass }.toSet()

    /** The table's rows and the `@Operation` methods of each scenario class are the same set. */
    @Test
    fun `every row names an existing operation and every operation has a row`() {
        for (cls in scenarioClasses) {
            val declared = cls.methods.filter { it.isAnnotationPresent(Operation::class.java) }.map { it.name }.toSortedSet()
            val listed = operations.rows.filter { it.cell("Class") == cls.simpleName }.map { it.cell("Checked as") }.toSortedSet()
            assertEquals(declared, listed,
                "docs/lincheck-coverage.md and the @Operation methods of ${cls.simpleName} disagree: " +
                    "only in the class ${declared - listed}, only in the table ${listed - declared}")
        }
        val known = scenarioClasses.map { it.simpleName }.toSet() + WeakConsistencyStressTest::class.java.simpleName
        for (row in operations.rows) {
            assertTrue(row.cell("Class") in known, "the table names ${row.cell("Class")}, which no *LincheckTest runs")
        }
    }

    /** A cell says "MC, stress" exactly when a test class runs that scenario class on that index. */
    @Test
    fun `each Lincheck cell matches the test classes that exist`() {
        val indexes = operations.header.drop(3)
        for (row in operations.rows.filter { r -> scenarioClasses.any { it.simpleName == r.cell("Class") } }) {
            for (index in indexes) {
                val cell = row.cell(index)
                val claimed = modesOf(cell, "${row.cell("Checked as")}, column $index")
                val actual = tests.filter { (cls, idx) -> idx == index && cls.superclass.simpleName == row.cell("Class") }
                    .flatMap { (cls, _) -> modesRunBy(cls) }.toSortedSet()
                assertEquals(claimed, actual,
                    "docs/lincheck-coverage.md says ${row.cell("Class")}.${row.cell("Checked as")} runs on $index in modes $claimed; the test classes run $actual")
            }
        }
        for ((cls, index) in tests) {
            assertTrue(index in indexes, "${cls.simpleName} tests $index, which has no column in the table")
        }
    }

    /** A weak-consistency cell says "weak" exactly when the checker scans that index that way. */
    @Test
    fun `each weak-consistency cell matches the checker's subjects`() {
        val subjects = WeakConsistencyStressTest.subjects()
        for (row in operations.rows.filter { it.cell("Class") == WeakConsistencyStressTest::class.java.simpleName }) {
            for (index in operations.header.drop(3)) {
                val cell = row.cell(index)
                val subject = subjects.find { if (index == Indexes.CONTROL) it.name.endsWith("(control)") else it.name == index }
                val runs = subject != null &&
                    (row.cell("Checked as") in EVERY_SUBJECT || subject.scans.any { it.first == row.cell("Checked as") })
                when {
                    cell == "weak" -> assertTrue(runs, "the table says '${row.cell("Checked as")}' is checked on $index, but the checker does not")
                    cell.startsWith("—") -> assertTrue(!runs, "the checker runs '${row.cell("Checked as")}' on $index, but the table says it does not")
                    else -> throw AssertionError("unknown cell '$cell' in row ${row.cell("Checked as")}, column $index")
                }
            }
        }
    }

    /**
     * The structure table has one row per measured test class, and claims the 30% goal in model
     * checking (split and merge) exactly for the classes that assert it on every run.
     */
    @Test
    fun `the structure table matches the measured test classes and their goals`() {
        val measured = tests.map { it.first }.filter { it.getDeclaredConstructor().newInstance().let { t -> (t as LincheckScenario).measured } }
        assertEquals(measured.map { it.simpleName }.toSortedSet(), structure.rows.map { it.cell("Test class") }.toSortedSet(),
            "the structure table of docs/lincheck-coverage.md must list exactly the measured *LincheckTest classes")
        for (row in structure.rows) {
            val cls = measured.first { it.simpleName == row.cell("Test class") }
            val goal = (cls.getDeclaredConstructor().newInstance() as LincheckScenario).structureGoal
            val split = percent(row.cell("MC split"))
            val merge = percent(row.cell("MC merge"))
            val claimsGoal = split >= 30 && merge >= 30
            assertEquals(goal >= 0.30, claimsGoal,
                "${cls.simpleName}: the table shows MC split $split%, merge $merge%, but the class asserts a goal of ${goal * 100}% on every run")
        }
    }

    /** A percentage cell as an integer; "—" (not measured) as -1. */
    private fun percent(cell: String): Int = if (cell.trim() == "—") -1 else cell.trim().removeSuffix("%").trim().toIntOrNull()
        ?: throw AssertionError("not a percentage: '$cell'")

    /** The concrete `*LincheckTest` subclasses of [LincheckScenario], each with the index it tests. */
    private fun lincheckTests(): List<Pair<Class<*>, String>> {
        val dir = Path.of(LincheckScenario::class.java.protectionDomain.codeSource.location.toURI())
            .resolve(LincheckScenario::class.java.packageName.replace('.', '/'))
        val found = ArrayList<Pair<Class<*>, String>>()
        Files.list(dir).use { files ->
            for (f in files) {
                if (f.extension != "class" || '$' in f.nameWithoutExtension || !f.nameWithoutExtension.endsWith("LincheckTest")) continue
                val cls = Class.forName(LincheckScenario::class.java.packageName + "." + f.nameWithoutExtension)
                if (!LincheckScenario::class.java.isAssignableFrom(cls) || java.lang.reflect.Modifier.isAbstract(cls.modifiers)) continue
                val instance = cls.getDeclaredConstructor().newInstance() as LincheckScenario
                found += cls to instance.indexName
            }
        }
        assertTrue(found.isNotEmpty(), "found no *LincheckTest classes in $dir")
        return found
    }

    /** The modes a cell claims: "MC, stress" gives both, "— (a)" none. */
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

    /** One row of a table, its cells by column name. */
    private class Row(private val cells: Map<String, String>) {
        fun cell(column: String): String = cells[column]?.trim('`') ?: throw AssertionError("no column '$column'")
    }

    /** A parsed table of the page: the one whose header starts with a given column. */
    private class Table(val header: List<String>, val rows: List<Row>) {
        companion object {
            fun parse(text: String, firstColumn: String): Table {
                fun cells(line: String) = line.trim().trim('|').split('|').map { it.trim() }
                val lines = text.lines().map { it.trim() }
                val start = lines.indexOfFirst { it.startsWith("|") && cells(it).first() == firstColumn }
                require(start >= 0) { "docs/lincheck-coverage.md has no table starting with column '$firstColumn'" }
                val header = cells(lines[start])
                val body = lines.drop(start + 2).takeWhile { it.startsWith("|") }
                val rows = body.map { line ->
                    val c = cells(line)
                    require(c.size == header.size) { "row has ${c.size} cells, header ${header.size}: $line" }
                    Row(header.zip(c).toMap())
                }
                return Table(header, rows)
            }
        }
    }

    private companion object {
        const val MC = "MC"
        const val STRESS = "stress"

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
