package io.arboretum.samples.coroutines

import io.arboretum.btree.ConcurrentBTreeMap
import io.arboretum.coroutines.Change
import io.arboretum.coroutines.ChangeOverflow
import io.arboretum.coroutines.KeyRange
import io.arboretum.coroutines.SnapshotEnd
import io.arboretum.coroutines.SnapshotEntry
import io.arboretum.coroutines.entriesFlow
import io.arboretum.coroutines.keysFlow
import io.arboretum.coroutines.putAll
import io.arboretum.coroutines.snapshotThenChanges
import io.arboretum.coroutines.toKeyRange
import io.arboretum.coroutines.updateAndGet
import io.arboretum.coroutines.valuesFlow
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneId
import java.time.ZoneOffset
import java.util.TreeSet
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.fold
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList

/** An order of the guide's examples. */
data class Order(val customer: String, val cents: Long)

/** A sale of the guide's examples. */
data class Sale(val cents: Long)

/** A customer of the guide's examples. */
data class Customer(val id: Long, val name: String)

/** A fee service whose call suspends, as a remote call would. */
class FeeService {
    /** The fee for [accountId]. */
    suspend fun feeFor(accountId: Long): Long {
        delay(1)
        return accountId % 3
    }
}

/** A repository that streams its rows. */
class CustomerRepository(private val rows: List<Customer>) {
    /** Every customer, as a cold flow. */
    fun streamCustomers(): Flow<Customer> = rows.asFlow()
}

/** The "Streaming a range" fragment; returns what it computed. */
suspend fun streamingARange(orders: ConcurrentBTreeMap<Long, Order>, cursor: Long): Pair<List<Order>, Flow<Long>> {
    // snippet:begin kc-stream
    // Orders 1000 to 1999, ascending (on this map, at most 64 entries are copied at a time).
    orders.entriesFlow((1000L..<2000L).toKeyRange()).collect { (id, order) -> println("$id: $order") }

    // The 20 newest orders.
    val newest: List<Order> = orders.valuesFlow(descending = true, limit = 20).toList()

    // Every key after a cursor the client sent back: resume a paged listing.
    val page: Flow<Long> = orders.keysFlow(KeyRange.greaterThan(cursor), limit = 100)
    // snippet:end kc-stream
    return newest to page
}

/** The "response with backpressure" fragment: [write] is the slow client connection. */
suspend fun streamingAResponse(orders: ConcurrentBTreeMap<Long, Order>, from: Long, write: suspend (String) -> Unit) {
    // snippet:begin kc-respond
    orders.entriesFlow(KeyRange.atLeast(from), limit = 10_000, batchSize = 128)
        .collect { (id, order) ->
            write("""{"id":$id,"customer":"${order.customer}","cents":${order.cents}}""" + "\n")
            // write suspends while the client is slow: the scan waits, holding nothing
        }
    // snippet:end kc-respond
}

/** The "Folding a range" fragment. */
suspend fun foldingARange(
    sales: ConcurrentBTreeMap<Instant, Sale>, monthStart: Instant, monthEnd: Instant, zone: ZoneId,
): Map<LocalDate, Long> {
    // snippet:begin kc-fold
    val revenueByDay: Map<LocalDate, Long> =
        sales.entriesFlow(KeyRange.closedOpen(monthStart, monthEnd))
            .map { (time, sale) -> time.atZone(zone).toLocalDate() to sale.cents }
            .fold(mutableMapOf()) { acc, (day, cents) -> acc.apply { merge(day, cents, Long::plus) } }
    // snippet:end kc-fold
    return revenueByDay
}

/** The "Updating a value with suspending logic" fragment. */
suspend fun updatingAValue(balances: ConcurrentBTreeMap<Long, Long>, accountId: Long, feeService: FeeService): Long? {
    // snippet:begin kc-update
    val balance: Long? = balances.updateAndGet(accountId) { current ->
        val fee = feeService.feeFor(accountId)          // a suspending call
        (current ?: 0L) - fee
    }
    // snippet:end kc-update
    return balance
}

/** The "Bulk loading from a flow" fragment. */
suspend fun bulkLoading(repository: CustomerRepository): Pair<ConcurrentBTreeMap<Long, Customer>, Long> {
    // snippet:begin kc-bulk
    val index = ConcurrentBTreeMap<Long, Customer>()
    val loaded: Long = index.putAll(repository.streamCustomers().map { it.id to it })
    // snippet:end kc-bulk
    return index to loaded
}

/**
 * The "A live top-N" fragment: keeps the [n] best scores of a score map (player to score) and
 * calls [publish] with them after the snapshot and after every later change. Runs until cancelled.
 */
suspend fun liveTopN(scores: ConcurrentBTreeMap<String, Long>, n: Int, publish: (List<Pair<String, Long>>) -> Unit) {
    // snippet:begin kc-topn
    val score = HashMap<String, Long>()                        // player -> score, as received
    val ranking = TreeSet(compareByDescending<Pair<String, Long>> { it.second }.thenBy { it.first })
    var live = false
    scores.snapshotThenChanges(overflow = ChangeOverflow.Conflate).collect { event ->
        when (event) {
            is SnapshotEntry -> { score[event.key] = event.value; ranking += event.key to event.value }
            SnapshotEnd -> live = true                         // the ranking is complete from here on
            is Change.Upsert -> {
                score.put(event.key, event.new)?.let { ranking -= event.key to it }
                ranking += event.key to event.new
            }
            is Change.Removal -> score.remove(event.key)?.let { ranking -= event.key to it }
        }
        if (live) publish(ranking.take(n))
    }
    // snippet:end kc-topn
}

/** The UTC zone, for the fold example's callers. */
val UTC: ZoneId = ZoneOffset.UTC
