package io.arboretum.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.test.currentTime
import kotlinx.coroutines.test.runTest

/**
 * The retry policy of the suspending updates and the kotlinx naming (`update` returns nothing,
 * `updateAndGet` the new value, `getAndUpdate` the old one), on every map kind with `Long` keys.
 */
public class UpdateRetrySpec : FunSpec({

    val maps = LongMaps()
    afterTest { maps.close() }

    test("an invalid policy is rejected with the option and the value named") {
        shouldThrow<IllegalArgumentException> { RetryPolicy(maxAttempts = 0) }.message shouldBe
            "RetryPolicy.maxAttempts must be at least 1, was 0"
        shouldThrow<IllegalArgumentException> { RetryPolicy(3, backoff = (-1).milliseconds) }.message shouldBe
            "RetryPolicy.backoff must be finite and not negative, was -1ms"
        shouldThrow<IllegalArgumentException> { RetryPolicy(3, backoff = Duration.INFINITE) }.message shouldContain
            "RetryPolicy.backoff"
        shouldThrow<IllegalArgumentException> { RetryPolicy(3, 10.milliseconds, 5.milliseconds) }.message shouldBe
            "RetryPolicy.maxBackoff must be finite and at least backoff (10ms), was 5ms"
    }

    test("the backoff doubles from the first retry and stops at maxBackoff") {
        val p = RetryPolicy(10, 1.milliseconds, 5.milliseconds)
        (2..6).map { p.backoffBefore(it) } shouldBe listOf(1, 2, 4, 5, 5).map { it.milliseconds }
        RetryPolicy(10).backoffBefore(5) shouldBe Duration.ZERO
        RetryPolicy(10, 3.milliseconds).maxBackoff shouldBe 192.milliseconds
    }

    for (kind in TestMaps.longKinds) {
        context(kind) {
            test("update returns Unit, updateAndGet the committed value, getAndUpdate the replaced one") {
                runTest {
                    val map = maps.create(kind)
                    val unit: Unit = map.update(4L) { (it ?: 0L) + 1 }
                    unit shouldBe Unit
                    map[4L] shouldBe 1L
                    map.updateAndGet(4L) { it!! + 10 } shouldBe 11L
                    map.getAndUpdate(4L) { it!! * 2 } shouldBe 11L
                    map[4L] shouldBe 22L
                    map.getAndUpdate(4L) { null } shouldBe 22L
                    map.containsKey(4L) shouldBe false
                    map.getAndUpdate(-9L) { 5L } shouldBe null
                    map.getAndUpdate(-9L) { it } shouldBe 5L // equal result: nothing written
                    map[-9L] shouldBe 5L
                }
            }

            test("a key changed under every attempt exhausts the policy, with the key and count named, and is left as the others wrote it") {
                runTest {
                    val map = maps.create(kind)
                    map[7L] = 0L
                    var runs = 0
                    val e = shouldThrow<UpdateConflictException> {
                        map.update(7L, RetryPolicy(maxAttempts = 3)) { current ->
                            runs++
                            map[7L] = 100L + runs // another writer commits while the transform runs
                            (current ?: 0L) + 1
                        }
                    }
                    runs shouldBe 3
                    e.key shouldBe 7L
                    e.attempts shouldBe 3
                    e.message shouldBe "update of key 7 gave up after 3 attempts: another writer changed the key " +
                        "during each one (raise RetryPolicy.maxAttempts or add a backoff)"
                    map[7L] shouldBe 103L // the other writer's last value; nothing of the update's

                    // One conflict, then success: a policy of 2 attempts is enough.
                    runs = 0
                    map.updateAndGet(7L, RetryPolicy(maxAttempts = 2)) { current ->
                        runs++
                        if (runs == 1) map[7L] = 500L
                        current!! + 1
                    } shouldBe 501L
                    shouldThrow<UpdateConflictException> {
                        map.update(8L, RetryPolicy(maxAttempts = 1)) { map[8L] = 1L; 2L }
                    }.message shouldContain "after 1 attempt:"
                    map[8L] shouldBe 1L
                }
            }

            test("the backoff waits between attempts, in virtual time") {
                runTest {
                    val map = maps.create(kind)
                    var runs = 0
                    val start = currentTime
                    shouldThrow<UpdateConflictException> {
                        map.update(1L, RetryPolicy(4, backoff = 10.milliseconds, maxBackoff = 25.milliseconds)) {
                            runs++
                            map[1L] = runs.toLong()
                            0L
                        }
                    }
                    runs shouldBe 4
                    (currentTime - start) shouldBe 10L + 20L + 25L
                    maps.checkInvariants(map)
                }
            }
        }
    }
})
