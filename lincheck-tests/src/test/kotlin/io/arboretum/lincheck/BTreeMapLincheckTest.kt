package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap

/**
 * [ConcurrentBTreeMap] with node capacity 4, prefilled: every operation of [MapOperations] in both
 * modes, with [ConcurrentBTreeMap.checkInvariants] after each scenario.
 */
class BTreeMapLincheckTest : MapLincheckSuite(newBTree()) {
    override fun checkStructure() = (map as ConcurrentBTreeMap<Int, Int>).checkInvariants()
}

/** The map every B+tree Lincheck test starts from: node capacity 4, so scenarios split and merge. */
internal fun newBTree(): ConcurrentBTreeMap<Int, Int> =
    ConcurrentBTreeMap.builder<Int, Int>().nodeCapacity(4).build()
