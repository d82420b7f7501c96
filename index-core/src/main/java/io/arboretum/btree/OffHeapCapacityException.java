package io.arboretum.btree;

/**
 * Thrown when an {@link OffHeapLongBTreeMap} would need more off-heap memory than its configured
 * maximum. The operation that throws it has changed nothing: the tree stays intact and usable.
 */
public final class OffHeapCapacityException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what limit was reached
     */
    public OffHeapCapacityException(String message) {
        super(message);
    }
}
