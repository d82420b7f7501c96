package io.arboretum.lincheck

import java.util.Collections
import java.util.TreeMap

/**
 * Positive control: a [TreeMap] behind one lock (`Collections.synchronizedNavigableMap`) is
 * linearizable by construction, so both modes must pass. If this test fails, the suite itself (its
 * operations, its specification, its sizes) is wrong, not an index.
 */
class CoarseLockedMapLincheckTest : MapLincheckSuite(Collections.synchronizedNavigableMap(TreeMap())) {
    override val indexName: String get() = "control"
}
