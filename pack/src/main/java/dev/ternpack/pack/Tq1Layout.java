package dev.ternpack.pack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Optional;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import java.util.function.IntFunction;

/**
 * ggml {@code TQ1_0} (type 34), FORMATS.md §1.1 and §1.4: 256-element blocks along each row, 54 bytes each,
 * {@code qs[48]}, {@code qh[4]}, then fp16 {@code d}. Five trits per byte in base 3, the first element the most
 * significant digit, scaled onto 0..255 by {@code byte = ceil(v * 256 / 243)} so a digit can be read back with
 * a uint8 multiply and a shift. {@code qs[m]} (m < 32) holds elements m, m+32, m+64, m+96, m+128;
 * {@code qs[32+m]} (m < 16) holds 160+m, 176+m, 192+m, 208+m, 224+m; {@code qh[j]} (j < 4) holds 240+j, 244+j,
 * 248+j, 252+j and a fifth digit 0.
 *
 * @param scaleMode whether gamma is folded into the block scales or carried by a separate {@code .scale} tensor
 */
public record Tq1Layout(ScaleMode scaleMode) implements TernaryLayout {
    public static final int BLOCK_BYTES = 54;
    /** Byte offsets in a block: {@code uint8_t qs[48]}, {@code uint8_t qh[4]}, {@code ggml_fp16_t d}. */
    static final int QH_OFFSET = 48;
    static final int D_OFFSET = 52;
    private static final int QK = TernaryTensor.TQ_BLOCK;
    private static final int[] POW3 = {1, 3, 9, 27, 81};

    public static final Tq1Layout FOLD = new Tq1Layout(ScaleMode.FOLD);
    public static final Tq1Layout TENSOR_SCALE = new Tq1Layout(ScaleMode.TENSOR);

    /** {@code ENCODE[v] = ceil(v * 256 / 243)} for the base-3 value v of five codes. */
    private static final byte[] ENCODE = new byte[243];
    /** {@code DECODE[5 * b + n]} = trit n (0 = most significant) of byte b. */
    private static final byte[] DECODE = new byte[256 * 5];

    static {
        for (int v = 0; v < 243; v++) {
            ENCODE[v] = (byte) scaleToByte(v);
        }
        for (int b = 0; b < 256; b++) {
            for (int n = 0; n < 5; n++) {
                DECODE[5 * b + n] = (byte) (digit(b, n) - 1);
            }
        }
    }

    public Tq1Layout {
        if (scaleMode == null) {
            throw new IllegalArgumentException("null scale mode");
        }
    }

    @Override
    public String displayName() {
        return "TQ1_0";
    }

    @Override
    public void requireShape(String tensor, Path file, long rows, long cols) {
        TqScales.requireRowLength(displayName(), tensor, file, rows, cols);
    }

    @Override
    public long packedSize(long rows, long cols) {
        if (rows <= 0 || cols <= 0 || cols % QK != 0) {
            throw new IllegalArgumentException("TQ1_0 cannot hold a " + rows + "x" + cols + " matrix");
        }
        return Math.multiplyExact(rows, cols / QK * BLOCK_BYTES);
    }

    @Override
    public boolean hasScaleTensor() {
        return scaleMode == ScaleMode.TENSOR;
    }

    /** {@code (v * 256 + 242) / 243}, the integer form of {@code ceil(v * 256 / 243)}. */
    static int scaleToByte(int v) {
        return (v * 256 + 242) / 243;
    }

    /** Digit n (0 = most significant) of a packed byte, by ggml's uint8 arithmetic: {@code ((uint8)(b * 3^n) * 3) >> 8}. */
    static int digit(int b, int n) {
        int q = (b & 0xFF) * POW3[n] & 0xFF;
        return (q * 3) >> 8;
    }

    @Override
    public Optional<Float> pack(TernaryTensor t, MemorySegment dst, Implementation impl) {
        requireShape(t.name(), t.file(), t.rows(), t.cols());
        requireDestination(t.name(), t.rows(), t.cols(), dst);
        TqScales scales = TqScales.forPacking(scaleMode, t.scale(),
                scaleMode == ScaleMode.TENSOR ? t.tensorScale() : 0f, displayName(), t.name(), t.file());
        if (impl == Implementation.REFERENCE) {
            packReference(t.trits(), scales, dst);
        } else {
            packRows(RowSource.of(t), scales, dst);
        }
        return scales.scaleTensor();
    }

