package dev.ternpack.pack;

import jdk.incubator.vector.ByteVector;

/**
 * Which code computes a result. Both must give identical bits; the tests hold them to it.
 *
 * <p>{@link #REFERENCE} is plain scalar Java written straight from the spec, one element at a time.
 * {@link #FAST} uses the Vector API and tight loops, at the machine's widest vectors; where the lane count could
 * shape a result (the double sums of the mean pass) the order is fixed independently of it. {@link #preferred()}
 * picks {@link #FAST} unless the system property {@value #VECTOR_PROPERTY} is {@code false} (the switch the verify
 * kernels use too) or the CPU has no 256-bit vectors, where the Vector API would fall back to slow emulation.
 */
public enum Implementation {
    REFERENCE,
    FAST;

    /** {@code -Dternpack.vector=false} turns the Vector API paths off. */
    public static final String VECTOR_PROPERTY = "ternpack.vector";

    private static final Implementation PREFERRED =
            !"false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY))
                    && ByteVector.SPECIES_PREFERRED.vectorBitSize() >= 256 ? FAST : REFERENCE;

    /** The implementation library calls use when the caller does not name one. */
    public static Implementation preferred() {
        return PREFERRED;
    }
}
