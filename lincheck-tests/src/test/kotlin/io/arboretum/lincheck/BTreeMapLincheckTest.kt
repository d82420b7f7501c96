package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap

/**
 * [ConcurrentBTreeMap] with node capacity 4, prefilled: every operation of [MapOperations] in both
 * modes, with [ConcurrentBTreeMap.checkInvariants] after each scenario.
 */
class BTreeMapLincheckTest : MapLincheckSuite(newBTree()) {
    override fun checkStructure() = (map as ConcurrentBTreeMap<*, *>).checkInvariants()
}

/**
 * The sub-map and descending views of [ConcurrentBTreeMap] (node capacity 4, prefilled): every
 * operation of [ViewOperations] in both modes, with [ConcurrentBTreeMap.checkInvariants] after each
 * scenario.
 */
class BTreeViewsLincheckTest : ViewLincheckSuite(newBTree()) {
    override fun checkStructure() = (map as ConcurrentBTreeMap<*, *>).checkInvariants()
}

/** The map every B+tree test here starts from: node capacity 4, so scenarios split and merge. */
internal fun <K, V> newBTree(): ConcurrentBTreeMap<K, V> =
    ConcurrentBTreeMap.builder<K, V>().nodeCapacity(4).build()
