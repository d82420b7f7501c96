package io.arboretum.samples.readme

// snippet:begin readme-kotlin
import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.coroutines.KeyRange
import io.arboretum.coroutines.entriesFlow
import io.arboretum.coroutines.updateAndGet
import kotlinx.coroutines.runBlocking

fun main() = runBlocking {
    val scores = ConcurrentBTreeMap<Long, Long>()
    for (id in 1L..3_000L) scores[id] = id % 7
    // A cold, cancellable Flow over a range; no latch is held while the collector suspends.
    scores.entriesFlow(KeyRange.closed(1_000L, 2_000L), limit = 3).collect { (id, score) -> println("$id: $score") }
    // Read-modify-write with a suspending function; it may run more than once under contention.
    val now = scores.updateAndGet(42L) { old -> (old ?: 0L) + fetchBonus(42L) }
    println("42 has $now")
}

suspend fun fetchBonus(id: Long): Long = id / 2
// snippet:end readme-kotlin
