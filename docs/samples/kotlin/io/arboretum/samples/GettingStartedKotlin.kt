package io.arboretum.samples.gettingstarted

// snippet:begin gs-kotlin
import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.coroutines.KeyRange
import io.arboretum.coroutines.entriesFlow
import io.arboretum.coroutines.keysFlow
import io.arboretum.coroutines.updateAndGet
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking

fun main() = runBlocking {
    val prices = ConcurrentBTreeMap<Long, Long>()
    for (id in 1L..10_000L) prices[id] = id * 3

    // A cold, cancellable Flow over a key range. It copies a bounded batch of entries, holds no
    // latch while it emits them, and resumes after the last key it emitted.
    prices.entriesFlow(KeyRange.closedOpen(100L, 200L), batchSize = 64)
        .collect { (id, price) -> println("$id costs $price") }

    // Keys only, largest first, at most ten.
    val lastTen: List<Long> = prices.keysFlow(descending = true, limit = 10).toList()

    // A read-modify-write whose function suspends (it may call another service). It runs
    // outside every latch and commits with a conditional write, retrying on conflict.
    val updated: Long? = prices.updateAndGet(42L) { current -> (current ?: 0L) + fetchSurcharge() }
    println("$lastTen, price of 42 is now $updated")
}

suspend fun fetchSurcharge(): Long = 1L
// snippet:end gs-kotlin
