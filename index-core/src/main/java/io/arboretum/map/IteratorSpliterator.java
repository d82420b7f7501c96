package io.arboretum.map;

import java.util.Comparator;
import java.util.Iterator;
import java.util.Objects;
import java.util.Spliterator;
import java.util.function.Consumer;

/**
 * A non-splitting, weakly consistent spliterator over one of the views' iterators. It reports
 * an unknown size (the map may change while it runs) and, for sorted sources, the comparator
 * that orders them ({@code null} meaning natural order).
 *
 * @param <T> the type of elements
 */
final class IteratorSpliterator<T> implements Spliterator<T> {

    private final Iterator<T> it;
    private final int characteristics;
    private final Comparator<? super T> comparator;

    IteratorSpliterator(Iterator<T> it, int characteristics, Comparator<? super T> comparator) {
        this.it = it;
        this.characteristics = characteristics;
        this.comparator = comparator;
    }

    @Override
    public boolean tryAdvance(Consumer<? super T> action) {
        Objects.requireNonNull(action, "null action");
        if (!it.hasNext()) {
            return false;
        }
        action.accept(it.next());
        return true;
    }

    @Override
    public void forEachRemaining(Consumer<? super T> action) {
        Objects.requireNonNull(action, "null action");
        while (it.hasNext()) {
            action.accept(it.next());
        }
    }

    @Override
    public Spliterator<T> trySplit() {
        return null;
    }

    @Override
    public long estimateSize() {
        return Long.MAX_VALUE;
    }

    @Override
    public int characteristics() {
        return characteristics;
    }

    @Override
    public Comparator<? super T> getComparator() {
        if ((characteristics & Spliterator.SORTED) == 0) {
            throw new IllegalStateException("not a sorted spliterator");
        }
        return comparator;
    }
}
