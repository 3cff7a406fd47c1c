package dev.ternpack.pack;

/**
 * Where a fast packer gets its trits: rows of a {@code rows x cols} ternary matrix, row-major int8, on demand.
 * Packing a {@link TernaryTensor} hands out its own array without copying; the fused ternarize-and-pack fills
 * small buffers by quantizing latent rows as the packer asks for them, so both share the same packing loops.
 *
 * <p>A packer asks for each row exactly once, in any order, at most {@link #maxRows()} at a time, and may hold
 * up to {@value #SLOTS} loaded ranges at once (one per slot: HF 2-bit reads four row slabs side by side).
 */
abstract class RowSource {
    static final int SLOTS = 4;

    final int rows;
    final int cols;

    RowSource(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    /** Most rows one {@link #load} may ask for. */
    abstract int maxRows();

    /** Makes rows {@code [first, first + count)} available in {@link #buffer(int)} of {@code slot}; returns the offset of the first. */
    abstract int load(int slot, int first, int count);

    abstract byte[] buffer(int slot);

    /** The rows of a ternary tensor, in place. */
    static RowSource of(TernaryTensor tensor) {
        return new RowSource(tensor.rows(), tensor.cols()) {
            @Override
            int maxRows() {
                return rows;
            }

            @Override
            int load(int slot, int first, int count) {
                return first * cols;
            }

            @Override
            byte[] buffer(int slot) {
                return tensor.trits();
            }
        };
    }
}
