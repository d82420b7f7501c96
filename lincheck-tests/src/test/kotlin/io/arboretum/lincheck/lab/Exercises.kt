package io.arboretum.lincheck.lab

import io.arboretum.lincheck.teaching.TeachingBTree
import io.arboretum.lincheck.teaching.TeachingBTreeOperations

/**
 * The exercises of the linearizability lab (`docs/guides/linearizability.md#the-lab`). Each is a
 * small broken variant of the teaching tree ([TeachingBTree.Fault.EXERCISE_1] to `_4`) and a
 * scenario that exposes it: [setup] runs first on one thread, then each list of [threads] on its
 * own thread. The solutions are in `docs/guides/linearizability-lab-solutions.md`.
 *
 * @property fault the broken variant
 * @property setup calls made before the parallel part
 * @property threads the calls of each parallel thread
 */
enum class Exercise(val fault: TeachingBTree.Fault, val setup: List<Call>, val threads: List<List<Call>>) {
    /** Validate, then read the value. */
    EXERCISE_1(
        TeachingBTree.Fault.EXERCISE_1,
        emptyList(),
        listOf(listOf(Call("remove", 4)), listOf(Call("get", 6))),
    ),

    /** Step into a child without validating the parent. */
    EXERCISE_2(
        TeachingBTree.Fault.EXERCISE_2,
        listOf(Call("put", 5, 1), Call("put", 3, 1)),
        listOf(listOf(Call("put", 1, 1)), listOf(Call("get", 5))),
    ),

    /** Unlock the split node before linking its new sibling. */
    EXERCISE_3(
        TeachingBTree.Fault.EXERCISE_3,
        emptyList(),
        listOf(listOf(Call("put", 5, 1)), listOf(Call("get", 8))),
    ),

    /** Latch the leaf with a blocking lock instead of upgrading from the version read. */
    EXERCISE_4(
        TeachingBTree.Fault.EXERCISE_4,
        emptyList(),
        listOf(listOf(Call("put", 5, 1)), listOf(Call("remove", 8))),
    );

    /** The exercise's number, 1 to 4. */
    val number: Int get() = ordinal + 1

    /** The title of its history picture. */
    val title: String get() = "Lab exercise $number, recorded on real threads"
}

/** Lincheck's view of exercise 1's tree. */
class Exercise1TeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.EXERCISE_1)

/** Lincheck's view of exercise 2's tree. */
class Exercise2TeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.EXERCISE_2)

/** Lincheck's view of exercise 3's tree. */
class Exercise3TeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.EXERCISE_3)

/** Lincheck's view of exercise 4's tree. */
class Exercise4TeachingBTree : TeachingBTreeOperations(TeachingBTree.Fault.EXERCISE_4)
