package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties over random shapes and trits, for every layout: the fast path writes the reference's bytes and
 * reads back the reference's trits; pack then unpack gives the trits back with the scale the layout can
 * carry; unpack then pack gives the same bytes; conversion between every pair of layouts keeps the trits; the
 * fused ternarize-and-pack equals ternarize then pack. Each case names its seed.
 */
class LayoutPropertyTest {

    static final List<TernaryLayout> LAYOUTS = List.of(Tq2Layout.FOLD, Tq2Layout.TENSOR_SCALE, Tq1Layout.FOLD,
            Tq1Layout.TENSOR_SCALE, I2sLayout.INSTANCE, Hf2BitLayout.AUTOBITLINEAR, Hf2BitLayout.BITLINEAR);

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 16);
    }

    static int blockBytes(TernaryLayout layout, int cols) {
        return switch (layout) {
            case Tq2Layout l -> Tq2Layout.BLOCK_BYTES;
            case Tq1Layout l -> Tq1Layout.BLOCK_BYTES;
            case I2sLayout l -> I2sLayout.BLOCK_BYTES;
            case Hf2BitLayout l -> cols; // one packed row
        };
    }

    static boolean folded(TernaryLayout layout) {
        return layout instanceof Tq2Layout(ScaleMode m) && m == ScaleMode.FOLD
                || layout instanceof Tq1Layout(ScaleMode m1) && m1 == ScaleMode.FOLD;
    }

    /** What unpacking {@code layout} gives for a tensor of one scale gamma, worked out from the layout's rules. */
    static TritScale expectedScale(TernaryLayout layout, byte[] trits, float gamma) {
        if (folded(layout)) {
            short[] d = new short[trits.length / 256];
            for (int b = 0; b < d.length; b++) {
                boolean nonzero = false;
                for (int e = 0; e < 256; e++) {
                    nonzero |= trits[b * 256 + e] != 0;
                }
                d[b] = nonzero ? Float.floatToFloat16(gamma) : 0;
            }
            return new TritScale.PerBlock(d);
        }
        if (layout instanceof Hf2BitLayout(LinearClass c) && c == LinearClass.BITLINEAR) {
            return new TritScale.PerTensor(1f / (1f / gamma));
        }
        return new TritScale.PerTensor(gamma);
    }

    record Packed(byte[] bytes, Optional<Float> scaleTensor) {
        PackedTensor asInput(TernaryTensor like) {
            return new PackedTensor(like.name(), null, like.rows(), like.cols(), MemorySegment.ofArray(bytes.clone()),
                    scaleTensor);
        }
    }

    static Packed pack(TernaryLayout layout, TernaryTensor t, Implementation impl) {
        MemorySegment dst = MemorySegment.ofArray(new byte[(int) layout.packedSize(t.rows(), t.cols())]);
        dst.fill((byte) 0xA5); // every byte must be written
        Optional<Float> scaleTensor = layout.pack(t, dst, impl);
        assertEquals(layout.hasScaleTensor(), scaleTensor.isPresent(), layout.displayName());
        return new Packed(Bytes.toArray(dst), scaleTensor);
    }

    static int[] shape(SplittableRandom rnd, TernaryLayout layout) {
        int rows = 1 + rnd.nextInt(23);
        int cols = switch (layout) {
            case Tq2Layout l -> 256 * (1 + rnd.nextInt(4));
            case Tq1Layout l -> 256 * (1 + rnd.nextInt(4));
            case I2sLayout l -> 128 * (1 + rnd.nextInt(6));
            case Hf2BitLayout l -> 1 + rnd.nextInt(300);
        };
        return new int[] {rows, cols};
    }

    static float gamma(SplittableRandom rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> 0f;
            case 1 -> 1f;
            default -> (float) Math.pow(10, -5 + 5 * rnd.nextDouble());
        };
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void everyLayoutRoundTripsAndFastEqualsReference(long seed) {
        for (TernaryLayout layout : LAYOUTS) {
            SplittableRandom rnd = new SplittableRandom(seed * 31 + layout.hashCode());
            int[] shape = shape(rnd, layout);
            float gamma = gamma(rnd);
            byte[] trits = TestTensors.trits(rnd, shape[0], shape[1]);
            TernaryTensor t = TernaryTensor.of("w", null, shape[0], shape[1], trits, gamma);
            String where = "seed " + seed + ", " + layout + " " + shape[0] + "x" + shape[1] + ", gamma " + gamma;
            int block = blockBytes(layout, shape[1]);

            Packed reference = pack(layout, t, Implementation.REFERENCE);
            Packed fast = pack(layout, t, Implementation.FAST);
            Bytes.assertBlocksEqual(reference.bytes(), fast.bytes(), block, where + ": fast pack vs reference");
            assertEquals(reference.scaleTensor(), fast.scaleTensor(), where);

            TritScale expected = expectedScale(layout, trits, gamma);
            for (Implementation impl : Implementation.values()) {
                TernaryTensor back = layout.unpack(reference.asInput(t), impl);
                Bytes.assertTritsEqual(trits, back.trits(), shape[1], where + ": unpack " + impl);
                assertEquals(expected, back.scale(), where + ": scale after unpack " + impl);
                Bytes.assertBlocksEqual(reference.bytes(), pack(layout, back, impl).bytes(), block,
                        where + ": unpack then pack " + impl);
                // Into a reused buffer holding another tensor's trits (and a non-trit): every element is written.
                byte[] dirty = new byte[trits.length];
                for (int i = 0; i < dirty.length; i++) {
                    dirty[i] = (byte) (i % 5 == 0 ? 7 : rnd.nextInt(3) - 1);
                }
                TernaryTensor into = layout.unpack(reference.asInput(t), impl, n -> dirty);
                assertSame(dirty, into.trits(), where);
                Bytes.assertTritsEqual(trits, dirty, shape[1], where + ": unpack " + impl + " into a used buffer");
                assertEquals(expected, into.scale(), where + ": scale after unpack into a buffer " + impl);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> layout.unpack(reference.asInput(t), Implementation.FAST, n -> new byte[n + 1]));
            assertTrue(e.getMessage().contains("trit buffer of " + (trits.length + 1)), e.getMessage());
        }
    }

    /** Shapes every layout takes (rows a multiple of 256), with rows that are not a multiple of 4. */
    @ParameterizedTest
    @MethodSource("seeds")
    void conversionBetweenEveryPairKeepsTheTrits(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 1 + rnd.nextInt(13);
        int cols = 256 * (1 + rnd.nextInt(3));
        float gamma = gamma(rnd);
        byte[] trits = TestTensors.trits(rnd, rows, cols);
        TernaryTensor t = TernaryTensor.of("w", null, rows, cols, trits, gamma);
        for (TernaryLayout from : LAYOUTS) {
            Packed source = pack(from, t, Implementation.REFERENCE);
            for (TernaryLayout to : LAYOUTS) {
                String where = "seed " + seed + ", " + from + " -> " + to + ", " + rows + "x" + cols + ", gamma " + gamma;
                Packed[] results = new Packed[2];
                for (Implementation impl : Implementation.values()) {
                    MemorySegment dst = MemorySegment.ofArray(new byte[(int) to.packedSize(rows, cols)]);
                    Optional<Float> scaleTensor = TernaryLayout.convert(from, source.asInput(t), to, dst, impl);
                    results[impl.ordinal()] = new Packed(Bytes.toArray(dst), scaleTensor);
                }
                Bytes.assertBlocksEqual(results[0].bytes(), results[1].bytes(), blockBytes(to, cols), where + ": fast vs reference");
                TernaryTensor back = to.unpack(results[0].asInput(t), Implementation.REFERENCE);
                Bytes.assertTritsEqual(trits, back.trits(), cols, where);
                // The scale that arrives is the source's as carried (fp16 when folded, 1/(1/g) for bitlinear), then
                // as the destination carries it.
                float carried = from.unpack(source.asInput(t), Implementation.REFERENCE).tensorScale();
                assertEquals(expectedScale(to, trits, carried), back.scale(), where + ": scale");
            }
        }
    }

    /** Third-party TQ files may give each block its own d: TQ1_0 and TQ2_0 keep them bit for bit, others refuse. */
    @ParameterizedTest
    @MethodSource("seeds")
    void perBlockScalesSurviveTqToTqAndStopElsewhere(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int rows = 1 + rnd.nextInt(6);
        int cols = 256 * (2 + rnd.nextInt(3));
        byte[] trits = TestTensors.trits(rnd, rows, cols);
        java.util.Arrays.fill(trits, 0, 256, (byte) 1); // blocks 0 and 1 are nonzero, so two different d really differ
        java.util.Arrays.fill(trits, 256, 512, (byte) -1);
        short[] d = new short[rows * cols / 256];
        for (int b = 0; b < d.length; b++) {
            d[b] = (short) (rnd.nextInt(0x7C00) | (rnd.nextBoolean() ? 0x8000 : 0)); // any finite half
        }
        d[1] = (short) (d[0] ^ 1);
        TernaryTensor t = new TernaryTensor("w", TestTensors.FILE, rows, cols, trits, new TritScale.PerBlock(d));
        for (TernaryLayout from : List.of(Tq1Layout.FOLD, Tq2Layout.FOLD)) {
            Packed packed = pack(from, t, Implementation.REFERENCE);
            for (TernaryLayout to : List.of(Tq1Layout.FOLD, Tq2Layout.FOLD)) {
                for (Implementation impl : Implementation.values()) {
                    MemorySegment dst = MemorySegment.ofArray(new byte[(int) to.packedSize(rows, cols)]);
                    TernaryLayout.convert(from, packed.asInput(t), to, dst, impl);
                    TernaryTensor back = to.unpack(PackedTensor.of("w", null, rows, cols, dst), impl);
                    assertEquals(t.scale(), back.scale(), "seed " + seed + " " + from + " -> " + to + " " + impl);
                    Bytes.assertTritsEqual(trits, back.trits(), cols, "seed " + seed);
                }
            }
            for (TernaryLayout to : List.of(I2sLayout.INSTANCE, Hf2BitLayout.AUTOBITLINEAR, Tq2Layout.TENSOR_SCALE)) {
                MemorySegment dst = MemorySegment.ofArray(new byte[(int) to.packedSize(rows, cols)]);
                BadInputException e = assertThrows(BadInputException.class,
                        () -> TernaryLayout.convert(from, packed.asInput(t), to, dst, Implementation.preferred()));
                assertTrue(e.getMessage().contains("block 0 (row 0, columns 0..255) has d = ")
                        && e.getMessage().contains("but block 1 (row 0, columns 256..511) has d = "), e.getMessage());
            }
        }
    }

    /** The fused path equals ternarize then pack, bytes, stats and scale tensor, for latent BF16/F32/F16 data. */
    @ParameterizedTest
    @MethodSource("seeds")
    void fusedTernarizeAndPackEqualsTernarizeThenPack(long seed) {
        for (TernaryLayout layout : LAYOUTS) {
            SplittableRandom rnd = new SplittableRandom(seed * 131 + layout.hashCode());
            int[] shape = shape(rnd, layout);
            if (rnd.nextInt(4) == 0) {
                shape[0] += 150; // several chunks of rows
            }
            DType dtype = List.of(DType.BF16, DType.F32, DType.F16).get(rnd.nextInt(3));
            Tensor w = TestTensors.matrix(dtype, shape[0], shape[1],
                    TestTensors.latent(rnd, shape[0] * shape[1], (float) Math.pow(10, -3 + 2 * rnd.nextDouble())));
            String where = "seed " + seed + ", " + layout + ", " + dtype + " " + shape[0] + "x" + shape[1];
            Ternarization t = AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE);
            Packed expected = pack(layout, t.tensor(), Implementation.REFERENCE);
            for (Implementation impl : Implementation.values()) {
                MemorySegment dst = MemorySegment.ofArray(new byte[(int) layout.packedSize(shape[0], shape[1])]);
                dst.fill((byte) 0xA5);
                PackedTernarization fused = AbsmeanQuantizer.ternarizeAndPack(w, layout, dst, impl);
                Bytes.assertBlocksEqual(expected.bytes(), Bytes.toArray(dst), blockBytes(layout, shape[1]), where + " " + impl);
                assertEquals(t.stats(), fused.stats(), where + " " + impl);
                assertEquals(t.scale(), fused.scale(), where + " " + impl);
                assertEquals(expected.scaleTensor(), fused.scaleTensor(), where + " " + impl);
            }
        }
    }
}
