package io.arboretum.lincheck

/**
 * Sizes of every Lincheck and stress run in this module, derived from the system property
 * `arboretum.test.scale` (1 in CI, 10 under `-Pthorough`; Surefire passes it from the root POM).
 *
 * Two more properties override the derived Lincheck sizes for one run:
 * `arboretum.lincheck.iterations` (scenarios per check) and `arboretum.lincheck.invocations`
 * (interleavings, or stress runs, per scenario). Each base figure passed in is the CI size; a
 * thorough run multiplies the number of scenarios (and of stress rounds) by the scale, so a scale
 * of 10 explores ten times as many scenarios, each as deeply as in CI.
 */
internal object TestSizes {
    /** The scale factor, at least 1. */
    val scale: Int = (System.getProperty("arboretum.test.scale")?.toIntOrNull() ?: 1).coerceAtLeast(1)

    private val iterationOverride: Int? = System.getProperty("arboretum.lincheck.iterations")?.toIntOrNull()
    private val invocationOverride: Int? = System.getProperty("arboretum.lincheck.invocations")?.toIntOrNull()

    /** Scenarios per check: [base] times the scale, unless overridden. */
    fun iterations(base: Int): Int = iterationOverride ?: (base * scale)

    /** Invocations per scenario: [base] at every scale, unless overridden. */
    fun invocations(base: Int): Int = invocationOverride ?: base

    /** A plain count (rounds of a stress test, keys of a workload): [base] times the scale. */
    fun rounds(base: Int): Int = base * scale
}
