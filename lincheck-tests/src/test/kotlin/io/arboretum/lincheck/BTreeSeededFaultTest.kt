package io.arboretum.lincheck

import io.arboretum.btree.ConcurrentBTreeMap

/** The seeded faults of [ConcurrentBTreeMap] and the CI-sized checks that catch them. */
class BTreeSeededFaultTest : SeededFaultSuite("btree", ConcurrentBTreeMap::class.java) {
    override val catchers: Map<String, Catcher> = mapOf()
}
