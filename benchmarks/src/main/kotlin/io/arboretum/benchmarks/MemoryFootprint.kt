package io.arboretum.benchmarks

import java.io.File
import java.lang.management.ManagementFactory
import java.util.concurrent.TimeUnit

/**
 * Retained memory per entry of one implementation, measured in the JVM that runs [main]:
 * settle the heap, note the used heap, put `entries` random `Long` keys (each with its own boxed
 * `Long` value) through the implementation's [LongIndex] face, settle the heap again and divide
 * the growth by the entries. Off-heap bytes come from [LongIndex.offHeapBytes].
 *
 * With a [KeyShape] ([measureShapeHere], `MemoryFootprint <impl> <entries> <shape>`) the keys are
 * that shape's `String` or `byte[]` keys and every value is one shared `String`, so the growth is
 * the index plus whatever it keeps of the keys: each key object is built just before its put and
 * dropped by the harness right after, so a map that keeps the caller's key (the skip list, the
 * B+tree, the locked `TreeMap`) is charged for the whole object (for a `String`, its header, its
 * `byte[]` and the bytes), and a map that keeps the key in its own form (`MasstreeMap`: slices,
 * suffix copies) is charged for that form only.
 *
 * Run it in a fresh JVM per implementation (as [measureInFreshJvm] does), so that nothing left
 * over from another map is counted.
 */
object MemoryFootprint {
    /** Line prefix of the machine-readable result printed by [main]. */
    const val PREFIX: String = "ARBORETUM-MEMORY"

    /** Used heap after a few full collections. */
    private fun settledHeap(): Long {
        val bean = ManagementFactory.getMemoryMXBean()
        var used = Long.MAX_VALUE
        repeat(5) {
            System.gc()
            Thread.sleep(50)
            used = minOf(used, bean.heapMemoryUsage.used)
        }
        return used
    }

    /** Builds [entries] entries in a new index of [impl] and measures it in this JVM. */
    fun measureHere(impl: String, entries: Long): MemoryResult {
        require(entries > 0) { "entries must be positive, was $entries" }
        val implementation = Implementations.byName(impl)
        val before = settledHeap()
        val index = implementation.newLongIndex()
        for (i in 0 until entries) {
            val k = MicroKeys.key(i, 3)
            index.put(k, k xor 0x5DEECE66DL)
        }
        val after = settledHeap()
        check(index.size() == entries) { "$impl holds ${index.size()} entries after $entries distinct puts" }
        val offHeap = index.offHeapBytes()
        val result = MemoryResult(impl, entries, (after - before).toDouble() / entries, offHeap.toDouble() / entries)
        // Keep the index reachable until both heap readings are taken.
        index.close()
        return result
    }

    /**
     * Builds [entries] entries with keys of [shape] (one shared value) in a new map of [impl] and
     * measures it in this JVM; see the class notes for what is counted.
     */
    fun measureShapeHere(impl: String, entries: Long, shape: KeyShape): MemoryResult {
        require(entries in 1..Int.MAX_VALUE) { "entries must be in 1..${Int.MAX_VALUE}, was $entries" }
        val value = "shared-value"
        val before = settledHeap()
        val open = openForShape(impl, shape)
        val map = open.map
        for (i in 0 until entries) map[shape.key(i)] = value
        val after = settledHeap()
        check(map.size.toLong() == entries) { "$impl holds ${map.size} entries after $entries distinct ${shape.id} puts" }
        val result = MemoryResult(impl, entries, (after - before).toDouble() / entries, open.offHeapBytes().toDouble() / entries)
        // Keep the map reachable until both heap readings are taken.
        open.close()
        return result
    }

    /**
     * Runs [main] in a new JVM (same class path, heap sized for [entries]) and parses its result;
     * failures and timeouts become a result with a note. [shape] `null` measures `Long` keys
     * ([measureHere]), otherwise keys of that shape ([measureShapeHere]).
     */
    fun measureInFreshJvm(impl: String, entries: Long, timeoutSeconds: Long = 600, shape: KeyShape? = null): MemoryResult {
        val java = File(System.getProperty("java.home"), "bin/java").path
        val heapMb = maxOf(1024L, entries * 400 / 1_000_000 + 512)
        val cmd = listOf(java, "-Xms${heapMb}m", "-Xmx${heapMb}m", "-XX:+UseParallelGC",
            "-cp", System.getProperty("java.class.path"), MemoryFootprint::class.java.name, impl, entries.toString()) +
            listOfNotNull(shape?.id)
        val process = ProcessBuilder(cmd).redirectErrorStream(true).start()
        val output = StringBuilder()
        val reader = Thread { process.inputStream.bufferedReader().forEachLine { output.appendLine(it) } }
        reader.start()
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            return MemoryResult(impl, entries, Double.NaN, Double.NaN, "timed out after $timeoutSeconds s")
        }
        reader.join()
        val line = output.lines().firstOrNull { it.startsWith(PREFIX) }
            ?: return MemoryResult(impl, entries, Double.NaN, Double.NaN,
                "failed: " + output.lines().filter { it.isNotBlank() }.take(2).joinToString(" / "))
        val f = line.split(' ')
        return MemoryResult(f[1], f[2].toLong(), f[3].toDouble(), f[4].toDouble())
    }

    /**
     * Entry point of the fresh JVM: `MemoryFootprint <impl> <entries> [shape]` (shape `ycsb`,
     * `url` or `bytes16`; without it, `Long` keys with boxed values); prints one [PREFIX] line.
     */
    @JvmStatic
    fun main(args: Array<String>) {
        require(args.size == 2 || args.size == 3) {
            "usage: MemoryFootprint <impl> <entries> [${KeyShape.entries.joinToString("|") { it.id }}]; " +
                "impls: ${Implementations.names.joinToString()}"
        }
        val r = if (args.size == 3) measureShapeHere(args[0], args[1].toLong(), KeyShape.of(args[2]))
        else measureHere(args[0], args[1].toLong())
        println("$PREFIX ${r.impl} ${r.entries} ${r.heapBytesPerEntry} ${r.offHeapBytesPerEntry}")
    }
}
