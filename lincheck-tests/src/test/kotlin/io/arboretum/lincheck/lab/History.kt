package io.arboretum.lincheck.lab

import java.util.TreeMap

/**
 * One call of a map operation in a recorded history: which thread made it, when it was called and
 * when it returned (in any one clock, here `System.nanoTime()`), and what it returned.
 *
 * Supported operations, with the meaning of a sequential `TreeMap<Int, Int>`: `get(key)`,
 * `put(key, value)`, `remove(key)` (each returns the value, or null) and `pollFirst()` (removes the
 * least key and returns it, or null).
 *
 * @property thread the lane the call is drawn in: 0, 1, ... (drawn as thread 1, 2, ...)
 * @property name the operation: `get`, `put`, `remove` or `pollFirst`
 * @property key the key argument (ignored by `pollFirst`)
 * @property value the value argument of `put`, else null
 * @property result what the call returned
 * @property call the instant of the call
 * @property ret the instant of the return; at least [call]
 */
data class HistoryOp(
    val thread: Int,
    val name: String,
    val key: Int,
    val value: Int?,
    val result: Int?,
    val call: Long,
    val ret: Long,
) {
    init {
        require(name in OPERATIONS) { "unknown operation '$name', expected one of $OPERATIONS" }
        require(ret >= call) { "operation $this returns (at $ret) before it is called (at $call)" }
        require((name == "put") == (value != null)) { "only put takes a value: $this" }
    }

    /** The call as a reader sees it: `put(1, 10)`, `pollFirst()`. */
    val label: String
        get() = when (name) {
            "put" -> "put($key, $value)"
            "pollFirst" -> "pollFirst()"
            else -> "$name($key)"
        }

    /** The call and its result: `get(6): null`. */
    val labelWithResult: String
        get() = "$label: ${result ?: "null"}"

    /**
     * Runs this operation on [map], the sequential specification, and returns what it returns.
     *
     * @param map the state to run on; changed by `put`, `remove` and `pollFirst`
     * @return the result a sequential map gives
     */
    fun applyTo(map: TreeMap<Int, Int>): Int? = when (name) {
        "get" -> map[key]
        "put" -> map.put(key, value!!)
        "remove" -> map.remove(key)
        else -> map.pollFirstEntry()?.key
    }

    /** Constants. */
    companion object {
        /** The operations a history may contain. */
        val OPERATIONS = setOf("get", "put", "remove", "pollFirst")
    }
}

/**
 * A recorded history: its calls, and the map's content before the first of them.
 *
 * @property initial the content of the map before the history starts
 * @property ops the calls, in any order
 * @property title a one-line description, drawn above the picture
 */
data class History(val initial: Map<Int, Int>, val ops: List<HistoryOp>, val title: String) {
    init {
        require(ops.isNotEmpty()) { "a history needs at least one operation" }
        require(ops.size <= 62) { "a history of ${ops.size} operations is too long for the checker (at most 62)" }
    }
}