    /** FORMATS.md §1.4 spelled out: gather five (or four) codes, base 3 most significant first, scale to a byte. */
    private static void packReference(byte[] trits, TqScales scales, MemorySegment dst) {
        byte[] block = new byte[BLOCK_BYTES];
        for (int b = 0; b < trits.length / QK; b++) {
            int x = b * QK;
            for (int m = 0; m < 32; m++) {
                int v = 0;
                for (int n = 0; n < 5; n++) {
                    v = v * 3 + (trits[x + m + 32 * n] + 1);
                }
                block[m] = (byte) scaleToByte(v);
            }
            for (int m = 0; m < 16; m++) {
                int v = 0;
                for (int n = 0; n < 5; n++) {
                    v = v * 3 + (trits[x + 160 + m + 16 * n] + 1);
                }
                block[32 + m] = (byte) scaleToByte(v);
            }
            for (int j = 0; j < 4; j++) {
                int v = 0;
                for (int n = 0; n < 4; n++) {
                    v = v * 3 + (trits[x + 240 + j + 4 * n] + 1);
                }
                block[QH_OFFSET + j] = (byte) scaleToByte(v * 3);
            }
            boolean nonzero = false;
            for (int e = 0; e < QK; e++) {
                nonzero |= trits[x + e] != 0;
            }
            short d = scales.d(b, nonzero);
            block[D_OFFSET] = (byte) d;
            block[D_OFFSET + 1] = (byte) (d >> 8);
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, (long) b * BLOCK_BYTES, BLOCK_BYTES);
        }
    }

    /**
     * Fast path: the base-3 sums of {@code qs} in short vectors ({@link #encode} for the 243 -> 256 scaling),
     * {@code qh} by table; blocks staged per row chunk and copied out at once.
     */
    void packRows(RowSource src, TqScales scales, MemorySegment dst) {
        int blocksPerRow = src.cols / QK;
        // slack: with 32 lanes, group B's vector store runs 16 bytes past its 16 (into the next block's bytes,
        // which are written after it)
        byte[] staging = new byte[Math.min(src.maxRows(), src.rows) * blocksPerRow * BLOCK_BYTES + 32];
        for (int r0 = 0; r0 < src.rows; ) {
            int count = Math.min(src.maxRows(), src.rows - r0);
            int off = src.load(0, r0, count);
            byte[] a = src.buffer(0);
            int firstBlock = r0 * blocksPerRow;
            int blocks = count * blocksPerRow;
            packBlocksFast(a, off, blocks, staging);
            for (int i = 0; i < blocks; i++) {
                short d = scales.d(firstBlock + i, TwoBitKernels.anyNonzero(a, off + i * QK, QK));
                staging[i * BLOCK_BYTES + D_OFFSET] = (byte) d;
                staging[i * BLOCK_BYTES + D_OFFSET + 1] = (byte) (d >> 8);
            }
            MemorySegment.copy(staging, 0, dst, ValueLayout.JAVA_BYTE, (long) firstBlock * BLOCK_BYTES,
                    blocks * BLOCK_BYTES);
            r0 += count;
        }
    }

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2)));
    private static final int L = S.length();

    /**
     * {@code ceil(v * 256 / 243)} for base-3 values {@code 0 <= v <= 242} in short lanes, without division: it is
     * {@code v + floor(t / 243)} with {@code t = 13v + 242 <= 3388} (as 256 = 243 + 13), and {@code floor(t / 243)}
     * is {@code q = t >> 8} or {@code q + 1} (t/243 - t/256 < 1), the latter when {@code t - 243q >= 243}.
     */
    static ShortVector encode(ShortVector v) {
        ShortVector t = v.mul((short) 13).add((short) 242);
        ShortVector q = t.lanewise(VectorOperators.LSHR, 8);
        ShortVector rest = t.sub(q.mul((short) 243));
        return v.add(q).add(ShortVector.broadcast(S, (short) 1), rest.compare(VectorOperators.GE, (short) 243));
    }

    /** Trits {@code a[x + k]} widened to shorts. */
    private static ShortVector trits(byte[] a, int x) {
        return (ShortVector) ByteVector.fromArray(SB, a, x).convertShape(VectorOperators.B2S, S, 0);
    }

    // The value of five codes is 121 + sum(trit_n * 3^(4-n)), as sum(3^k, k < 5) = 121; four codes shifted up
    // one digit: 3 * (40 + sum(trit_n * 3^(3-n))).
    private static void packBlocksFast(byte[] a, int from, int blocks, byte[] out) {
        for (int i = 0; i < blocks; i++) {
            int x = from + i * QK;
            int o = i * BLOCK_BYTES;
            for (int m = 0; m < 32; m += L) {
                ShortVector v = trits(a, x + m).mul((short) 3).add(trits(a, x + m + 32)).mul((short) 3)
                        .add(trits(a, x + m + 64)).mul((short) 3).add(trits(a, x + m + 96)).mul((short) 3)
                        .add(trits(a, x + m + 128)).add((short) 121);
                encode(v).castShape(SB, 0).reinterpretAsBytes().intoArray(out, o + m);
            }
            // group B: 16 bytes; with 32 lanes the upper 16 are the next digit's and are overwritten later
            for (int m = 0; m < 16; m += Math.min(L, 16)) {
                int y = x + 160 + m;
                ShortVector v = trits(a, y).mul((short) 3).add(trits(a, y + 16)).mul((short) 3)
                        .add(trits(a, y + 32)).mul((short) 3).add(trits(a, y + 48)).mul((short) 3)
                        .add(trits(a, y + 64)).add((short) 121);
                encode(v).castShape(SB, 0).reinterpretAsBytes().intoArray(out, o + 32 + m);
            }
            for (int j = 0; j < 4; j++) {
                int y = x + 240 + j;
                int v = 3 * (40 + 27 * a[y] + 9 * a[y + 4] + 3 * a[y + 8] + a[y + 12]);
                out[o + QH_OFFSET + j] = ENCODE[v];
            }
        }
    }

    @Override
    public TernaryTensor unpack(PackedTensor packed, Implementation impl, IntFunction<byte[]> buffer) {
        requireSource(packed);
        MemorySegment src = packed.data();
        int blocks = packed.rows() * (packed.cols() / QK);
        byte[] trits = tritBuffer(packed, buffer);
        short[] d = new short[blocks];
        byte[] block = new byte[BLOCK_BYTES];
        for (int b = 0; b < blocks; b++) {
            long at = (long) b * BLOCK_BYTES;
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, at, block, 0, BLOCK_BYTES);
            if (impl == Implementation.REFERENCE) {
                unpackBlockReference(block, trits, b * QK);
            } else {
                unpackBlockFast(block, trits, b * QK);
            }
            d[b] = TqScales.readD(src, at + D_OFFSET, b, packed.cols() / QK, displayName(), packed);
        }
        return new TernaryTensor(packed.name(), packed.file(), packed.rows(), packed.cols(), trits,
                TqScales.unpacked(d, trits, displayName(), packed));
    }

    /** FORMATS.md §1.4 decoding: digit n of each byte, n-major, exactly as dequantize_row_tq1_0 orders them. */
    private static void unpackBlockReference(byte[] block, byte[] trits, int x) {
        for (int n = 0; n < 5; n++) {
            for (int m = 0; m < 32; m++) {
                trits[x + 32 * n + m] = (byte) (digit(block[m], n) - 1);
            }
        }
        for (int n = 0; n < 5; n++) {
            for (int m = 0; m < 16; m++) {
                trits[x + 160 + 16 * n + m] = (byte) (digit(block[32 + m], n) - 1);
            }
        }
        for (int n = 0; n < 4; n++) {
            for (int j = 0; j < 4; j++) {
                trits[x + 240 + 4 * n + j] = (byte) (digit(block[QH_OFFSET + j], n) - 1);
            }
        }
    }

    private static void unpackBlockFast(byte[] block, byte[] trits, int x) {
        for (int m = 0; m < 32; m++) {
            int t = 5 * (block[m] & 0xFF);
            trits[x + m] = DECODE[t];
            trits[x + m + 32] = DECODE[t + 1];
            trits[x + m + 64] = DECODE[t + 2];
            trits[x + m + 96] = DECODE[t + 3];
            trits[x + m + 128] = DECODE[t + 4];
        }
        for (int m = 0; m < 16; m++) {
            int t = 5 * (block[32 + m] & 0xFF);
            int y = x + 160 + m;
            trits[y] = DECODE[t];
            trits[y + 16] = DECODE[t + 1];
            trits[y + 32] = DECODE[t + 2];
            trits[y + 48] = DECODE[t + 3];
            trits[y + 64] = DECODE[t + 4];
        }
        for (int j = 0; j < 4; j++) {
            int t = 5 * (block[QH_OFFSET + j] & 0xFF);
            int y = x + 240 + j;
            trits[y] = DECODE[t];
            trits[y + 4] = DECODE[t + 1];
            trits[y + 8] = DECODE[t + 2];
            trits[y + 12] = DECODE[t + 3];
        }
    }
}
