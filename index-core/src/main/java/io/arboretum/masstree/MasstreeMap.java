package io.arboretum.masstree;

import io.arboretum.keys.KeyEncoder;
import io.arboretum.keys.KeyEncoders;
import io.arboretum.keys.KeyPrefixes;
import io.arboretum.map.AbstractIndexMap;
import io.arboretum.map.BatchCursor;
import io.arboretum.map.ChangeFeed;
import io.arboretum.map.ChangeListener;
import io.arboretum.map.ChangeObservable;
import io.arboretum.sync.HybridLatch;
import io.arboretum.sync.TestHooks;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A concurrent, ordered map on a Masstree (Mao, Kohler and Morris, "Cache Craftiness for Fast
 * Multicore Key-Value Storage", EuroSys 2012): a trie of B+trees over 8-byte slices of each key's
 * byte encoding, for string and byte-string keys. A drop-in
 * {@link java.util.concurrent.ConcurrentNavigableMap} that behaves as
 * {@link java.util.concurrent.ConcurrentSkipListMap} documents.
 *
 * <p><b>Keys.</b> The map is keyed by byte strings in unsigned lexicographic order; a typed key is
 * turned into one by a {@link KeyEncoder} (an order-preserving encoding, {@code io.arboretum.keys}),
 * so the map's order is the encoder's order and {@link #comparator()} reports it: {@code null} for
 * the natural ordering of the built-in key types, the encoder's comparator otherwise.
 * <ul>
 *   <li>{@link #MasstreeMap()} orders keys by their natural ordering and chooses the encoder at the
 *       first insert by the class of the first key, {@link KeyEncoders#forClass(Class)}: {@code String}
 *       (in {@link String#compareTo} order, that is UTF-16 code-unit order), {@code Long},
 *       {@code Integer}, {@code Short}, {@code Byte}, {@code Character}, {@code UUID} or
 *       {@code Instant}. A key of another class throws {@link ClassCastException} naming the class
 *       and saying how to supply an encoder; so does, afterwards, a key of another class than the
 *       first.</li>
 *   <li>{@link #MasstreeMap(KeyEncoder)} (or {@link Builder#keyEncoder(KeyEncoder)}) takes any
 *       encoder, for instance a composite one from {@link KeyEncoders#composite} or
 *       {@link KeyEncoders#tuple}. An encoder written by hand should be checked with
 *       {@link KeyEncoders#verify} first; {@link #checkInvariants()} also catches one whose byte
 *       order disagrees with its comparator, in tests.</li>
 *   <li>{@link #forBytes()} makes a map of {@code byte[]} keys whose {@link #comparator()} is
 *       {@link #unsignedBytesComparator()} (as {@link Arrays#compareUnsigned(byte[], byte[])}). The
 *       map keeps no reference to a caller's {@code byte[]} key: it stores the key's bytes (as
 *       slices and a suffix copy), and every key it hands back is a fresh array, so callers may
 *       reuse or change their arrays after a call.</li>
 * </ul>
 * The map is serializable when its encoder is (every built-in one is); the stream holds the decoded
 * keys, so it does not depend on the byte format.
 *
 * <p><b>Consistency</b>, as for {@code ConcurrentSkipListMap}: null keys and values are rejected;
 * single-key operations, navigation ({@code ceilingEntry}, {@code firstKey}, ...) and polls, on the
 * map and on its views, are linearizable; the compute family commits with a conditional write and
 * may run its function more than once under contention (except {@code computeIfAbsent}); iterators
 * and views are weakly consistent and hand out immutable snapshots; {@link #size()} is exact only
 * when no write is in flight.
 *
 * <p>Tuning: {@code MasstreeMap.builder().nodeWidth(7).build()}; the node width (slots per border
 * node, 3 to 15) exists mostly so that tests split nodes with few keys. Bulk loads:
 * {@link #putAllSorted(Iterable)} takes entries in any order and is fastest in ascending order.
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Structure.</b> A key {@code k} (its encoding, a byte string) is read as a sequence of
 * 8-byte <em>slices</em>: layer {@code d} of the trie is a B+tree keyed by the slice at offset
 * {@code 8d}, a big-endian {@code long} compared <em>unsigned</em>. Within a layer an entry is
 * identified by its <em>composite</em> {@code (slice, c)}: {@code c} from 0 to 8 is the number of
 * the key's bytes in this slice when the key ends here (so "ab" sorts before "ab\0", both with the
 * slice {@code 0x6162000000000000}), and {@code c = 9} when the key goes on past the slice. At most
 * one entry of a layer has {@code (slice, 9)}: either a key stored with its <em>suffix</em> (the
 * bytes after the slice, kept aside in {@code sufs}), or a <em>layer link</em> to the B+tree of the
 * next layer, holding every key that shares these 8 bytes and continues. The keys a layer holds
 * are ordered by composite, then (within the one continuing entry) by suffix or by the lower layer,
 * which is exactly the unsigned lexicographic order of whole keys. (The paper keys a layer's B+tree
 * by the slice alone, so the up to ten keys of one slice must share a border node; keying it by the
 * composite lets a split fall between any two entries, which node widths below ten need.)
 *
 * <p>Each layer ({@code Layer}: its root and depth) is a B+tree of {@code Interior} nodes (up to
 * {@code w} composite separators and {@code w + 1} children) over {@code Border} nodes. A border
 * node has {@code w} <em>slots</em> (slice in {@code long[] slices}, class in {@code byte[] lens}:
 * 0..8 ends here, {@code SUFFIX}, {@code LINK}; value or {@code Layer} in {@code vals}; suffix in
 * {@code sufs}), unsorted, and a <em>permutation</em> {@code perm}: one {@code long} whose low 4
 * bits are the entry count and whose next fifteen 4-bit fields list the slots in key order, live
 * slots first, then the free ones. A border node also has <em>fences</em> (the composites
 * {@code low}, inclusive, and {@code high}, exclusive; absent means unbounded), a {@code next}
 * link to its right neighbour, and every node a {@code parent}. Separators obey: separator
 * {@code i} of an interior node equals the {@code low} fence of the leftmost border node under
 * child {@code i + 1}; border nodes of a layer, in {@code next} order, have touching fences.
 * Border nodes of layer 0 and every node a split makes have {@code w} slots; the node of a new
 * lower layer has only the slots it needs (one for a link, two for two keys), and grows when it
 * fills (below), because most lower layers hold a handful of keys (the keys of one URL path, of
 * one tenant) and full-width nodes there would be mostly empty slots.
 *
 * <p><b>Version protocol.</b> Every node has a 64-bit version word ({@code version}):
 * <pre>
 *   bit 0 LOCKED, 1 INSERTING, 2 SPLITTING, 3 DELETED, 4 ROOT, 5 BORDER
 *   bits 6..31  insert counter, advanced by an unlock after INSERTING
 *   bits 32..63 split counter, advanced by an unlock after SPLITTING
 * </pre>
 * A writer takes LOCKED by CAS, sets INSERTING (any change of content) or SPLITTING (a split moves
 * keys away, or a removed node is unlinked) before its first data store, and unlocks with a release
 * store that clears them and advances the matching counter. A reader never writes: it waits until
 * neither dirty bit is set ({@code stableVersion}), reads, and validates that the version is the
 * same apart from LOCKED ({@code changed}); if not, it reads again. Every change to a border node
 * (inserts, removals, value replacements) marks it dirty, so a validated read of a border node is a
 * snapshot of its whole content, fences and {@code next} link included. This is stricter than the
 * paper, which lets readers skip inserts into free slots: here it lets navigation and scans validate
 * several nodes together and be linearizable (below). In particular, no reader ever sees an insert
 * before the writer unlocks: the node is dirty from before the slot is filled until the unlock,
 * whose release store publishes the slot and the new permutation together.
 *
 * <p>What the word's parts are for. Readers act on LOCKED only by ignoring it, and on the dirty bits
 * and DELETED; ROOT and BORDER have no reader in the algorithm (the kind of a node is its class, a
 * layer's root is {@code Layer.root}): they are kept as the paper has them, and only
 * {@code checkInvariants} reads ROOT. Likewise no code tells the two counters apart: readers compare
 * whole words, so the split between insert and split counter only documents which kind of change
 * happened. The insert counter has 26 bits; its overflow after 2<sup>26</sup> changes carries into
 * the split counter, which is harmless for the same reason (every unlock after a change still
 * produces a word no reader has seen, until the 58 counter bits wrap after 2<sup>58</sup> changes of
 * one node, far beyond any reader's stay).
 *
 * <p><b>Correctness of a read does not depend on the interior nodes.</b> Descents through interior
 * nodes are optimistic and validated hop by hop, but only route: a border node reached for key
 * {@code k} is trusted only if, validated, it is not DELETED and {@code low <= k < high}. If
 * {@code k >= high} (a split moved it right) the reader follows {@code next}; if {@code k < low}
 * or the node is deleted, it restarts from the top layer. The ranges of the live border nodes of a
 * layer partition it, so the validated node is the only one that can hold {@code k}.
 *
 * <p><b>Insert</b> ({@code put} and its conditional relatives) of key {@code k}:
 * <ol>
 *   <li>From the top layer, descend to the border node {@code n} whose range holds {@code k}'s
 *       composite, lock it, and check (under the lock) DELETED and the fences; on a fence miss to the
 *       right, unlock and lock {@code next} (never two border nodes at once), otherwise restart.</li>
 *   <li>If {@code n} holds a layer link for {@code k}'s composite, unlock and continue in that
 *       layer, 8 bytes further into {@code k}.</li>
 *   <li>If it holds {@code k}, replace the value (INSERTING, release store of the value).</li>
 *   <li>If it holds another key with the same slice that also continues (a suffix entry), build a
 *       new layer privately holding both keys (a chain of layers while they keep sharing whole
 *       slices), then mark {@code n} INSERTING and turn the slot into a link to it.</li>
 *   <li>Otherwise, if {@code n} has a free slot: mark it INSERTING, fill the first free slot (the
 *       slot listed at position {@code count} of the permutation) and store the new permutation;
 *       the unlock publishes both (readers wait for a dirty node, or fail to validate it).</li>
 *   <li>Otherwise, if {@code n} is narrower than {@code w} (then it is the only node of a lower
 *       layer: no parent, no neighbours, no fences): <em>grow</em>. Build privately a copy with
 *       more slots (one more up to four, then twice as many, up to {@code w}) holding
 *       {@code n}'s entries and {@code k}, mark {@code n} SPLITTING and DELETED, publish the copy
 *       as the layer's root (release), unlock {@code n}: readers and writers that reached
 *       {@code n} see it deleted and start again from the top, and find the copy.</li>
 *   <li>Otherwise split (below), then unlock.</li>
 * </ol>
 *
 * <p><b>Split</b> of a full border node {@code n} (locked):
 * <ol>
 *   <li>Allocate the right sibling {@code s} and fill it with the upper half of {@code n}'s
 *       entries (none when {@code k} is appended at the right end of the layer, so ascending loads
 *       leave full nodes behind) and {@code k} if it falls there; {@code s.low} is its first
 *       composite, {@code s.high = n.high}, {@code s.next = n.next}.</li>
 *   <li>Mark {@code n} SPLITTING, truncate its permutation, set {@code n.high = s.low} and
 *       {@code n.next = s} (release), and insert {@code k} in {@code n} if it falls there.</li>
 *   <li>Lock the parent {@code p} (hand over hand upward: re-read {@code n.parent} after locking and
 *       retry if it moved), insert {@code (s.low, s)}, set {@code s.parent}; a full {@code p} splits
 *       the same way one level up (SPLITTING, the middle separator goes up, moved children get their
 *       new parent) while {@code p} stays locked; a split root gets a new root, published with a
 *       release store into its {@code Layer} while the old root is locked.</li>
 *   <li>Unlock the parents, then {@code n}. Until then a reader routed to {@code n} for a key of
 *       {@code s} sees {@code high} and walks right, and no writer can reach {@code s}: only
 *       {@code n.next} (behind {@code n}'s lock) and the parent (behind its lock) lead to it.</li>
 * </ol>
 *
 * <p><b>Remove</b> of key {@code k}: lock its border node as for an insert, mark it INSERTING and
 * drop the slot from the permutation (the slot's value and suffix are cleared so the collector can
 * take them; the unlock publishes the change). If that empties the node, clean up lazily, after unlocking:
 * <ol>
 *   <li><em>Empty border node</em> {@code n}, not the leftmost of its layer: lock {@code n}, check
 *       it is still empty, find and lock its left neighbour {@code l} ({@code l.next == n}),
 *       give {@code l} the range of {@code n} ({@code l.high = n.high}, {@code l.next = n.next}),
 *       then unlink {@code n} from its parent, lock by lock upward: if {@code n} was child
 *       {@code i > 0}, drop separator {@code i - 1}; if it was child 0, drop separator 0 and
 *       <em>redirect</em>: the ancestor separator that equalled {@code n.low} becomes
 *       {@code n.high}; an interior node left with no child is unlinked the same way; a root left
 *       with one child hands the layer to it. Finally {@code n} is unlocked DELETED.</li>
 *   <li><em>Empty layer</em> (its leftmost border node is empty and has no {@code next}): lock the
 *       border node of the layer above that holds the link, then the layer's only border node
 *       (always in this order: upper layer before lower), check both, drop the link and unlock the
 *       lower node DELETED. If that empties the upper node, repeat one layer up.</li>
 * </ol>
 * The leftmost border node of a layer is never removed, so every layer keeps its spine, and a
 * layer whose keys are all gone is unlinked from the layer above: memory comes back after deletes.
 *
 * <p><b>Lock order</b> (no deadlock): a thread holding a lock waits only for a node of the same
 * layer that is further left (a removal locks the left neighbour) or higher (parents, on splits,
 * unlinks and redirects), or, for a layer collapse, for a node of a lower layer while holding only
 * the upper layer's border node. Nobody waits for a node to its right or below while holding one;
 * root collapses, which would, use {@code tryLock}.
 *
 * <p><b>Linearizable navigation, scans and polls.</b> A navigation ({@code ceilingEntry},
 * {@code lastKey}, ...) or a batch copy walks the trie optimistically, recording each border node it
 * reads together with its stable version: the node where it starts, every node it moves to along
 * {@code next} (or, leftward, a node whose {@code next} is the one it leaves), and, recursively,
 * the nodes of the lower layers it enters through links. It acts on nothing until all of them
 * validate at the end: then every recorded node held, at the instant of the first final check,
 * exactly what was read, and the recorded nodes cover the range between the start key and the
 * answer, so the answer is the answer at that instant. A poll does the same, then locks the border
 * node holding its entry, checks that node's version is still the one read, marks it INSERTING
 * (from now on readers of it wait) and validates the other recorded nodes again before removing
 * the entry: at that instant the entry was the first (last) of the range.
 *
 * <p><b>Scans</b> (iterators of the map and its views, range flows) read through
 * {@code MasstreeCursor} ({@link #openCursor}): a stack of validated border-node snapshots, one
 * per layer, that keeps its place between batches and rebuilds keys from the link slices on its
 * stack; each batch is weakly consistent, not one instant as {@link #copyBatch} is (its notes give
 * the argument).
 *
 * <p><b>String lookups.</b> {@code get} of a {@code String} key under the built-in encoding reads
 * the slices straight from the key's units while they are ASCII (whose one-byte codes are the
 * units themselves, {@link KeyPrefixes#oneByteUnits}), and compares a suffix with
 * {@link KeyPrefixes#encodesAs}, so it encodes nothing and allocates nothing; a slice that
 * reaches another unit makes it encode the key and look up the bytes.
 *
 * <p><b>Progress.</b> Readers never block writers and never take a lock: a reader whose
 * validation fails reads again (from the same node when it only changed, from the top when it was
 * deleted or the key lies left of it), and a reader that finds a node dirty waits for the writer to
 * finish; both pause with {@code retryPause}: 32 spins, then a {@link Thread#yield()} per round,
 * however long it lasts, and never park (a reader parked a millisecond at a time falls behind
 * writers that keep changing its nodes). Writers waiting for a lock, by contrast, pause with
 * {@link HybridLatch#backOff(int)}, which parks after its spins and yields. Writers hold a border
 * node only for the few stores of one change (a split, also while it locks the parents). A batch
 * copy spans several nodes, so after a few failed validations it collects fewer entries, down to
 * one. Unlike {@code ConcurrentBTreeMap}, readers have no pessimistic fallback: a reader can be delayed, in
 * theory without bound, by writers that change its node again and again.
 *
 * <p><b>Untrusted reads.</b> Code that reads a node optimistically treats every value as untrusted
 * until the version validates: counts and permutation slots are bounds-checked, nulls and objects
 * of the wrong class (a slot turning into a layer link) are tolerated, loops are bounded, and
 * nothing is handed to user code (decoding a key, comparing values) before validation. A key is
 * rebuilt from the slices of the path and the suffix only after validation.
 *
 * <p><b>Memory model.</b> Slices, classes, suffixes, fences, counts and permutations are plain
 * fields: they are written only under the node's lock, after the dirty bit, and read only under a
 * version that is validated afterwards. The dirty-bit store is followed by a store-store fence, so
 * no data store becomes visible before it; a reader's data loads are followed by an acquire fence
 * before the version is re-read (as {@code StampedLock.validate}), so a reader that saw any data
 * store sees the dirty bit or a later version. References that lead to other objects (children,
 * {@code next}, {@code parent}, layer roots, values and links in {@code vals}) are written with
 * release stores and read with acquire loads, so a reader that sees a new node, layer or value
 * sees it fully built (and a value put by one thread is safely published to another, as the
 * {@link java.util.concurrent} package promises). Nodes are never reused: the garbage collector
 * frees unlinked ones once no reader holds them, so no epochs are needed.
 *
 * <p><b>Change feed.</b> Each write that changes a mapping calls {@code publishChange} after the
 * change and before the border-node lock that made it is released, so subscribers
 * ({@link #subscribe}) receive a key's changes in commit order: a key is changed only under the
 * lock of the border node whose range holds it, and moves to another node only under that lock (a
 * split, a grow, a new layer), so two changes of one key hold the same lock in turn. Where a write
 * makes its key reachable through a node that is not locked, the publication comes before that
 * store: a split publishes before it links the new sibling into the parent ({@code insertUp}
 * unlocks the parents, and from then on writers reach the sibling, which is not locked), a grow
 * before it stores the wider copy as the layer's root. The write sites: a value replaced, and an
 * insert into a free slot, into a new layer, by a grow or by a split, all in {@code updateLocked}
 * (which {@code put}, {@code putIfAbsent}, both {@code replace}s and {@code putAllSorted}'s
 * {@code putNear} run under the lock; the grow and split sites in {@code grow} and
 * {@code split}); a removal ({@code delete}); a poll ({@code pollInRange}). {@code clear}, the
 * compute family, {@code merge} and writes through views are built on these. What moves entries
 * without changing a mapping publishes nothing: splits, grows, the key that goes down into a new
 * layer beside the one inserted, unlinking an empty border node or an empty layer. With no
 * subscriber the hook costs one volatile read of {@code feed} and a branch. A {@code byte[]} key is
 * published as a fresh copy of the committed bytes, any other key as the caller's object (a poll:
 * the decoded key it returns).
 *
 * <p><b>Why a subscriber's scan meets every change it was not sent.</b> {@link ChangeFeed}'s
 * store-load argument needs a scan to treat a node that a writer has locked as changed. Readers
 * here ignore LOCKED (a lock without a change must not disturb them), and a change becomes visible
 * to them at the dirty mark, a store that no full fence separates from the writer's later read of
 * {@code feed}: a writer could read no listener while a scan started after the subscription reads
 * the node locked but not yet dirty, validates it, and misses the change. So a scan opened while
 * the feed has listeners ({@code copyBatch}, {@code MasstreeCursor}: iterators and the Kotlin
 * flows; a subscriber's snapshot scan always is one) is <em>strict</em>: a node that is locked at
 * its snapshot or at validation counts as changed ({@code Node.lockedOrChanged}), and the scan
 * reads it again after the unlock. A writer that missed the listener took its lock, by a CAS
 * ordered before its volatile read of {@code feed}, before the subscriber's CAS and full fence; so
 * a strict scan sees that lock or a later version, and accepts the node only after the writer's
 * unlock, change included. Point reads, navigation and polls are not strict (the hand-off concerns
 * scans), and no write pays for strictness.
 *
 * <p><b>Seeded faults.</b> For the project's Lincheck kit, six realistic mistakes are compiled in
 * behind {@code TestHooks.ENABLED} (a {@code static final} that is false unless the JVM is started
 * with {@code -Darboretum.testHooks=true}, so the JIT removes them): an insert that does not check
 * the node's fences again under the lock, an insert that publishes its permutation before filling
 * the slot, or does not check the node was unlinked, a split that links its sibling before filling
 * it, an unlink that does not mark the node DELETED, and a poll that does not check again under the
 * lock. Each is declared, with what goes wrong, where the constants are
 * ({@code TestHooks.declareFault}); splits and unlinks of border nodes and layers are counted
 * ({@code TestHooks.recordEvent}) so tests can measure how often their scenarios change the
 * structure.
 *
 * <p><b>Notation</b> for locals: {@code n} a border node, {@code p} parent, {@code s} sibling,
 * {@code l} a left neighbour, {@code v} a version, {@code k} the key's bytes, {@code off} the
 * offset of the current layer's slice in {@code k}, {@code sl}/{@code c} a composite (slice and
 * class), {@code pos} a position in a permutation, {@code slot} a slot.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public class MasstreeMap<K, V> extends AbstractIndexMap<K, V>
        implements ChangeObservable<K, V>, Serializable {
    private static final long serialVersionUID = 1L;

    /** The node width used when none is given: the paper's, fifteen slots per border node. */
    public static final int DEFAULT_NODE_WIDTH = 15;
    /** The smallest node width accepted. */
    public static final int MIN_NODE_WIDTH = 3;
    /** The largest node width accepted: the permutation word holds fifteen slot numbers. */
    public static final int MAX_NODE_WIDTH = 15;

    // ------------------------------------------------------------------ seeded faults (tests only)
    // Each is a realistic mistake compiled into the real code path behind
    // "TestHooks.ENABLED && TestHooks.faultActive(NAME)"; ENABLED is a static final false in
    // production, so the JIT removes every hook (see TestHooks).

    /** Fault: an insert checks the fences of the node it locked but not whether it was unlinked. */
    static final String INSERT_SKIP_DELETED_CHECK = TestHooks.declareFault("masstree.insert.skipDeletedCheck",
            "an insert that locked the border node its descent found checks the node's fences but not its"
                    + " DELETED bit, so when a removal unlinked the emptied node meanwhile (its fences unchanged)"
                    + " the key goes into a node that no reader or writer reaches any more: the put is lost");
    /** Fault: an insert writes into the node its descent found without checking it again under the lock. */
    static final String INSERT_SKIP_FENCE_RECHECK = TestHooks.declareFault("masstree.insert.skipFenceRecheck",
            "an insert locks the border node its optimistic descent found and writes into it without checking,"
                    + " under the lock, that the node is still live and its fences still hold the key, so after a"
                    + " concurrent split moved the key's range right the key lands in the wrong node and is lost");
    /** Fault: an insert into a free slot publishes the permutation first, and without a dirty mark. */
    static final String INSERT_PUBLISH_BEFORE_FILL = TestHooks.declareFault("masstree.insert.publishBeforeFill",
            "an insert into a free slot takes the paper's shortcut of not marking the node dirty but stores"
                    + " the new permutation before filling the slot, so a reader sees an entry whose slot still"
                    + " holds an old key, or none, and validates it");
    /** Fault: a split links the new sibling into the parent before filling it. */
    static final String SPLIT_PUBLISH_BEFORE_FILL = TestHooks.declareFault("masstree.split.publishBeforeFill",
            "a border split links the new right sibling into the parent (or a new root) and releases the parent"
                    + " before moving the upper half of the entries into it, so a reader routed to the sibling"
                    + " finds it empty (and not dirty: nobody has locked it) where keys are present");
    /** Fault: an empty border node is unlinked without being marked DELETED. */
    static final String REMOVE_SKIP_DELETED_MARK = TestHooks.declareFault("masstree.remove.skipDeletedMark",
            "a removal that unlinks an empty border node gives its range to the left neighbour but unlocks it"
                    + " without the DELETED bit, so a writer that reached it before locks it, finds its fences"
                    + " still holding the key and inserts into a node no reader will visit again: the put is lost");
    /** Fault: a poll trusts the entry its walk found without checking the node again under the lock. */
    static final String POLL_SKIP_RECHECK = TestHooks.declareFault("masstree.poll.skipRecheck",
            "pollFirst/pollLast lock the border node holding the entry their walk found but neither check its"
                    + " version nor validate the walk again, and report the entry read as removed: two polls of"
                    + " the same end return the same entry");

    /** Slots (border nodes) and separators (interior nodes) per node. */
    private final int width;
    /** The top layer: keys by their first 8 bytes. */
    final transient Layer top;
    /**
     * The key encoder; null until the first insert of a map made by {@link #MasstreeMap()}, whose
     * first key's class chooses it. Volatile: a thread that sees it sees it fully built.
     */
    transient volatile KeyEncoder<K> encoder;
    /** Number of entries. */
    private final transient LongAdder count = new LongAdder();
    /** Serializes the choice of the encoder at the first insert of a natural-order map. */
    private final transient Object encoderLock = new Object();
    /**
     * The change feed, or null until the first {@link #subscribe}; then never reset. Every write
     * reads it once, under the border-node lock of its change ({@link #publishChange}).
     */
    private transient volatile ChangeFeed<K, V> feed;

    // ------------------------------------------------------------------ construction

    /**
     * Creates an empty map ordered by the keys' natural ordering; the key encoder is chosen at the
     * first insert by the class of the first key, {@link KeyEncoders#forClass(Class)}
     * ({@code String}, {@code Long}, {@code Integer}, {@code Short}, {@code Byte},
     * {@code Character}, {@code UUID} or {@code Instant}). A key of another class throws
     * {@link ClassCastException} naming it; for such keys use {@link #MasstreeMap(KeyEncoder)}, and
     * for {@code byte[]} keys {@link #forBytes()}.
     */
    public MasstreeMap() {
        this(DEFAULT_NODE_WIDTH, null);
    }

    /**
     * Creates an empty map whose keys are encoded, and ordered, by {@code encoder}: its
     * {@link #comparator()} is the encoder's. The encoder must keep its contract (encoded byte
     * order equals the key order, and decoding gives back an equal key), or the map misorders and
     * loses keys; check one written by hand with {@link KeyEncoders#verify} over sample keys.
     *
     * @param encoder the key encoder, for instance {@link KeyEncoders#composite} for keys of two
     *     fields
     * @throws NullPointerException if {@code encoder} is null
     */
    public MasstreeMap(KeyEncoder<K> encoder) {
        this(DEFAULT_NODE_WIDTH, Objects.requireNonNull(encoder, "null encoder"));
    }

    /**
     * Creates a map with the mappings of {@code m}, ordered by the keys' natural ordering.
     *
     * @param m the mappings to copy
     * @throws NullPointerException if {@code m} or any of its keys or values is null
     * @throws ClassCastException if a key's class has no built-in encoder, or the keys are of
     *     different classes
     */
    public MasstreeMap(Map<? extends K, ? extends V> m) {
        this(DEFAULT_NODE_WIDTH, null);
        putAll(m);
    }

    /**
     * Creates a map with the mappings and the ordering of {@code m}. The ordering must be one this
     * map can encode: natural ordering ({@code m.comparator() == null}),
     * {@link #unsignedBytesComparator()} for {@code byte[]} keys, or the ordering of another
     * {@code MasstreeMap} (whose encoder this map shares).
     *
     * @param m the sorted map whose mappings and ordering to copy
     * @throws NullPointerException if {@code m} or any of its keys or values is null
     * @throws IllegalArgumentException if {@code m} has another comparator
     * @throws ClassCastException if a key's class has no built-in encoder
     */
    public MasstreeMap(SortedMap<K, ? extends V> m) {
        this(DEFAULT_NODE_WIDTH, encoderForOrderOf(m));
        putAll(m);
    }

    MasstreeMap(int nodeWidth, KeyEncoder<K> encoder) {
        checkWidth(nodeWidth);
        this.width = nodeWidth;
        this.encoder = encoder;
        this.top = new Layer(0);
        Border root = new Border(nodeWidth, top);
        root.initRoot();
        top.setRootRelease(root);
    }

    /** The encoder of a sorted map's ordering: null for natural ordering (chosen at first insert). */
    @SuppressWarnings("unchecked")
    private static <K> KeyEncoder<K> encoderForOrderOf(SortedMap<K, ?> m) {
        if (m instanceof MasstreeMap) {
            return ((MasstreeMap<K, ?>) m).encoder;
        }
        Comparator<?> c = m.comparator();
        if (c == null) {
            return null;
        }
        if (c == KeyEncoders.byteArrays().comparator()) {
            return (KeyEncoder<K>) KeyEncoders.byteArrays();
        }
        throw new IllegalArgumentException("MasstreeMap orders keys by an order-preserving byte encoding and cannot"
                + " take the comparator " + c + "; it accepts natural ordering (null),"
                + " MasstreeMap.unsignedBytesComparator() for byte[] keys, or another MasstreeMap's ordering;"
                + " for another order, implement io.arboretum.keys.KeyEncoder, pass it to"
                + " new MasstreeMap<>(encoder) and putAll");
    }

    private static void checkWidth(int w) {
        if (w < MIN_NODE_WIDTH || w > MAX_NODE_WIDTH) {
            throw new IllegalArgumentException("nodeWidth must be between " + MIN_NODE_WIDTH + " and "
                    + MAX_NODE_WIDTH + " (slots per border node; the permutation word holds fifteen), was " + w);
        }
    }

    /**
     * Creates an empty map of {@code byte[]} keys in unsigned lexicographic order.
     *
     * @param <V> the type of values
     * @return a new map whose comparator is {@link #unsignedBytesComparator()}
     */
    public static <V> MasstreeMap<byte[], V> forBytes() {
        return new MasstreeMap<>(DEFAULT_NODE_WIDTH, KeyEncoders.byteArrays());
    }

    /**
     * The comparator of a {@link #forBytes()} map: unsigned lexicographic order of {@code byte[]}
     * keys, as {@link Arrays#compareUnsigned(byte[], byte[])}, a serializable singleton (the
     * comparator of {@link KeyEncoders#byteArrays()}).
     *
     * @return the comparator
     */
    @SuppressWarnings("unchecked")
    public static Comparator<byte[]> unsignedBytesComparator() {
        return (Comparator<byte[]>) KeyEncoders.byteArrays().comparator();
    }

    /**
     * Starts a builder for a map of keys in their natural ordering, with non-default settings.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     * @return a new builder
     */
    public static <K, V> Builder<K, V> builder() {
        return new Builder<>(null);
    }

    /**
     * Starts a builder for a map of {@code byte[]} keys in unsigned lexicographic order.
     *
     * @param <V> the type of values
     * @return a new builder
     */
    public static <V> Builder<byte[], V> bytesBuilder() {
        return new Builder<>(KeyEncoders.byteArrays());
    }

    /**
     * Settings for a {@link MasstreeMap}.
     *
     * @param <K> the type of keys
     * @param <V> the type of values
     */
    public static final class Builder<K, V> {
        private int nodeWidth = DEFAULT_NODE_WIDTH;
        private KeyEncoder<K> encoder;

        private Builder(KeyEncoder<K> encoder) {
            this.encoder = encoder;
        }

        /**
         * Sets the node width: slots per border node and separators per interior node (default
         * {@value #DEFAULT_NODE_WIDTH}). Small widths make tests split nodes with few keys.
         *
         * @param nodeWidth from {@value #MIN_NODE_WIDTH} to {@value #MAX_NODE_WIDTH}
         * @return this builder
         * @throws IllegalArgumentException if the width is out of range
         */
        public Builder<K, V> nodeWidth(int nodeWidth) {
            checkWidth(nodeWidth);
            this.nodeWidth = nodeWidth;
            return this;
        }

        /**
         * Sets the key encoder, as {@link MasstreeMap#MasstreeMap(KeyEncoder)} does (default: the
         * natural ordering, the encoder chosen by the first key's class).
         *
         * @param encoder the key encoder
         * @return this builder
         * @throws NullPointerException if {@code encoder} is null
         */
        public Builder<K, V> keyEncoder(KeyEncoder<K> encoder) {
            this.encoder = Objects.requireNonNull(encoder, "null encoder");
            return this;
        }

        /**
         * Creates the map.
         *
         * @return a new, empty map with these settings
         */
        public MasstreeMap<K, V> build() {
            return new MasstreeMap<>(nodeWidth, encoder);
        }
    }

    // ------------------------------------------------------------------ nodes

    /** Version word bits; see the class notes. */
    static final long LOCKED = 1L;
    static final long INSERTING = 2L;
    static final long SPLITTING = 4L;
    static final long DELETED = 8L;
    static final long ROOT = 16L;
    static final long BORDER = 32L;
    static final long DIRTY = INSERTING | SPLITTING;
    static final long INSERT_UNIT = 1L << 6;
    static final long SPLIT_UNIT = 1L << 32;

    /** Slot classes beyond 0..8 (the key ends in this slice with that many bytes). */
    static final byte SUFFIX = 9;
    static final byte LINK = 10;

    /** A B+tree of the trie: the keys that share the bytes before offset {@code 8 * depth}. */
    static final class Layer {
        final int depth;
        /** The root node; changes only while the old root is locked. Acquire/release. */
        private Node root;

        Layer(int depth) {
            this.depth = depth;
        }

        Node rootAcquire() {
            return (Node) ROOT_REF.getAcquire(this);
        }

        void setRootRelease(Node n) {
            ROOT_REF.setRelease(this, n);
        }

        /** Before the layer is published (which is a release store of a reference to it). */
        void initRootPlain(Node n) {
            ROOT_REF.set(this, n);
        }
    }

    /** A node: its version word, its layer and its parent. */
    abstract static class Node {
        /** The version word; see the class notes. Accessed only through the methods below. */
        private volatile long version;
        /** The layer this node belongs to; nodes never change layers. */
        final Layer layer;
        /** The parent, or null for a layer root. Written under this node's or the parent's lock. */
        private Interior parent;

        Node(Layer layer, long bits) {
            this.layer = layer;
            this.version = bits;
        }

        /** Before the node is published: its first version (the publishing store orders it). */
        final void initVersionPlain(long bits) {
            VERSION.set(this, bits);
        }

        final long versionAcquire() {
            return (long) VERSION.getAcquire(this);
        }

        final long versionPlain() {
            return (long) VERSION.get(this);
        }

        /**
         * Waits until no writer is in the middle of a change, and returns that version. The wait
         * spins, then yields, and never parks ({@code retryPause}), however long the writer takes.
         */
        final long stableVersion() {
            long v = versionAcquire();
            for (int round = 0; (v & DIRTY) != 0; round++) {
                retryPause(round);
                v = versionAcquire();
            }
            return v;
        }

        /**
         * Whether the node changed since {@code v} (a lock without a change does not count). The
         * acquire fence keeps the caller's data loads before the re-read of the version.
         */
        final boolean changed(long v) {
            VarHandle.acquireFence();
            return (((long) VERSION.getOpaque(this) ^ v) & ~LOCKED) != 0;
        }

        /**
         * The strict form of {@link #changed} for scans while the map has change listeners: also
         * true if the node was locked at {@code v} or is locked now, even without a change. A
         * writer that missed a new listener took its lock before the subscription, so a scan
         * started after it reads that lock (or a later version) and must not validate around
         * it (see the class notes, "Change feed").
         */
        final boolean lockedOrChanged(long v) {
            VarHandle.acquireFence();
            return (long) VERSION.getOpaque(this) != v || (v & LOCKED) != 0;
        }

        final void lock() {
            for (int round = 0; ; round++) {
                long v = versionAcquire();
                if ((v & LOCKED) == 0 && VERSION.compareAndSet(this, v, v | LOCKED)) {
                    return;
                }
                HybridLatch.backOff(round);
            }
        }

        final boolean tryLock() {
            long v = versionAcquire();
            return (v & LOCKED) == 0 && VERSION.compareAndSet(this, v, v | LOCKED);
        }

        /** Under the lock: announces a change; no data store may become visible before this. */
        final void markInsert() {
            setBitsLocked(INSERTING);
        }

        /** Under the lock: announces that keys move away (a split) or the node is unlinked. */
        final void markSplit() {
            setBitsLocked(SPLITTING);
        }

        private void setBitsLocked(long bits) {
            // Only the lock holder writes the word while LOCKED is set (lockers CAS only from an
            // unlocked word), so a plain read-modify-write is exact. The store-store fence keeps
            // every later data store behind the dirty bit: a reader that sees such a store sees
            // the bit (or a later version) when it validates.
            VERSION.setOpaque(this, versionPlain() | bits);
            VarHandle.storeStoreFence();
        }

        /**
         * Under the lock: announces that the node is being replaced; the unlock keeps DELETED, so
         * the node is dead for every reader and writer after it.
         */
        final void markDeleted() {
            setBitsLocked(SPLITTING | DELETED);
        }

        /** Under the lock: sets or clears the ROOT bit (a change readers will notice). */
        final void setRootBitLocked(boolean root) {
            long v = versionPlain();
            VERSION.setOpaque(this, root ? v | ROOT | INSERTING : (v & ~ROOT) | INSERTING);
            VarHandle.storeStoreFence();
        }

        final void unlock() {
            release(0L);
        }

        /** Unlocks and marks the node deleted: readers and writers that reach it restart. */
        final void unlockDeleted() {
            release(DELETED);
        }

        private void release(long extra) {
            long v = versionPlain();
            long nv = v;
            if ((v & INSERTING) != 0) {
                nv += INSERT_UNIT;
            }
            if ((v & SPLITTING) != 0) {
                nv += SPLIT_UNIT;
            }
            // The release store publishes every data store made under the lock to a reader that
            // reads this version with acquire semantics.
            VERSION.setRelease(this, (nv & ~(LOCKED | DIRTY)) | extra);
        }

        final Interior parentAcquire() {
            return (Interior) PARENT.getAcquire(this);
        }

        final void setParentRelease(Interior p) {
            PARENT.setRelease(this, p);
        }
    }

    /** A leaf of a layer's B+tree: up to {@code width} unsorted slots and a permutation. */
    static final class Border extends Node {
        /** Count (low 4 bits) and slot order (fifteen 4-bit fields); see {@code perm*}. */
        long perm;
        final long[] slices;
        /** 0..8: the key ends in this slice with that many bytes; SUFFIX; LINK. */
        final byte[] lens;
        /** Values, or the {@code Layer} of a LINK slot; acquire/release through {@code VALS}. */
        final Object[] vals;
        /** Key bytes after the slice of SUFFIX slots. */
        final byte[][] sufs;
        /** Low fence (inclusive); {@code lowC < 0} is minus infinity (the layer's leftmost node). */
        long lowS;
        int lowC;
        /** High fence (exclusive); {@code highC < 0} is plus infinity (the rightmost node). */
        long highS;
        int highC;
        /** Right neighbour; acquire/release. */
        private Border next;

        Border(int width, Layer layer) {
            super(layer, BORDER);
            this.perm = PERM_EMPTY;
            this.slices = new long[width];
            this.lens = new byte[width];
            this.vals = new Object[width];
            this.sufs = new byte[width][];
            this.lowC = -1;
            this.highC = -1;
        }

        /** Before publication: the only node of a new layer. */
        void initRoot() {
            initVersionPlain(BORDER | ROOT);
        }

        /**
         * Under the lock, after {@code markInsert} or {@code markSplit}: a plain store, published
         * by the unlock's release store (readers do not trust a dirty node).
         */
        void setPermPlain(long p) {
            perm = p;
        }

        Border nextAcquire() {
            return (Border) NEXT.getAcquire(this);
        }

        void setNextRelease(Border n) {
            NEXT.setRelease(this, n);
        }

        Object valAcquire(int slot) {
            return VALS.getAcquire(vals, slot);
        }

        void setValRelease(int slot, Object v) {
            VALS.setRelease(vals, slot, v);
        }

        /** Under the lock or before publication: fills a slot. */
        void fill(int slot, long s, byte cls, byte[] suf, Object v) {
            slices[slot] = s;
            lens[slot] = cls;
            sufs[slot] = suf;
            setValRelease(slot, v);
        }

        /** Under the lock: empties a slot so the collector can take its value and suffix. */
        void clear(int slot) {
            sufs[slot] = null;
            setValRelease(slot, null);
        }
    }

    /** An inner node of a layer's B+tree: child {@code i} holds composites in [sep i-1, sep i). */
    static final class Interior extends Node {
        int n;
        final long[] ks;
        final byte[] kc;
        /** Children; acquire/release through {@code KIDS}. */
        final Node[] kids;

        Interior(int width, Layer layer) {
            super(layer, 0L);
            ks = new long[width + 1];
            kc = new byte[width + 1];
            kids = new Node[width + 2];
        }

        Node kidAcquire(int i) {
            return (Node) KIDS.getAcquire(kids, i);
        }

        void setKidRelease(int i, Node c) {
            KIDS.setRelease(kids, i, c);
        }

        int indexOf(Node c) {
            for (int i = 0; i <= n; i++) {
                if (kids[i] == c) {
                    return i;
                }
            }
            throw new IllegalStateException("child not found in its locked parent");
        }
    }

    // ------------------------------------------------------------------ permutations

    /** Count 0, slots 0..14 in order: all free. */
    static final long PERM_EMPTY;

    static {
        long p = 0;
        for (int i = 0; i < 15; i++) {
            p |= (long) i << (4 + 4 * i);
        }
        PERM_EMPTY = p;
    }

    static int permCount(long p) {
        return (int) (p & 15);
    }

    static int permSlot(long p, int pos) {
        return (int) (p >>> (4 + 4 * pos)) & 15;
    }

    /** The permutation with the first free slot (position {@code count}) moved to {@code pos}. */
    static long permInsert(long p, int pos) {
        int cnt = permCount(p);
        long r = cnt + 1;
        for (int i = 0; i < 15; i++) {
            int from = i < pos ? i : i == pos ? cnt : i <= cnt ? i - 1 : i;
            r |= (long) permSlot(p, from) << (4 + 4 * i);
        }
        return r;
    }

    /** The permutation with the slot at {@code pos} removed (it becomes the first free slot). */
    static long permRemove(long p, int pos) {
        int cnt = permCount(p);
        long r = cnt - 1;
        for (int i = 0; i < 15; i++) {
            int from = i < pos ? i : i < cnt - 1 ? i + 1 : i == cnt - 1 ? pos : i;
            r |= (long) permSlot(p, from) << (4 + 4 * i);
        }
        return r;
    }

    // ------------------------------------------------------------------ keys as slices

    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** The 8 bytes of {@code k} at {@code off} as a big-endian long, zero-padded past the end. */
    static long sliceAt(byte[] k, int off) {
        if (off + 8 <= k.length) {
            return (long) LONG_BE.get(k, off);
        }
        long s = 0;
        for (int i = off, sh = 56; i < k.length; i++, sh -= 8) {
            s |= (long) (k[i] & 0xFF) << sh;
        }
        return s;
    }

    /** The composite class of {@code k} at {@code off}: bytes left (0..8), or 9 if it goes on. */
    static int classAt(byte[] k, int off) {
        int r = k.length - off;
        return r > 8 ? SUFFIX : r;
    }

    /** A slot's class for ordering: LINK and SUFFIX both order as 9. */
    static int ord(byte cls) {
        return cls > SUFFIX ? SUFFIX : cls;
    }

    static int cmpC(long s1, int c1, long s2, int c2) {
        int c = Long.compareUnsigned(s1, s2);
        return c != 0 ? c : Integer.compare(c1, c2);
    }

    /** Whether composite (s, c) is at or above the node's low fence. */
    static boolean aboveLow(Border n, long s, int c) {
        return n.lowC < 0 || cmpC(n.lowS, n.lowC, s, c) <= 0;
    }

    /** Whether composite (s, c) is below the node's high fence. */
    static boolean belowHigh(Border n, long s, int c) {
        return n.highC < 0 || cmpC(s, c, n.highS, n.highC) < 0;
    }

    /**
     * The pause before reading again after a failed validation or a restart: spin, then yield,
     * never park. Unlike a wait for a lock (where {@link HybridLatch#backOff(int)} parks), the
     * reader only needs some writer to finish a few stores, and a reader parked for a millisecond
     * at a time would fall far behind writers that keep changing its nodes.
     */
    static void retryPause(int attempt) {
        if (attempt < 32) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /** Thrown (preallocated, no stack trace) to restart an optimistic walk from the top. */
    static final class Restart extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Restart() {
            super("restart", null, false, false);
        }
    }

    static final Restart RESTART = new Restart();

    /** Descent modes of {@link #reach}. */
    static final int AT = 0;
    static final int BEFORE = 1;
    static final int LEFTMOST = 2;
    static final int RIGHTMOST = 3;

    /** A bound on hops and depths, against loops on torn reads. */
    static final int MAX_HOPS = 1 << 16;

    /**
     * Descends a layer optimistically to a border node: the one whose range holds (s, c)
     * ({@code AT}), holds the composites just below it ({@code BEFORE}), or is at an edge. The
     * node is only a candidate; callers check its fences under a validated version.
     *
     * @throws Restart if the layer changed under the descent so that it must start again
     */
    static Border reach(Layer lay, long s, int c, int mode) {
        Node x = lay.rootAcquire();
        for (int depth = 0; depth < 64; depth++) {
            if (x == null) {
                throw RESTART;
            }
            if (x instanceof Border) {
                return (Border) x;
            }
            Interior in = (Interior) x;
            Node child = null;
            for (int tries = 0; tries < MAX_HOPS; tries++) {
                long v = in.stableVersion();
                if ((v & DELETED) != 0) {
                    throw RESTART;
                }
                // Racy reads of the count and separators: bounds-checked here, trusted only after
                // changed(v) below; even then they only route (the border's fences decide).
                int cnt = in.n;
                if (cnt < 0 || cnt >= in.kids.length) {
                    if (in.changed(v)) {
                        continue;
                    }
                    throw new IllegalStateException("corrupt interior node");
                }
                int i;
                if (mode == LEFTMOST) {
                    i = 0;
                } else if (mode == RIGHTMOST) {
                    i = cnt;
                } else {
                    i = 0;
                    int lim = mode == BEFORE ? 0 : 1;
                    while (i < cnt && cmpC(in.ks[i], in.kc[i], s, c) < lim) {
                        i++;
                    }
                }
                // Acquire: a child linked by a split is seen fully built.
                child = in.kidAcquire(i);
                if (!in.changed(v)) {
                    break; // the child was this node's child for the key at version v
                }
                child = null;
            }
            x = child;
        }
        throw RESTART;
    }

    /**
     * The border node of {@code lay} whose range holds (s, c), under a stable version: walks right
     * while the key is at or above {@code high}.
     *
     * @return the node; its version is in {@code at[0]}, not yet validated for what the caller reads
     * @throws Restart if the node is deleted or the key is below its range
     */
    static Border borderFor(Layer lay, long s, int c, long[] at) {
        Border n = reach(lay, s, c, AT);
        for (int hops = 0; hops < MAX_HOPS; hops++) {
            long v = n.stableVersion();
            if ((v & DELETED) != 0) {
                throw RESTART;
            }
            // Fences and next are read racily and used only if the node did not change since v.
            boolean low = aboveLow(n, s, c);
            boolean high = belowHigh(n, s, c);
            Border nx = n.nextAcquire();
            if (n.changed(v)) {
                continue;
            }
            if (!low) {
                throw RESTART;
            }
            if (high) {
                at[0] = v;
                return n;
            }
            if (nx == null) {
                throw RESTART;
            }
            n = nx;
        }
        throw RESTART;
    }

    /**
     * The position of the first entry whose composite is at or above (s, c), read optimistically:
     * at most {@code cnt}.
     */
    static int lowerBound(Border n, long perm, int cnt, long s, int c) {
        int w = n.slices.length;
        for (int pos = 0; pos < cnt; pos++) {
            int slot = permSlot(perm, pos);
            if (slot >= w) {
                return pos;
            }
            if (cmpC(n.slices[slot], ord(n.lens[slot]), s, c) >= 0) {
                return pos;
            }
        }
        return cnt;
    }

    /** The count of a permutation read optimistically, clamped to the node's width. */
    static int safeCount(Border n, long perm) {
        int cnt = permCount(perm);
        return Math.min(cnt, n.slices.length);
    }

    // ------------------------------------------------------------------ typed front end

    private byte[] keyForRead(Object key) {
        Objects.requireNonNull(key, "null key");
        KeyEncoder<K> e = encoder;
        if (e == null) {
            // Nothing was ever stored (the first insert decides the encoder before storing), so
            // the map is empty; only check that the key's type could be a key at all.
            builtInFor(key);
            return null;
        }
        return encode(e, key);
    }

    @SuppressWarnings("unchecked")
    private byte[] keyForWrite(Object key) {
        Objects.requireNonNull(key, "null key");
        KeyEncoder<K> e = encoder;
        if (e == null) {
            synchronized (encoderLock) {
                e = encoder;
                if (e == null) {
                    e = (KeyEncoder<K>) builtInFor(key);
                    encoder = e;
                }
            }
        }
        return encode(e, key);
    }

    /**
     * Encodes a key that comes in as an {@code Object}: checks its class first, so that an encoder
     * written by hand never sees a key of another class.
     */
    @SuppressWarnings("unchecked")
    private static <K> byte[] encode(KeyEncoder<K> e, Object key) {
        Class<K> type = e.keyType();
        if (!type.isInstance(key)) {
            throw new ClassCastException("key of " + key.getClass().getName() + " is not a " + type.getName()
                    + ", the key type of this MasstreeMap's encoder " + e);
        }
        return e.encode((K) key);
    }

    /**
     * The built-in encoder of the natural ordering of {@code key}'s class.
     *
     * @throws ClassCastException naming the class and how to supply an encoder, if it has none
     */
    private static KeyEncoder<?> builtInFor(Object key) {
        if (key instanceof byte[]) {
            throw new ClassCastException("MasstreeMap() orders keys by their natural ordering and byte[] has none:"
                    + " use MasstreeMap.forBytes() for byte[] keys in unsigned lexicographic order");
        }
        try {
            return KeyEncoders.forClass(key.getClass());
        } catch (IllegalArgumentException e) {
            throw new ClassCastException("MasstreeMap() has no built-in key encoder for " + key.getClass().getName()
                    + " (built in: String, Long, Integer, Short, Byte, Character, UUID, Instant, and byte[] through"
                    + " MasstreeMap.forBytes()): implement io.arboretum.keys.KeyEncoder for it (or compose one with"
                    + " KeyEncoders.composite or KeyEncoders.tuple), check it with KeyEncoders.verify, and pass it"
                    + " to new MasstreeMap<>(encoder) or MasstreeMap.builder().keyEncoder(encoder)");
        }
    }

    private K decode(byte[] k) {
        return encoder.decode(k, 0, k.length);
    }

    /**
     * Returns the value of {@code key}, or {@code null}. Linearizable; lock-free (it writes no
     * shared memory).
     *
     * @param key the key
     * @return the value, or {@code null} if absent
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be encoded by this map
     */
    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        if (key instanceof String && encoder == KeyEncoders.strings()) {
            // An ASCII String key is looked up straight from its units (no encoding, no
            // allocation); a key with other units is encoded below.
            Object r = lookup(null, (String) key);
            if (r != NOT_ONE_BYTE) {
                return (V) r;
            }
        }
        byte[] k = keyForRead(key);
        return k == null ? null : (V) lookup(k, null);
    }

    /**
     * Maps {@code key} to {@code value}. Linearizable.
     *
     * @param key the key
     * @param value the value
     * @return the previous value, or {@code null}
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be encoded by this map
     */
    @Override
    @SuppressWarnings("unchecked")
    public V put(K key, V value) {
        Objects.requireNonNull(value, "null value");
        return (V) update(key, keyForWrite(key), value, PUT, null);
    }

    /**
     * Maps {@code key} to {@code value} if it is absent. Linearizable.
     *
     * @param key the key
     * @param value the value
     * @return the current value, or {@code null} if there was none (and {@code value} was added)
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be encoded by this map
     */
    @Override
    @SuppressWarnings("unchecked")
    public V putIfAbsent(K key, V value) {
        Objects.requireNonNull(value, "null value");
        return (V) update(key, keyForWrite(key), value, PUT_IF_ABSENT, null);
    }

    /**
     * Puts every entry of {@code entries}, in iteration order, each as one linearizable
     * {@link #put}. Any order is correct; ascending key order is fast: each key is first tried in
     * the border node where the previous one went (locked, and used only if it is live, in the
     * key's layer and its fences hold the key, else the key is put as usual), so a sorted load
     * skips almost every descent. The whole is not atomic: other threads may see some entries
     * before others.
     *
     * @param entries the entries, best in ascending key order
     * @throws NullPointerException if {@code entries}, or a key or value in it, is null (the
     *     entries before it are in the map)
     * @throws ClassCastException if a key cannot be encoded by this map (likewise)
     */
    public void putAllSorted(Iterable<? extends Map.Entry<? extends K, ? extends V>> entries) {
        Objects.requireNonNull(entries, "entries");
        Border[] landed = new Border[1];
        Border at = null;
        byte[] prev = null;
        for (Map.Entry<? extends K, ? extends V> e : entries) {
            V value = Objects.requireNonNull(e.getValue(), "null value");
            K key = e.getKey();
            byte[] k = keyForWrite(key);
            if (at == null || !putNear(at, prev, key, k, value)) {
                update(key, k, value, PUT, null, landed);
                at = landed[0];
            }
            prev = k;
        }
    }

    /**
     * Puts {@code k} in border node {@code n} (where the previous key {@code prev} went) or its
     * right neighbour, if one of them is live, in {@code k}'s layer ({@code k} shares the bytes
     * before that layer with {@code prev}) and holds {@code k} in its fences, and {@code k} does
     * not continue into a lower layer there.
     *
     * @return whether {@code k} was put
     */
    private boolean putNear(Border n, byte[] prev, Object key, byte[] k, Object value) {
        int off = 8 * n.layer.depth;
        // Below the top, a key belongs to this layer only if it goes on past the shared bytes (a
        // key of exactly off bytes ends in the layer above).
        if (prev == null || (off > 0 && (k.length <= off || prev.length <= off))
                || !Arrays.equals(prev, 0, off, k, 0, off)) {
            return false;
        }
        long s = sliceAt(k, off);
        int c = classAt(k, off);
        byte[] suf = c == SUFFIX ? Arrays.copyOfRange(k, off + 8, k.length) : null;
        for (int hop = 0; hop < 2 && n != null; hop++) {
            n.lock();
            Border nx;
            try {
                // Under the lock: a live node (a layer is unlinked only once its one border node is
                // deleted, so a live node's layer is still the one for these bytes) whose fences
                // hold the key is the only node where the key can be.
                if ((n.versionPlain() & DELETED) != 0 || !aboveLow(n, s, c)) {
                    return false;
                }
                if (belowHigh(n, s, c)) {
                    Object r = updateLocked(n, key, k, off, s, c, suf, value, PUT, null);
                    return !(r instanceof Layer);
                }
                nx = n.nextAcquire();
            } finally {
                n.unlock();
            }
            n = nx; // a split (perhaps ours) moved the range right: try the neighbour once
        }
        return false;
    }

    /**
     * Replaces the value of {@code key} if present. Linearizable.
     *
     * @param key the key
     * @param value the new value
     * @return the previous value, or {@code null} if absent (nothing changed)
     * @throws NullPointerException if {@code key} or {@code value} is null
     * @throws ClassCastException if {@code key} cannot be encoded by this map
     */
    @Override
    @SuppressWarnings("unchecked")
    public V replace(K key, V value) {
        Objects.requireNonNull(value, "null value");
        byte[] k = keyForRead(key);
        return k == null ? null : (V) update(key, k, value, REPLACE, null);
    }

    /**
     * Replaces the value of {@code key} if it equals {@code oldValue}. Linearizable.
     *
     * @param key the key
     * @param oldValue the expected value
     * @param newValue the new value
     * @return whether the value was replaced
     * @throws NullPointerException if any argument is null
     * @throws ClassCastException if {@code key} cannot be encoded by this map
     */
    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        Objects.requireNonNull(oldValue, "null value");
        Objects.requireNonNull(newValue, "null value");
        byte[] k = keyForRead(key);
        return k != null && update(key, k, newValue, REPLACE, oldValue) != null;
    }

    /**
     * Removes {@code key}. Linearizable.
     *
     * @param key the key
     * @return the removed value, or {@code null} if absent
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be encoded by this map
     */
    @Override
    @SuppressWarnings("unchecked")
    public V remove(Object key) {
        byte[] k = keyForRead(key);
        return k == null ? null : (V) delete(key, k, null);
    }

    /**
     * Removes {@code key} if it maps to a value equal to {@code value}. Linearizable.
     *
     * @param key the key
     * @param value the expected value; {@code null} matches nothing
     * @return whether the entry was removed
     * @throws NullPointerException if {@code key} is null
     * @throws ClassCastException if {@code key} cannot be encoded by this map
     */
    @Override
    public boolean remove(Object key, Object value) {
        byte[] k = keyForRead(key);
        return value != null && k != null && delete(key, k, value) != null;
    }

    /**
     * The number of entries: exact only when no write is in flight.
     *
     * @return the count, capped at {@link Integer#MAX_VALUE}
     */
    @Override
    public int size() {
        long n = count.sum();
        return n < 0 ? 0 : n > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    }

    /**
     * Removes every entry: one linearizable removal per key met by a weakly consistent iteration,
     * so keys inserted concurrently may remain (as with {@code ConcurrentSkipListMap}).
     */
    @Override
    public void clear() {
        Object[] ks = new Object[64];
        Object[] vs = new Object[64];
        K from = null;
        for (int n; (n = copyBatch(from, false, null, false, false, ks, vs)) > 0; ) {
            for (int i = 0; i < n; i++) {
                remove(ks[i]);
            }
            @SuppressWarnings("unchecked")
            K last = (K) ks[n - 1];
            from = last;
        }
    }

    /**
     * The order of keys, which is the order of the key encoder: {@code null} for the natural
     * ordering of the built-in key types (and for an encoder of a natural ordering),
     * {@link #unsignedBytesComparator()} for {@code byte[]} keys, the encoder's comparator
     * otherwise.
     *
     * @return the comparator, or {@code null}
     */
    @Override
    public Comparator<? super K> comparator() {
        KeyEncoder<K> e = encoder;
        return e == null ? null : e.comparator();
    }

    // ------------------------------------------------------------------ point reads

    /**
     * The value of a key, or null: a validated optimistic walk that allocates nothing and writes
     * no shared memory. The key is either encoded bytes {@code kb} or a {@code String} {@code ks}
     * of the built-in encoding, whose slices are read from its units while they are ASCII (unit
     * {@code i} is then byte {@code i} of the encoding, {@link KeyPrefixes#oneByteUnits}); for a
     * {@code String} whose slices reach another unit it returns {@link #NOT_ONE_BYTE}.
     */
    Object lookup(byte[] kb, String ks) {
        for (int attempt = 0; ; attempt++) {
            try {
                Object r = lookupOnce(kb, ks);
                if (r != RETRY) {
                    return r;
                }
            } catch (Restart e) {
                // retry below
            }
            retryPause(attempt);
        }
    }

    /** Marks a lookup that must start again from the top. */
    private static final Object RETRY = new Object();
    /** Marks a lookup of a {@code String} key that must be encoded first. */
    private static final Object NOT_ONE_BYTE = new Object();

    private Object lookupOnce(byte[] kb, String ks) {
        Layer lay = top;
        for (int off = 0; ; off += 8) {
            long s;
            int c;
            if (kb != null) {
                s = sliceAt(kb, off);
                c = classAt(kb, off);
            } else {
                // Units 0 .. off are ASCII (checked in the layers above), so byte off of the
                // encoding is unit off; this slice needs the next up to 8 units ASCII too.
                int rem = ks.length() - off;
                int take = Math.min(8, rem);
                if (KeyPrefixes.oneByteUnits(ks, off, take) < take) {
                    return NOT_ONE_BYTE;
                }
                s = KeyPrefixes.ofString(ks, off) ^ Long.MIN_VALUE; // the prefix flips the sign bit
                c = rem > 8 ? SUFFIX : rem; // more than 8 units left: more than 8 bytes
            }
            Border n = reach(lay, s, c, AT);
            Object found;
            boolean link;
            for (int hops = 0; ; hops++) {
                if (hops > MAX_HOPS) {
                    return RETRY;
                }
                long v = n.stableVersion();
                if ((v & DELETED) != 0) {
                    return RETRY;
                }
                // Everything below is read racily: it may mix two states of the node (or be
                // stale), so it is bounds-checked and acted on only once changed(v) says the node
                // did not change since v, which makes it one consistent state, the one at v.
                boolean low = aboveLow(n, s, c);
                boolean high = belowHigh(n, s, c);
                Border nx = n.nextAcquire();
                found = null;
                link = false;
                if (low && high) {
                    // Benign race: a plain read of a permutation that a writer may be changing (even torn);
                    // its slots are bounds-checked, and it is acted on only if the version validates after.
                    long perm = n.perm;
                    int cnt = safeCount(n, perm);
                    int pos = lowerBound(n, perm, cnt, s, c);
                    int slot = pos < cnt ? permSlot(perm, pos) : n.slices.length;
                    if (slot < n.slices.length) {
                        byte cls = n.lens[slot];
                        if (n.slices[slot] == s && ord(cls) == c) {
                            // Acquire: a value (or layer) stored by a writer is seen fully built.
                            Object val = n.valAcquire(slot);
                            if (cls == LINK) {
                                link = true;
                                found = val;
                            } else if (cls != SUFFIX || (kb != null ? sameSuffix(n.sufs[slot], kb, off)
                                    : sameSuffix(n.sufs[slot], ks, off))) {
                                found = val;
                            }
                        }
                    }
                }
                if (n.changed(v)) {
                    continue; // a writer got in: read the node again (it may have split)
                }
                if (!low) {
                    return RETRY; // routed by a stale interior node: start again
                }
                if (!high) {
                    if (nx == null) {
                        return RETRY;
                    }
                    n = nx; // the key moved right in a split: follow the link
                    continue;
                }
                break;
            }
            if (!link) {
                return found;
            }
            if (!(found instanceof Layer)) {
                return RETRY;
            }
            lay = (Layer) found;
        }
    }

    /** Whether a stored suffix equals {@code k} after the slice at {@code off} (untrusted input). */
    static boolean sameSuffix(byte[] suf, byte[] k, int off) {
        return suf != null && Arrays.equals(suf, 0, suf.length, k, off + 8, k.length);
    }

    /**
     * Whether a stored suffix equals the encoding of {@code k} after the slice at byte
     * {@code off}, for a {@code String} whose units up to {@code off + 8} are ASCII (so that byte
     * is unit {@code off + 8}); untrusted input, compared without encoding.
     */
    static boolean sameSuffix(byte[] suf, String k, int off) {
        return suf != null && KeyPrefixes.encodesAs(k, off + 8, suf);
    }

    // ------------------------------------------------------------------ change feed

    /**
     * Registers {@code listener} for every change this map commits from now on (see
     * {@link ChangeObservable} and {@link ChangeFeed}). The Kotlin {@code changes} and
     * {@code snapshotThenChanges} flows use it.
     *
     * @param listener called under the writer's border-node lock for each change; must not block
     * @return the subscription; closing it unregisters the listener
     * @throws NullPointerException if {@code listener} is null
     */
    @Override
    public ChangeFeed.Subscription subscribe(ChangeListener<? super K, ? super V> listener) {
        return ChangeFeed.subscribe(FEED, this, listener);
    }

    /**
     * The change-feed hook of every write path: called after a mapping changed, before the
     * border-node lock that changed it is released, so per key the publications follow commit
     * order. {@code key} is the caller's key ({@code k} its bytes). With no subscriber ever, this
     * is one volatile read of {@link #feed} and a branch; it is small so that the JIT inlines it
     * into the write paths, with {@link #publishTo} out of line.
     */
    private void publishChange(Object key, byte[] k, Object oldValue, Object newValue) {
        ChangeFeed<K, V> f = feed; // volatile, after the lock CAS: ChangeFeed's store-load pair (class notes)
        if (f != null) {
            publishTo(f, key, k, oldValue, newValue);
        }
    }

    /**
     * Hands one change to {@code f}'s listeners, if it has any. A {@code byte[]} key goes out as a
     * fresh copy of the committed bytes (the map hands out no caller's array and no array of its
     * own); any other key is the caller's object, as {@code ConcurrentBTreeMap} publishes it.
     */
    @SuppressWarnings("unchecked")
    private void publishTo(ChangeFeed<K, V> f, Object key, byte[] k, Object oldValue, Object newValue) {
        if (f.hasListeners()) {
            f.publish(key instanceof byte[] ? decode(k) : (K) key, (V) oldValue, (V) newValue);
        }
    }

    /**
     * Whether a scan opened now must treat a locked node as changed: while the feed has listeners
     * (the subscriber's snapshot scan is opened after its subscription, so it always is); see the
     * class notes, "Change feed". Two volatile reads per scan, none per write.
     */
    private boolean scanStrict() {
        ChangeFeed<K, V> f = feed;
        return f != null && f.hasListeners();
    }

    // ------------------------------------------------------------------ writes

    private static final int PUT = 0;
    private static final int PUT_IF_ABSENT = 1;
    private static final int REPLACE = 2;

    /**
     * Locks the border node of {@code lay} whose range holds (s, c).
     *
     * @throws Restart if the layer is gone (its node deleted) or the key lies left of the node
     */
    private static Border lockBorder(Layer lay, long s, int c) {
        long[] at = new long[1];
        Border n = borderFor(lay, s, c, at);
        for (int hops = 0; hops < MAX_HOPS; hops++) {
            n.lock();
            if (TestHooks.ENABLED && TestHooks.faultActive(INSERT_SKIP_FENCE_RECHECK)) {
                return n;
            }
            boolean deleted = (n.versionPlain() & DELETED) != 0
                    && !(TestHooks.ENABLED && TestHooks.faultActive(INSERT_SKIP_DELETED_CHECK));
            if (deleted || !aboveLow(n, s, c)) {
                n.unlock();
                throw RESTART;
            }
            if (belowHigh(n, s, c)) {
                return n;
            }
            // A split moved the key right. Unlock before locking the neighbour: never wait for a
            // node to the right while holding one (a removal locks right to left).
            Border nx = n.nextAcquire();
            n.unlock();
            if (nx == null) {
                throw RESTART;
            }
            n = nx;
        }
        throw RESTART;
    }

    /**
     * Put, putIfAbsent, replace and replace(k, old, new) ({@code mode == REPLACE} with
     * {@code expected} set): returns the previous value (for replace(k, old, new), non-null iff
     * replaced).
     */
    private Object update(Object key, byte[] k, Object value, int mode, Object expected) {
        return update(key, k, value, mode, expected, null);
    }

    /** As above; if {@code landed} is not null, its slot 0 receives the border node written. */
    private Object update(Object key, byte[] k, Object value, int mode, Object expected, Border[] landed) {
        for (int attempt = 0; ; attempt++) {
            try {
                Layer lay = top;
                for (int off = 0; ; off += 8) {
                    long s = sliceAt(k, off);
                    int c = classAt(k, off);
                    byte[] suf = c == SUFFIX ? Arrays.copyOfRange(k, off + 8, k.length) : null;
                    Border n = lockBorder(lay, s, c);
                    Object next;
                    try {
                        next = updateLocked(n, key, k, off, s, c, suf, value, mode, expected);
                    } finally {
                        n.unlock();
                    }
                    if (next instanceof Layer) {
                        lay = (Layer) next;
                        continue;
                    }
                    if (landed != null) {
                        landed[0] = n;
                    }
                    return next == ABSENT ? null : next;
                }
            } catch (Restart r) {
                retryPause(attempt);
            }
        }
    }

    /** Marks "no previous value" in {@link #updateLocked}'s result (a Layer means: go down). */
    private static final Object ABSENT = new Object();

    private Object updateLocked(Border n, Object key, byte[] k, int off, long s, int c, byte[] suf, Object value,
                                int mode, Object expected) {
        long perm = n.perm;
        int cnt = permCount(perm);
        int pos = lowerBound(n, perm, cnt, s, c);
        if (pos < cnt) {
            int slot = permSlot(perm, pos);
            byte cls = n.lens[slot];
            if (n.slices[slot] == s && ord(cls) == c) {
                if (cls == LINK) {
                    return n.vals[slot]; // the Layer: continue below, after unlocking
                }
                if (cls != SUFFIX || sameSuffix(n.sufs[slot], k, off)) {
                    Object old = n.vals[slot];
                    if (mode == PUT_IF_ABSENT || (expected != null && !expected.equals(old))) {
                        return expected != null ? ABSENT : old;
                    }
                    n.markInsert();
                    n.setValRelease(slot, value);
                    publishChange(key, k, old, value);
                    return old;
                }
                // Another key with the same 8 bytes continues: both go to a new layer.
                if (mode == REPLACE) {
                    return ABSENT;
                }
                Layer sub = newLayer(n.layer.depth + 1, n.sufs[slot], 0, n.vals[slot], k, off + 8, value);
                n.markInsert();
                n.lens[slot] = LINK;
                n.sufs[slot] = null;
                n.setValRelease(slot, sub);
                // Only k is new: the key that moved down with it is unchanged, so not published.
                // sub is reachable only through this slot, behind n's lock, until the unlock.
                publishChange(key, k, null, value);
                count.increment();
                return ABSENT;
            }
        }
        if (mode == REPLACE) {
            return ABSENT;
        }
        byte cls = (byte) c;
        if (cnt < n.slices.length) {
            if (TestHooks.ENABLED && TestHooks.faultActive(INSERT_PUBLISH_BEFORE_FILL)) {
                n.setPermPlain(permInsert(perm, pos)); // and no markInsert: readers trust the node
            } else {
                n.markInsert();
            }
            n.fill(permSlot(perm, cnt), s, cls, suf, value);
            // No reader sees the slot or the permutation before the unlock: n has been dirty since
            // markInsert, so readers wait in stableVersion or fail changed(v) until the unlock's
            // release store publishes both; the order of these two stores does not matter.
            n.setPermPlain(permInsert(perm, pos));
            publishChange(key, k, null, value);
        } else if (n.slices.length < width) {
            grow(n, pos, s, cls, suf, value, key, k);
        } else {
            split(n, pos, s, cls, suf, value, key, k);
        }
        count.increment();
        return ABSENT;
    }

    /**
     * Builds, privately, a layer holding two keys that share the bytes before this layer: key
     * {@code a} from {@code ao} with value {@code av}, and key {@code b} from {@code bo} with
     * {@code bv}; a chain of layers while both keep sharing whole 8-byte slices.
     */
    private Layer newLayer(int depth, byte[] a, int ao, Object av, byte[] b, int bo, Object bv) {
        Layer lay = new Layer(depth);
        long sa = sliceAt(a, ao);
        long sb = sliceAt(b, bo);
        int ca = classAt(a, ao);
        int cb = classAt(b, bo);
        boolean chain = sa == sb && ca == SUFFIX && cb == SUFFIX;
        // Sized for what it holds (one link, or two keys): most lower layers stay small (the keys of
        // one URL path, of one tenant), and a full-width node would be mostly empty slots.
        Border n = new Border(Math.min(width, chain ? 1 : 2), lay);
        n.initRoot();
        if (chain) {
            n.fill(0, sa, LINK, null, newLayer(depth + 1, a, ao + 8, av, b, bo + 8, bv));
            n.perm = permInsert(PERM_EMPTY, 0);
        } else {
            n.fill(0, sa, (byte) ca, ca == SUFFIX ? Arrays.copyOfRange(a, ao + 8, a.length) : null, av);
            n.fill(1, sb, (byte) cb, cb == SUFFIX ? Arrays.copyOfRange(b, bo + 8, b.length) : null, bv);
            boolean aFirst = cmpC(sa, ca, sb, cb) < 0;
            long p = permInsert(PERM_EMPTY, 0);
            n.perm = permInsert(p, aFirst ? 1 : 0);
        }
        lay.initRootPlain(n); // published with the layer by the release store of the link
        return lay;
    }

    /**
     * The capacity a lone root border node narrower than the node width grows to: one slot more
     * up to four, then twice as many, up to the width.
     */
    private int grownCapacity(int cap) {
        return Math.min(width, cap < 4 ? cap + 1 : cap * 2);
    }

    /**
     * Replaces the full, locked border node {@code n}, narrower than the node width and so the
     * only node of its layer (see the class notes, "Insert", step 6), by a wider copy holding
     * (s, cls) at position {@code pos} as well, published as the layer's root; {@code n} is
     * marked SPLITTING and DELETED, so the caller's unlock leaves it deleted and every reader or
     * writer that reached it starts again from the top and finds the copy.
     */
    private void grow(Border n, int pos, long s, byte cls, byte[] suf, Object value, Object key, byte[] k) {
        long perm = n.perm;
        int cnt = permCount(perm);
        Border g = new Border(grownCapacity(n.slices.length), n.layer);
        g.initRoot();
        for (int i = 0, j = 0; i <= cnt; i++) {
            if (i == pos) {
                g.fill(j++, s, cls, suf, value);
            }
            if (i < cnt) {
                int slot = permSlot(perm, i);
                g.fill(j++, n.slices[slot], n.lens[slot], n.sufs[slot], n.vals[slot]);
            }
        }
        long gp = PERM_EMPTY;
        for (int i = 0; i <= cnt; i++) {
            gp = permInsert(gp, i);
        }
        g.perm = gp;
        // n stays as it is (readers that validate it before this see a consistent old state);
        // from the dirty mark on, its readers wait, and after the unlock they see DELETED.
        n.markDeleted();
        // Published before g becomes the root: g is not locked, so from the root's store on a
        // writer can reach g and change k, and its publication must come after this one.
        publishChange(key, k, null, value);
        // Release: a reader or writer that reads the new root (acquire) sees it fully built.
        n.layer.setRootRelease(g);
    }

    /**
     * Splits the full, locked border node {@code n} while inserting (s, cls) at position
     * {@code pos}; links the new sibling into the parent. {@code n} stays locked (the caller
     * unlocks it after every parent is unlocked).
     */
    private void split(Border n, int pos, long s, byte cls, byte[] suf, Object value, Object key, byte[] k) {
        int cnt = permCount(n.perm);
        long perm = n.perm;
        // Appending at the right end of the layer (ascending loads) moves nothing: n stays full.
        int keep = (pos == cnt && n.highC < 0) ? cnt : (cnt + 1) / 2;
        Border r = new Border(width, n.layer);
        int j = 0;
        boolean inRight = pos >= keep;
        boolean early = TestHooks.ENABLED && TestHooks.faultActive(SPLIT_PUBLISH_BEFORE_FILL);
        if (early) { // the sibling's low fence is its first composite: the new key's or the first moved one's
            int f = inRight && pos == keep ? -1 : permSlot(perm, keep);
            insertUp(n, r, f < 0 ? s : n.slices[f], f < 0 ? ord(cls) : ord(n.lens[f]));
        }
        for (int i = keep; i <= cnt; i++) {
            if (inRight && i == pos) {
                r.fill(j++, s, cls, suf, value);
            }
            if (i < cnt) {
                int slot = permSlot(perm, i);
                r.fill(j++, n.slices[slot], n.lens[slot], n.sufs[slot], n.vals[slot]);
            }
        }
        long rp = PERM_EMPTY;
        for (int i = 0; i < j; i++) {
            rp = permInsert(rp, i);
        }
        r.perm = rp;
        r.lowS = r.slices[0];
        r.lowC = ord(r.lens[0]);
        r.highS = n.highS;
        r.highC = n.highC;
        r.setNextRelease(n.nextAcquire());

        n.markSplit();
        for (int i = keep; i < cnt; i++) {
            n.clear(permSlot(perm, i));
        }
        long np = (perm & ~15L) | keep;
        if (!inRight) {
            n.fill(permSlot(np, keep), s, cls, suf, value);
            np = permInsert(np, pos);
        }
        n.perm = np;
        n.highS = r.lowS;
        n.highC = r.lowC;
        n.setNextRelease(r);
        if (TestHooks.ENABLED) {
            TestHooks.recordEvent(TestHooks.SPLIT);
        }
        // Published before r is linked into the parent: insertUp unlocks the parents before it
        // returns, and r is not locked, so from then on a writer can reach r and change k while
        // n is still locked; its publication must come after this one. (In n, k stays behind
        // n's lock until the caller unlocks.)
        publishChange(key, k, null, value);
        if (!early) {
            insertUp(n, r, r.lowS, r.lowC);
        }
    }

    /**
     * Links {@code right} (new, private) into the parent of the locked node {@code left}, right
     * after it, with separator (s, c): locks the parent (and splits it, recursively upward, if
     * full), or makes a new root. Every parent locked here is unlocked before returning.
     */
    private void insertUp(Node left, Node right, long s, int c) {
        Interior p = lockParent(left);
        if (p == null) {
            Layer lay = left.layer;
            Interior root = new Interior(width, lay);
            root.n = 1;
            root.ks[0] = s;
            root.kc[0] = (byte) c;
            root.kids[0] = left;
            root.kids[1] = right;
            root.initVersionPlain(ROOT);
            right.setParentRelease(root);
            left.setParentRelease(root);
            left.setRootBitLocked(false);
            lay.setRootRelease(root);
            return;
        }
        try {
            int i = p.indexOf(left);
            int pn = p.n;
            if (pn < width) {
                p.markInsert();
                for (int x = pn; x > i; x--) {
                    p.ks[x] = p.ks[x - 1];
                    p.kc[x] = p.kc[x - 1];
                    p.setKidRelease(x + 1, p.kids[x]);
                }
                p.ks[i] = s;
                p.kc[i] = (byte) c;
                right.setParentRelease(p);
                p.setKidRelease(i + 1, right);
                p.n = pn + 1;
                return;
            }
            // Full: split p. Build the combined sequence (pn + 1 separators, pn + 2 children).
            long[] ks = new long[pn + 1];
            byte[] kc = new byte[pn + 1];
            Node[] kids = new Node[pn + 2];
            for (int x = 0, y = 0; x <= pn; x++) {
                if (x == i) {
                    ks[y] = s;
                    kc[y] = (byte) c;
                    y++;
                }
                if (x < pn) {
                    ks[y] = p.ks[x];
                    kc[y] = p.kc[x];
                    y++;
                }
            }
            for (int x = 0, y = 0; x <= pn; x++) {
                kids[y++] = p.kids[x];
                if (x == i) {
                    kids[y++] = right;
                }
            }
            int mid = (pn + 1) / 2;
            // q is born locked: its children become reachable (through their parent pointers) by
            // writers before q is linked into the grandparent, and must wait for that.
            Interior q = new Interior(width, p.layer);
            q.initVersionPlain(LOCKED);
            int qn = pn - mid;
            for (int x = 0; x < qn; x++) {
                q.ks[x] = ks[mid + 1 + x];
                q.kc[x] = kc[mid + 1 + x];
            }
            for (int x = 0; x <= qn; x++) {
                q.kids[x] = kids[mid + 1 + x];
            }
            q.n = qn;
            p.markSplit();
            for (int x = 0; x <= qn; x++) {
                q.kids[x].setParentRelease(q);
            }
            for (int x = 0; x < mid; x++) {
                p.ks[x] = ks[x];
                p.kc[x] = kc[x];
            }
            for (int x = 0; x <= mid; x++) {
                p.setKidRelease(x, kids[x]);
            }
            for (int x = mid + 1; x < p.kids.length; x++) {
                p.setKidRelease(x, null);
            }
            if (!(i + 1 > mid)) {
                right.setParentRelease(p);
            }
            p.n = mid;
            if (TestHooks.ENABLED) {
                TestHooks.recordEvent(TestHooks.SPLIT);
            }
            try {
                insertUp(p, q, ks[mid], kc[mid]);
            } finally {
                q.unlock();
            }
        } finally {
            p.unlock();
        }
    }

    /**
     * Locks and returns the parent of the locked node {@code x}, or null if {@code x} is its
     * layer's root (stable while {@code x} is locked: the root changes only under the old root's
     * lock, and a root collapse locks the new root).
     */
    private static Interior lockParent(Node x) {
        for (int round = 0; ; round++) {
            Interior p = x.parentAcquire();
            if (p == null) {
                return null;
            }
            p.lock();
            // The parent pointer changes only under the parent's lock (a parent split moves
            // children), so re-reading it under p's lock tells whether p is still the parent.
            if (x.parentAcquire() == p && (p.versionPlain() & DELETED) == 0) {
                return p;
            }
            p.unlock();
            HybridLatch.backOff(round);
        }
    }

    // ------------------------------------------------------------------ removal

    /**
     * Removes {@code key}, whose bytes are {@code k} (if its value equals {@code expected}, when
     * not null).
     */
    private Object delete(Object key, byte[] k, Object expected) {
        for (int attempt = 0; ; attempt++) {
            try {
                Layer lay = top;
                for (int off = 0; ; off += 8) {
                    long s = sliceAt(k, off);
                    int c = classAt(k, off);
                    Border n = lockBorder(lay, s, c);
                    Object old = null;
                    Layer sub = null;
                    boolean emptied = false;
                    try {
                        long perm = n.perm;
                        int cnt = permCount(perm);
                        int pos = lowerBound(n, perm, cnt, s, c);
                        if (pos < cnt) {
                            int slot = permSlot(perm, pos);
                            byte cls = n.lens[slot];
                            if (n.slices[slot] == s && ord(cls) == c) {
                                if (cls == LINK) {
                                    sub = (Layer) n.vals[slot];
                                } else if (cls != SUFFIX || sameSuffix(n.sufs[slot], k, off)) {
                                    Object cur = n.vals[slot];
                                    if (expected == null || expected.equals(cur)) {
                                        removeAt(n, pos);
                                        publishChange(key, k, cur, null);
                                        old = cur;
                                        emptied = cnt == 1;
                                    }
                                }
                            }
                        }
                    } finally {
                        n.unlock();
                    }
                    if (sub != null) {
                        lay = sub;
                        continue;
                    }
                    if (old != null) {
                        count.decrement();
                        if (emptied) {
                            cleanUp(n, k);
                        }
                    }
                    return old;
                }
            } catch (Restart r) {
                retryPause(attempt);
            }
        }
    }

    /** Under the lock: drops the entry at {@code pos}. */
    private static void removeAt(Border n, int pos) {
        long perm = n.perm;
        int slot = permSlot(perm, pos);
        n.markInsert();
        n.clear(slot);
        n.setPermPlain(permRemove(perm, pos)); // published by the unlock, as in updateLocked
    }

    /**
     * After a removal emptied border node {@code n} (holding a key that began with {@code k}'s
     * first {@code 8 * depth} bytes): unlinks it if it is not its layer's leftmost node, and
     * unlinks its layer from the layer above if the layer is now empty; repeats upward.
     */
    private void cleanUp(Border n, byte[] k) {
        for (;;) {
            if (n.lowC >= 0) {
                removeEmptyBorder(n);
            }
            int depth = n.layer.depth;
            if (depth == 0) {
                return;
            }
            Border upper = collapseLayer(n.layer, k);
            if (upper == null) {
                return;
            }
            n = upper;
        }
    }

    /** Unlinks the empty border node {@code n} (see the class notes, "Remove", step 1). */
    private void removeEmptyBorder(Border n) {
        for (int round = 0; ; round++) {
            n.lock();
            boolean done = true;
            boolean unlinked = false;
            try {
                if ((n.versionPlain() & DELETED) != 0 || permCount(n.perm) != 0 || n.lowC < 0) {
                    return;
                }
                Border l = leftNeighbour(n);
                if (l == null) {
                    done = false;
                } else {
                    l.lock();
                    try {
                        if ((l.versionPlain() & DELETED) != 0 || l.nextAcquire() != n) {
                            done = false;
                        } else {
                            l.markInsert();
                            n.markSplit();
                            l.highS = n.highS;
                            l.highC = n.highC;
                            l.setNextRelease(n.nextAcquire());
                            detach(n, n.highS, n.highC);
                            unlinked = true;
                            if (TestHooks.ENABLED) {
                                TestHooks.recordEvent(TestHooks.MERGE);
                            }
                        }
                    } finally {
                        l.unlock();
                    }
                }
            } finally {
                if (unlinked && !(TestHooks.ENABLED && TestHooks.faultActive(REMOVE_SKIP_DELETED_MARK))) {
                    n.unlockDeleted();
                } else {
                    n.unlock();
                }
            }
            if (unlinked) {
                // The collapse inside detach may have failed to lock the surviving child (it can
                // be the left neighbour this removal held): try again with nothing held.
                shrinkRoot(n.layer);
            }
            if (done) {
                return;
            }
            HybridLatch.backOff(round);
        }
    }

    /** Hands the layer from an interior root with one child to that child, if there is one. */
    private static void shrinkRoot(Layer lay) {
        Node r = lay.rootAcquire();
        if (!(r instanceof Interior) || ((Interior) r).n != 0) {
            return;
        }
        Interior p = (Interior) r;
        p.lock();
        boolean gone = false;
        try {
            if (lay.rootAcquire() == p && (p.versionPlain() & DELETED) == 0 && p.n == 0) {
                gone = collapseRoot(p);
            }
        } finally {
            if (gone) {
                p.unlockDeleted();
            } else {
                p.unlock();
            }
        }
    }

    /** The border node whose {@code next} is {@code n}, read optimistically, or null. */
    private static Border leftNeighbour(Border n) {
        try {
            // A racy guess: the caller locks the result and checks next == n under the lock.
            Border x = reach(n.layer, n.lowS, n.lowC, BEFORE);
            for (int hops = 0; x != null && x != n && hops < MAX_HOPS; hops++) {
                Border nx = x.nextAcquire();
                if (nx == n) {
                    return x;
                }
                x = nx;
            }
        } catch (Restart r) {
            // a concurrent change: the caller retries
        }
        return null;
    }

    /**
     * Removes the locked node {@code x} (emptied, its range already given to its left neighbour)
     * from its parent, with every lock taken upward; {@code (ns, nc)} is {@code x}'s high fence:
     * the new low bound of whatever followed it.
     */
    private void detach(Node x, long ns, int nc) {
        Interior p = lockParent(x);
        if (p == null) {
            throw new IllegalStateException("unlinking a layer root");
        }
        boolean emptied = false;
        try {
            int i = p.indexOf(x);
            int pn = p.n;
            if (pn == 0) {
                // x was p's only child: p goes too.
                p.markSplit();
                p.setKidRelease(0, null);
                detach(p, ns, nc);
                emptied = true;
                return;
            }
            p.markInsert();
            int drop = i > 0 ? i - 1 : 0;
            for (int y = drop; y < pn - 1; y++) {
                p.ks[y] = p.ks[y + 1];
                p.kc[y] = p.kc[y + 1];
            }
            for (int y = i; y < pn; y++) {
                p.setKidRelease(y, p.kids[y + 1]);
            }
            p.setKidRelease(pn, null);
            p.n = pn - 1;
            if (i == 0) {
                redirect(p, ns, nc);
            }
            if (p.n == 0 && p.parentAcquire() == null) {
                emptied = collapseRoot(p);
            }
        } finally {
            if (emptied) {
                p.unlockDeleted();
            } else {
                p.unlock();
            }
        }
    }

    /**
     * The subtree of the locked node {@code x} lost its leftmost part: the separator left of it,
     * in the first ancestor where it is not the leftmost child, becomes (ns, nc).
     */
    private static void redirect(Node x, long ns, int nc) {
        Interior a = lockParent(x);
        if (a == null) {
            return;
        }
        try {
            int j = a.indexOf(x);
            if (j > 0) {
                a.markInsert();
                a.ks[j - 1] = ns;
                a.kc[j - 1] = (byte) nc;
            } else {
                redirect(a, ns, nc);
            }
        } finally {
            a.unlock();
        }
    }

    /**
     * The locked root {@code p} has one child left: hand the layer to that child if it can be
     * locked without waiting (a wait would be downward). Returns whether {@code p} is now unlinked.
     */
    private static boolean collapseRoot(Interior p) {
        Node child = p.kids[0];
        if (child == null || !child.tryLock()) {
            return false;
        }
        boolean childGone = false;
        try {
            p.markSplit();
            child.setParentRelease(null);
            child.setRootBitLocked(true);
            p.layer.setRootRelease(child);
            // A chain of single-child roots (left by removals at several levels) shrinks at once.
            if (child instanceof Interior && ((Interior) child).n == 0) {
                childGone = collapseRoot((Interior) child);
            }
            return true;
        } finally {
            if (childGone) {
                child.unlockDeleted();
            } else {
                child.unlock();
            }
        }
    }

    /**
     * If layer {@code sub} (reached by key bytes {@code k}) is empty, unlinks it from the border
     * node of the layer above that links to it (see the class notes, "Remove", step 2).
     *
     * @return that upper node if the unlink emptied it (the caller cleans it up in turn), else null
     */
    private Border collapseLayer(Layer sub, byte[] k) {
        for (int attempt = 0; ; attempt++) {
            try {
                Layer up = layerAt(k, sub.depth - 1);
                if (up == null) {
                    return null;
                }
                int off = 8 * up.depth;
                long s = sliceAt(k, off);
                Border u = lockBorder(up, s, SUFFIX);
                boolean emptied = false;
                try {
                    long perm = u.perm;
                    int cnt = permCount(perm);
                    int pos = lowerBound(u, perm, cnt, s, SUFFIX);
                    if (pos >= cnt) {
                        return null;
                    }
                    int slot = permSlot(perm, pos);
                    if (u.slices[slot] != s || u.lens[slot] != LINK || u.vals[slot] != sub) {
                        return null;
                    }
                    // A racy guess at the layer's leftmost border node: checked under its lock below
                    // (leftmost, in this layer, empty, alone, not deleted).
                    Node r = sub.rootAcquire();
                    for (int d = 0; r instanceof Interior && d < 64; d++) {
                        r = ((Interior) r).kidAcquire(0);
                    }
                    if (!(r instanceof Border)) {
                        return null;
                    }
                    Border lm = (Border) r;
                    // Upper layer before lower: the order every collapse follows.
                    lm.lock();
                    boolean gone = false;
                    try {
                        if ((lm.versionPlain() & DELETED) != 0 || lm.lowC >= 0 || permCount(lm.perm) != 0
                                || lm.nextAcquire() != null || lm.layer != sub) {
                            return null;
                        }
                        lm.markSplit();
                        removeAt(u, pos);
                        gone = true;
                        if (TestHooks.ENABLED) {
                            TestHooks.recordEvent(TestHooks.MERGE);
                        }
                        emptied = cnt == 1;
                    } finally {
                        if (gone) {
                            lm.unlockDeleted();
                        } else {
                            lm.unlock();
                        }
                    }
                } finally {
                    u.unlock();
                }
                return emptied ? u : null;
            } catch (Restart r) {
                retryPause(attempt);
            }
        }
    }

    /** The layer at {@code depth} on the path of key bytes {@code k}, or null if there is none. */
    private Layer layerAt(byte[] k, int depth) {
        long[] at = new long[1];
        Layer lay = top;
        for (int d = 0; d < depth; d++) {
            int off = 8 * d;
            long s = sliceAt(k, off);
            Border n = borderFor(lay, s, SUFFIX, at);
            // Benign race: a plain read of a permutation that a writer may be changing (even torn);
            // its slots are bounds-checked, and it is acted on only if the version validates after.
            long perm = n.perm;
            int cnt = safeCount(n, perm);
            int pos = lowerBound(n, perm, cnt, s, SUFFIX);
            Object found = null;
            int slot = pos < cnt ? permSlot(perm, pos) : n.slices.length;
            if (slot < n.slices.length) {
                if (n.slices[slot] == s && n.lens[slot] == LINK) {
                    found = n.valAcquire(slot);
                }
            }
            if (n.changed(at[0])) {
                throw RESTART;
            }
            if (!(found instanceof Layer)) {
                return null;
            }
            lay = (Layer) found;
        }
        return lay;
    }

    // ------------------------------------------------------------------ navigation and scans

    /**
     * One optimistic walk: the border nodes read with their versions (validated together at the
     * end), and the entries collected, as raw key bytes and values.
     */
    static final class Walk {
        Node[] nodes = new Node[8];
        long[] vers = new long[8];
        int size;
        byte[][] keys;
        Object[] vals;
        int found;
        /** The most entries this attempt collects (at most {@code keys.length}). */
        int limit;
        /** The bound that stops the walk ({@code null}: none), in the walk's direction. */
        byte[] bound;
        boolean boundInclusive;
        boolean descending;
        /** Where the first entry was found: node, slot and the node's version. */
        Border hit;
        int hitSlot;
        long hitVersion;
        /** Whether a locked node fails validation ({@link Node#lockedOrChanged}): scans with listeners. */
        boolean strict;

        Walk(int max) {
            keys = new byte[max][];
            vals = new Object[max];
        }

        void reset() {
            Arrays.fill(nodes, 0, size, null);
            size = 0;
            found = 0;
            hit = null;
        }

        void record(Node n, long v) {
            if (size == nodes.length) {
                nodes = Arrays.copyOf(nodes, size * 2);
                vers = Arrays.copyOf(vers, size * 2);
            }
            nodes[size] = n;
            vers[size++] = v;
        }

        /** Whether every node read is unchanged (skipping {@code except}). */
        boolean validate(Node except) {
            for (int i = 0; i < size; i++) {
                if (nodes[i] != except && (strict ? nodes[i].lockedOrChanged(vers[i]) : nodes[i].changed(vers[i]))) {
                    return false;
                }
            }
            return true;
        }

        /** Adds an entry; returns true when the walk must stop (full, or past the bound). */
        boolean emit(byte[] key, Object val, Border n, int slot, long v) {
            if (bound != null) {
                int c = Arrays.compareUnsigned(key, bound);
                if (descending ? (c < 0 || (c == 0 && !boundInclusive)) : (c > 0 || (c == 0 && !boundInclusive))) {
                    return true;
                }
            }
            if (found == 0) {
                hit = n;
                hitSlot = slot;
                hitVersion = v;
            }
            keys[found] = key;
            vals[found++] = val;
            return found >= limit;
        }
    }

    /** The key of a slot: the path's bytes, the slot's bytes of the slice, and its suffix. */
    private static byte[] keyOf(byte[] prefix, long slice, byte cls, byte[] suf) {
        int inSlice = cls <= 8 ? cls : 8;
        int sufLen = cls == SUFFIX && suf != null ? suf.length : 0;
        byte[] key = Arrays.copyOf(prefix, prefix.length + inSlice + sufLen);
        for (int i = 0; i < inSlice; i++) {
            key[prefix.length + i] = (byte) (slice >>> (56 - 8 * i));
        }
        if (sufLen > 0) {
            System.arraycopy(suf, 0, key, prefix.length + inSlice, sufLen);
        }
        return key;
    }

    private static byte[] extend(byte[] prefix, long slice) {
        byte[] p = Arrays.copyOf(prefix, prefix.length + 8);
        LONG_BE.set(p, prefix.length, slice);
        return p;
    }

    /**
     * One slot of a walk ({@code w.descending} tells the direction): descends into a linked layer,
     * skips the slot if it is {@code from} itself (or on the wrong side of it) when the range
     * excludes it, and otherwise collects the entry. Reads are racy, as in {@link #up}.
     *
     * @return true if the walk is complete
     */
    private static boolean visit(Border n, int slot, long v, byte[] from, long s, int c, boolean inclusive,
                                 byte[] prefix, Walk w) {
        if (slot >= n.slices.length) {
            throw RESTART;
        }
        long sl = n.slices[slot];
        byte cls = n.lens[slot];
        // Acquire: a value or layer stored by a writer is seen fully built.
        Object val = n.valAcquire(slot);
        boolean equal = from != null && sl == s && ord(cls) == c;
        if (cls == LINK) {
            if (!(val instanceof Layer)) {
                throw RESTART;
            }
            Layer sub = (Layer) val;
            byte[] p = extend(prefix, sl);
            byte[] f = equal ? from : null;
            return w.descending ? down(sub, f, inclusive, p, w) : up(sub, f, inclusive, p, w);
        }
        if (equal) {
            int d = 0;
            if (cls == SUFFIX) {
                byte[] suf = n.sufs[slot];
                if (suf == null) {
                    throw RESTART;
                }
                int off = prefix.length;
                d = Arrays.compareUnsigned(suf, 0, suf.length, from, off + 8, from.length);
                if (w.descending) {
                    d = -d;
                }
            }
            // d > 0: the stored key lies beyond from in the walk's direction.
            if (d < 0 || (d == 0 && !inclusive)) {
                return false;
            }
        }
        return w.emit(keyOf(prefix, sl, cls, n.sufs[slot]), val, n, slot, v);
    }

    /**
     * Collects, ascending, the entries of layer {@code lay} above {@code from} (all of them if
     * null; {@code from} agrees with {@code prefix} on the bytes before this layer).
     *
     * @return true if the walk is complete
     */
    private static boolean up(Layer lay, byte[] from, boolean inclusive, byte[] prefix, Walk w) {
        int off = prefix.length;
        long s = 0;
        int c = 0;
        Border n;
        long v;
        if (from != null) {
            s = sliceAt(from, off);
            c = classAt(from, off);
            long[] at = new long[1];
            n = borderFor(lay, s, c, at);
            v = at[0];
        } else {
            n = reach(lay, 0, 0, LEFTMOST);
            v = n.stableVersion();
            if ((v & DELETED) != 0 || n.lowC >= 0) {
                throw RESTART;
            }
        }
        for (int hops = 0; hops < MAX_HOPS; hops++) {
            // n is recorded with the stable version v, and everything read from it below (entries,
            // next) is racy: bounds-checked, never acted on, and trusted only when the walk's
            // final validation finds v unchanged.
            w.record(n, v);
            // Benign race: a plain read of a permutation that a writer may be changing (even torn);
            // its slots are bounds-checked, and it is acted on only if the version validates after.
            long perm = n.perm;
            int cnt = safeCount(n, perm);
            int pos = from != null ? lowerBound(n, perm, cnt, s, c) : 0;
            for (; pos < cnt; pos++) {
                if (visit(n, permSlot(perm, pos), v, from, s, c, inclusive, prefix, w)) {
                    return true;
                }
            }
            Border nx = n.nextAcquire();
            if (nx == null) {
                return false;
            }
            from = null;
            n = nx;
            v = n.stableVersion();
            if ((v & DELETED) != 0) {
                throw RESTART;
            }
        }
        throw RESTART;
    }

    /**
     * Collects, descending, the entries of layer {@code lay} below {@code from} (all of them if
     * null).
     *
     * @return true if the walk is complete
     */
    private static boolean down(Layer lay, byte[] from, boolean inclusive, byte[] prefix, Walk w) {
        int off = prefix.length;
        long s = 0;
        int c = 0;
        Border n;
        long v;
        long[] at = new long[1];
        if (from != null) {
            s = sliceAt(from, off);
            c = classAt(from, off);
            n = borderFor(lay, s, c, at);
            v = at[0];
        } else {
            n = reach(lay, 0, 0, RIGHTMOST);
            for (int hops = 0; ; hops++) {
                v = n.stableVersion();
                if ((v & DELETED) != 0 || hops > MAX_HOPS) {
                    throw RESTART;
                }
                if (n.highC < 0) {
                    break;
                }
                Border nx = n.nextAcquire();
                if (n.changed(v)) {
                    continue;
                }
                if (nx == null) {
                    throw RESTART;
                }
                n = nx;
            }
        }
        for (int hops = 0; hops < MAX_HOPS; hops++) {
            // As in up(): n is recorded with v; what is read from it is trusted only after the
            // walk's final validation.
            w.record(n, v);
            // Benign race: a plain read of a permutation that a writer may be changing (even torn);
            // its slots are bounds-checked, and it is acted on only if the version validates after.
            long perm = n.perm;
            int cnt = safeCount(n, perm);
            int pos = from != null ? lowerBound(n, perm, cnt, s, c) : cnt;
            // pos is the first entry at or above from; an equal one is handled first.
            if (from != null && pos < cnt) {
                int slot = permSlot(perm, pos);
                if (slot < n.slices.length && n.slices[slot] == s && ord(n.lens[slot]) == c) {
                    pos++;
                }
            }
            for (pos = pos - 1; pos >= 0; pos--) {
                if (visit(n, permSlot(perm, pos), v, from, s, c, inclusive, prefix, w)) {
                    return true;
                }
            }
            if (n.lowC < 0) {
                return false;
            }
            // Move left: the node whose next is n. Recording it with the version under which its
            // next was n makes the final validation prove the two were neighbours at that instant.
            Border l = reach(lay, n.lowS, n.lowC, BEFORE);
            Border target = n;
            long lv = 0;
            for (int h = 0; ; h++) {
                if (l == null || h > MAX_HOPS) {
                    throw RESTART;
                }
                lv = l.stableVersion();
                if ((lv & DELETED) != 0) {
                    throw RESTART;
                }
                Border nx = l.nextAcquire();
                if (l.changed(lv)) {
                    continue;
                }
                if (nx == target) {
                    break;
                }
                l = nx;
            }
            from = null;
            n = l;
            v = lv;
        }
        throw RESTART;
    }

    private static final byte[] EMPTY = new byte[0];

    /** Runs one walk until it validates. */
    private void walk(Walk w, byte[] start, boolean inclusive, boolean descending) {
        w.descending = descending;
        for (int attempt = 0; ; attempt++) {
            w.reset();
            // A long batch spans many nodes, and under heavy writes one of them may change in
            // every attempt: after a few failed validations, collect fewer entries (a batch may
            // hold fewer than fit), down to one, whose walk reads as few nodes as a navigation.
            w.limit = attempt < 4 ? w.keys.length : Math.max(1, w.keys.length >> (attempt - 3));
            try {
                if (descending) {
                    down(top, start, inclusive, EMPTY, w);
                } else {
                    up(top, start, inclusive, EMPTY, w);
                }
                if (w.validate(null)) {
                    return;
                }
            } catch (Restart r) {
                // retry below
            } catch (RuntimeException e) {
                // A torn read can throw (an index out of range, a null); it is real only if the
                // nodes read still validate.
                if (w.validate(null)) {
                    throw e;
                }
            }
            retryPause(attempt);
        }
    }

    @Override
    protected Map.Entry<K, V> findNear(K key, int relation) {
        byte[] k = null;
        if (key != null) {
            k = keyForRead(key);
            if (k == null) {
                return null;
            }
        } else if (encoder == null) {
            return null;
        }
        Walk w = new Walk(1);
        boolean down = relation == LT || relation == LE;
        walk(w, k, relation == GE || relation == LE, down);
        return w.found == 0 ? null : entry(w.keys[0], w.vals[0]);
    }

    @SuppressWarnings("unchecked")
    private Map.Entry<K, V> entry(byte[] k, Object v) {
        return new SimpleImmutableEntry<>(decode(k), (V) v);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected Map.Entry<K, V> pollInRange(K lo, boolean loInclusive, K hi, boolean hiInclusive, boolean highest) {
        KeyEncoder<K> e = encoder;
        if (e == null) {
            if (lo != null) {
                keyForRead(lo);
            }
            if (hi != null) {
                keyForRead(hi);
            }
            return null;
        }
        byte[] l = lo == null ? null : encode(e, lo);
        byte[] h = hi == null ? null : encode(e, hi);
        Walk w = new Walk(1);
        w.bound = highest ? l : h;
        w.boundInclusive = highest ? loInclusive : hiInclusive;
        for (int attempt = 0; ; attempt++) {
            if (highest) {
                walk(w, h, hiInclusive, true);
            } else {
                walk(w, l, loInclusive, false);
            }
            if (w.found == 0) {
                return null;
            }
            Border n = w.hit;
            Object old = null;
            boolean emptied = false;
            boolean unchecked = TestHooks.ENABLED && TestHooks.faultActive(POLL_SKIP_RECHECK);
            // Decoded before the lock (the walk validated the bytes): the entry returned needs the
            // key anyway, and the encoder, user code, then never runs under the lock.
            K key = decode(w.keys[0]);
            n.lock();
            try {
                if (unchecked || ((n.versionPlain() ^ w.hitVersion) & ~LOCKED) == 0) {
                    // From here readers of n wait; if the rest of the walk still holds, the entry
                    // is the first (last) of the range at this instant.
                    n.markInsert();
                    if (unchecked || w.validate(n)) {
                        long perm = n.perm;
                        int cnt = permCount(perm);
                        for (int pos = 0; pos < cnt; pos++) {
                            if (permSlot(perm, pos) == w.hitSlot) {
                                old = n.vals[w.hitSlot];
                                removeAt(n, pos);
                                publishChange(key, w.keys[0], old, null);
                                emptied = cnt == 1;
                                break;
                            }
                        }
                    }
                }
            } finally {
                n.unlock();
            }
            if (unchecked && old == null) {
                old = w.vals[0]; // the faulty poll reports the entry it read as removed
            }
            if (old != null) {
                count.decrement();
                if (emptied) {
                    cleanUp(n, w.keys[0]);
                }
                return new SimpleImmutableEntry<>(key, (V) old);
            }
            retryPause(attempt);
        }
    }

    /**
     * Copies the next entries of a range in order; each call is one walk validated as a whole, so
     * every entry copied was present at one instant during the call. Weakly consistent across
     * calls, as {@link io.arboretum.map.BatchScannable} allows.
     *
     * @param from the lower bound, or {@code null}
     * @param fromInclusive whether {@code from} is in the range
     * @param to the upper bound, or {@code null}
     * @param toInclusive whether {@code to} is in the range
     * @param descending whether to copy from the high end down
     * @param keys receives the keys
     * @param values receives the values
     * @return the number of entries copied
     */
    @Override
    @SuppressWarnings("unchecked")
    public int copyBatch(K from, boolean fromInclusive, K to, boolean toInclusive, boolean descending,
                         Object[] keys, Object[] values) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        if (keys.length == 0 || values.length < keys.length) {
            throw new IllegalArgumentException("keys must be non-empty and values at least as long");
        }
        KeyEncoder<K> e = encoder;
        if (e == null) {
            if (from != null) {
                keyForRead(from);
            }
            if (to != null) {
                keyForRead(to);
            }
            return 0;
        }
        byte[] f = from == null ? null : encode(e, from);
        byte[] t = to == null ? null : encode(e, to);
        Walk w = new Walk(Math.min(keys.length, 256));
        w.strict = scanStrict();
        w.bound = descending ? f : t;
        w.boundInclusive = descending ? fromInclusive : toInclusive;
        if (descending) {
            walk(w, t, toInclusive, true);
        } else {
            walk(w, f, fromInclusive, false);
        }
        for (int i = 0; i < w.found; i++) {
            keys[i] = decode(w.keys[i]);
            values[i] = w.vals[i];
        }
        return w.found;
    }

    /**
     * Opens this map's own cursor ({@code MasstreeCursor}), which keeps its place in the trie
     * between batches (a stack of border-node snapshots, one per layer) instead of descending for
     * each, and builds a key from the slices on its stack only when it is asked for. Before the
     * first insert of a natural-order map (no encoder chosen yet, so the map is empty) it returns
     * the default cursor.
     *
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws ClassCastException {@inheritDoc}
     */
    @Override
    public BatchCursor<K, V> openCursor(K from, boolean fromInclusive, K to, boolean toInclusive,
                                        boolean descending, int maxBatch) {
        KeyEncoder<K> e = encoder;
        if (e == null) {
            return super.openCursor(from, fromInclusive, to, toInclusive, descending, maxBatch);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        byte[] f = from == null ? null : encode(e, from);
        byte[] t = to == null ? null : encode(e, to);
        return new MasstreeCursor<>(top, e, f, fromInclusive, t, toInclusive, descending, maxBatch, scanStrict());
    }

    // ------------------------------------------------------------------ checks and counts

    /**
     * Checks the structure (for tests, on a quiescent map): in every layer, separators ordered and
     * equal to the low fence of the subtree to their right, parent links and layers consistent,
     * border nodes chained left to right with touching fences, each permutation a permutation of
     * the slots, entries ordered and inside their fences, free slots cleared, every layer below the
     * top non-empty, and no empty border node other than a layer's leftmost; keys strictly
     * ascending across the whole trie, and their number equal to {@link #size()}.
     *
     * <p>It also checks the key encoder against its contract, on the keys stored: every stored key
     * decodes to a key that encodes back to the same bytes, and the decoded keys are strictly
     * ascending by {@link #comparator()} (or natural ordering). An encoder whose byte order
     * disagrees with the order it claims (which would make the map silently misorder keys) fails
     * here, as it fails {@link KeyEncoders#verify} on the same keys.
     *
     * @throws IllegalStateException describing the first violation found
     */
    public void checkInvariants() {
        long[] counts = new long[4];
        Object[] last = new Object[2];
        checkLayer(top, EMPTY, counts, last);
        if (counts[3] != count.sum()) {
            throw new IllegalStateException("size " + count.sum() + " but " + counts[3] + " keys in the trie");
        }
    }

    /** Counts of border nodes, interior nodes and layers (for tests). */
    long[] nodeCounts() {
        long[] counts = new long[4];
        checkLayer(top, EMPTY, counts, new Object[2]);
        return new long[] {counts[0], counts[1], counts[2]};
    }

    private void checkLayer(Layer lay, byte[] prefix, long[] counts, Object[] last) {
        counts[2]++;
        Node root = lay.rootAcquire();
        if (root.parentAcquire() != null || (root.versionPlain() & ROOT) == 0) {
            throw new IllegalStateException("layer root has a parent or no ROOT bit at depth " + lay.depth);
        }
        ArrayList<Border> borders = new ArrayList<>();
        collectBorders(root, lay, null, borders, counts);
        Border first = borders.get(0);
        if (first.lowC >= 0 || borders.get(borders.size() - 1).highC >= 0) {
            throw new IllegalStateException("layer edges have fences");
        }
        if (lay.depth > 0 && borders.size() == 1 && permCount(first.perm) == 0) {
            throw new IllegalStateException("an empty layer is still linked at depth " + lay.depth);
        }
        for (int i = 0; i < borders.size(); i++) {
            Border n = borders.get(i);
            Border nx = i + 1 < borders.size() ? borders.get(i + 1) : null;
            if (n.nextAcquire() != nx) {
                throw new IllegalStateException("next links disagree with the tree order");
            }
            if (nx != null && (n.highC < 0 || n.highS != nx.lowS || n.highC != nx.lowC)) {
                throw new IllegalStateException("fences do not touch");
            }
            if (i > 0 && permCount(n.perm) == 0) {
                throw new IllegalStateException("an empty border node was left linked at depth " + lay.depth);
            }
            checkBorder(n, prefix, counts, last);
        }
    }

    /** Walks a subtree in order; returns the low fence of its leftmost border node. */
    private long[] collectBorders(Node x, Layer lay, Interior parent, ArrayList<Border> out, long[] counts) {
        long v = x.versionPlain();
        if ((v & (LOCKED | DIRTY | DELETED)) != 0 || x.layer != lay || x.parentAcquire() != parent) {
            throw new IllegalStateException("node locked, dirty, deleted, or with a wrong layer or parent: "
                    + Long.toHexString(v));
        }
        if (x instanceof Border) {
            counts[0]++;
            out.add((Border) x);
            Border b = (Border) x;
            return new long[] {b.lowS, b.lowC};
        }
        counts[1]++;
        Interior in = (Interior) x;
        if (in.n < 0 || in.n > width) {
            throw new IllegalStateException("interior count " + in.n);
        }
        long[] low = null;
        for (int i = 0; i <= in.n; i++) {
            long[] l = collectBorders(in.kids[i], lay, in, out, counts);
            if (i == 0) {
                low = l;
            } else if (l[0] != in.ks[i - 1] || l[1] != in.kc[i - 1]) {
                throw new IllegalStateException("separator " + (i - 1) + " is not the low fence of its right subtree");
            }
            if (i > 1 && cmpC(in.ks[i - 2], in.kc[i - 2], in.ks[i - 1], in.kc[i - 1]) >= 0) {
                throw new IllegalStateException("separators out of order");
            }
        }
        for (int i = in.n + 1; i < in.kids.length; i++) {
            if (in.kids[i] != null) {
                throw new IllegalStateException("stale child beyond the count");
            }
        }
        return low;
    }

    /** The encoder's contract on one stored key; {@code last[1]} is the previous decoded key. */
    private void checkEncoding(byte[] key, Object[] last) {
        KeyEncoder<K> e = encoder;
        if (e == null) {
            throw new IllegalStateException("a key is stored but no encoder was chosen");
        }
        K k = e.decode(key, 0, key.length);
        if (!Arrays.equals(e.encode(k), key)) {
            throw new IllegalStateException("the key encoding does not round-trip: " + k + " was stored as "
                    + Arrays.toString(key) + " but encodes to " + Arrays.toString(e.encode(k)));
        }
        if (last[1] != null && compareKeys(last[1], k) >= 0) {
            throw new IllegalStateException("the key encoding disagrees with the map's order: its bytes put "
                    + last[1] + " before " + k + ", which " + (comparator() == null ? "natural ordering"
                    : "the comparator") + " does not");
        }
        last[1] = k;
    }

    private void checkBorder(Border n, byte[] prefix, long[] counts, Object[] last) {
        long perm = n.perm;
        int cnt = permCount(perm);
        int w = n.slices.length;
        if (w > width || cnt > w) {
            throw new IllegalStateException("count " + cnt + " above the node's capacity " + w + ", or that above width "
                    + width);
        }
        if (w < width && (n.parentAcquire() != null || n.lowC >= 0 || n.highC >= 0 || n.layer.rootAcquire() != n
                || n.layer == top)) {
            throw new IllegalStateException("a border node narrower than the width is not the lone root of a lower layer");
        }
        int seen = 0;
        for (int pos = 0; pos < w; pos++) {
            int slot = permSlot(perm, pos);
            if (slot >= w || (seen & (1 << slot)) != 0) {
                throw new IllegalStateException("permutation is not a permutation: " + Long.toHexString(perm));
            }
            seen |= 1 << slot;
            if (pos >= cnt && (n.vals[slot] != null || n.sufs[slot] != null)) {
                throw new IllegalStateException("free slot " + slot + " still holds a value or suffix");
            }
        }
        for (int pos = 0; pos < cnt; pos++) {
            int slot = permSlot(perm, pos);
            long s = n.slices[slot];
            byte cls = n.lens[slot];
            int c = ord(cls);
            if (cls < 0 || cls > LINK || n.vals[slot] == null) {
                throw new IllegalStateException("bad slot class " + cls + " or null value");
            }
            if (!aboveLow(n, s, c) || !belowHigh(n, s, c)) {
                throw new IllegalStateException("entry outside its node's fences");
            }
            if (cls < 8 && (cls == 0 ? s != 0 : (s << (8 * cls)) != 0)) {
                throw new IllegalStateException("bytes beyond a key's end are not zero");
            }
            if (pos > 0) {
                int prev = permSlot(perm, pos - 1);
                if (cmpC(n.slices[prev], ord(n.lens[prev]), s, c) >= 0) {
                    throw new IllegalStateException("entries out of order in a border node");
                }
            }
            if (cls == LINK) {
                if (!(n.vals[slot] instanceof Layer) || ((Layer) n.vals[slot]).depth != n.layer.depth + 1) {
                    throw new IllegalStateException("a link slot does not hold the next layer");
                }
                checkLayer((Layer) n.vals[slot], extend(prefix, s), counts, last);
            } else {
                if (cls == SUFFIX && (n.sufs[slot] == null || n.sufs[slot].length == 0)) {
                    throw new IllegalStateException("suffix slot without a suffix");
                }
                if (cls != SUFFIX && n.sufs[slot] != null) {
                    throw new IllegalStateException("a key that ends in its slice has a suffix");
                }
                byte[] key = keyOf(prefix, s, cls, n.sufs[slot]);
                if (last[0] != null && Arrays.compareUnsigned((byte[]) last[0], key) >= 0) {
                    throw new IllegalStateException("keys out of order across nodes or layers");
                }
                checkEncoding(key, last);
                last[0] = key;
                counts[3]++;
            }
        }
    }

    // ------------------------------------------------------------------ serialization

    /**
     * Replaces this map by a serialization proxy holding its node width, its key encoder and its
     * entries (decoded keys and values) in key order. The built-in encoders are serializable and
     * read back as their shared instances.
     *
     * @return the serialization proxy that stands for this map in the stream
     * @throws NotSerializableException if the map's encoder is not {@link Serializable}
     */
    private Object writeReplace() throws NotSerializableException {
        KeyEncoder<K> enc = encoder;
        if (enc != null && !(enc instanceof Serializable)) {
            throw new NotSerializableException("MasstreeMap's key encoder " + enc.getClass().getName()
                    + " is not Serializable");
        }
        ArrayList<Object> entries = new ArrayList<>(Math.max(16, 2 * size()));
        for (Map.Entry<K, V> e : entrySet()) {
            entries.add(e.getKey());
            entries.add(e.getValue());
        }
        return new SerializedForm(width, enc, entries.toArray());
    }

    /**
     * Refuses a stream that carries the map itself instead of its serialization proxy.
     *
     * @param in the stream
     * @throws InvalidObjectException always: maps are read back only through the proxy
     */
    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("MasstreeMap is deserialized through its serialization proxy");
    }

    /** The serialized state of a map. */
    private static final class SerializedForm implements Serializable {
        private static final long serialVersionUID = 1L;
        private final int nodeWidth;
        /** The key encoder; null only for a natural-order map that never stored a key. */
        private final KeyEncoder<?> encoder;
        private final Object[] entries;

        SerializedForm(int nodeWidth, KeyEncoder<?> encoder, Object[] entries) {
            this.nodeWidth = nodeWidth;
            this.encoder = encoder;
            this.entries = entries;
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private Object readResolve() throws InvalidObjectException {
            if (nodeWidth < MIN_NODE_WIDTH || nodeWidth > MAX_NODE_WIDTH || entries == null
                    || entries.length % 2 != 0) {
                throw new InvalidObjectException("corrupt MasstreeMap stream: nodeWidth " + nodeWidth + ", "
                        + (entries == null ? "no entries" : entries.length + " entry slots"));
            }
            MasstreeMap map = new MasstreeMap(nodeWidth, encoder);
            for (int i = 0; i < entries.length; i += 2) {
                if (entries[i] == null || entries[i + 1] == null) {
                    throw new InvalidObjectException("corrupt MasstreeMap stream: null key or value");
                }
                map.put(entries[i], entries[i + 1]);
            }
            return map;
        }
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle VERSION;
    private static final VarHandle PARENT;
    private static final VarHandle NEXT;
    private static final VarHandle ROOT_REF;
    private static final VarHandle FEED;
    private static final VarHandle VALS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle KIDS = MethodHandles.arrayElementVarHandle(Node[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            VERSION = l.findVarHandle(Node.class, "version", long.class);
            PARENT = l.findVarHandle(Node.class, "parent", Interior.class);
            NEXT = l.findVarHandle(Border.class, "next", Border.class);
            ROOT_REF = l.findVarHandle(Layer.class, "root", Node.class);
            FEED = l.findVarHandle(MasstreeMap.class, "feed", ChangeFeed.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
