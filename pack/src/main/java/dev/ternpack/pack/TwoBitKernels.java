package dev.ternpack.pack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fast paths of the three 2-bit layouts (TQ2_0, I2_S, HF 2-bit), which differ only in which four trits share
 * a byte and in which bit pair each goes: every packed byte is {@code code0 << s0 | code1 << s1 | code2 << s2 |
 * code3 << s3} with {@code code = trit + 1}. Both kernels walk {@code count} consecutive bytes, taking trit
 * {@code k} of each of the four operands for byte {@code k}; 32 bytes per vector step, then scalar.
 */
final class TwoBitKernels {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final int STEP = 32;

    private TwoBitKernels() {
    }

    /** Packs trits {@code a_i[o_i + k]} into {@code dst[dstOff + k]}, {@code k < count}. */
    static void pack(byte[] a0, int o0, byte[] a1, int o1, byte[] a2, int o2, byte[] a3, int o3, int count,
            int s0, int s1, int s2, int s3, MemorySegment dst, long dstOff) {
        int k = 0;
        for (; k <= count - STEP; k += STEP) {
            ByteVector c0 = ByteVector.fromArray(B, a0, o0 + k).add((byte) 1).lanewise(VectorOperators.LSHL, s0);
            ByteVector c1 = ByteVector.fromArray(B, a1, o1 + k).add((byte) 1).lanewise(VectorOperators.LSHL, s1);
            ByteVector c2 = ByteVector.fromArray(B, a2, o2 + k).add((byte) 1).lanewise(VectorOperators.LSHL, s2);
            ByteVector c3 = ByteVector.fromArray(B, a3, o3 + k).add((byte) 1).lanewise(VectorOperators.LSHL, s3);
            c0.or(c1).or(c2.or(c3)).intoMemorySegment(dst, dstOff + k, ByteOrder.LITTLE_ENDIAN);
        }
        for (; k < count; k++) {
            int v = (a0[o0 + k] + 1) << s0 | (a1[o1 + k] + 1) << s1 | (a2[o2 + k] + 1) << s2 | (a3[o3 + k] + 1) << s3;
            dst.set(ValueLayout.JAVA_BYTE, dstOff + k, (byte) v);
        }
    }

    /**
     * Unpacks {@code count} bytes of {@code src} from {@code srcOff}: the bit pair at shift {@code s_i} of byte
     * {@code k} becomes trit {@code out_i[o_i + k]}. A null {@code out_i} skips that pair (HF padding rows).
     * Returns false when a pair that is read holds code 3; the output is then partly written and the caller
     * reports the position.
     */
    static boolean unpack(MemorySegment src, long srcOff, int count, int s0, int s1, int s2, int s3,
            byte[] out0, int o0, byte[] out1, int o1, byte[] out2, int o2, byte[] out3, int o3) {
        VectorMask<Byte> bad = B.maskAll(false);
        int k = 0;
        for (; k <= count - STEP; k += STEP) {
            ByteVector v = ByteVector.fromMemorySegment(B, src, srcOff + k, ByteOrder.LITTLE_ENDIAN);
            bad = bad.or(unpackOne(v, s0, out0, o0 + k)).or(unpackOne(v, s1, out1, o1 + k))
                    .or(unpackOne(v, s2, out2, o2 + k)).or(unpackOne(v, s3, out3, o3 + k));
        }
        boolean ok = !bad.anyTrue();
        for (; k < count; k++) {
            int v = src.get(ValueLayout.JAVA_BYTE, srcOff + k) & 0xFF;
            ok &= unpackScalar(v, s0, out0, o0 + k) & unpackScalar(v, s1, out1, o1 + k)
                    & unpackScalar(v, s2, out2, o2 + k) & unpackScalar(v, s3, out3, o3 + k);
        }
        return ok;
    }

    private static VectorMask<Byte> unpackOne(ByteVector v, int shift, byte[] out, int at) {
        if (out == null) {
            return B.maskAll(false);
        }
        ByteVector code = v.lanewise(VectorOperators.LSHR, shift).and((byte) 3);
        code.sub((byte) 1).intoArray(out, at);
        return code.eq((byte) 3);
    }

    private static boolean unpackScalar(int v, int shift, byte[] out, int at) {
        if (out == null) {
            return true;
        }
        int code = (v >>> shift) & 3;
        out[at] = (byte) (code - 1);
        return code != 3;
    }

    /** Index of the first byte of {@code a} outside {-1, 0, 1}, or -1. */
    static int firstNonTrit(byte[] a) {
        int k = 0;
        for (; k <= a.length - STEP; k += STEP) {
            // t + 1 in 0..2 as an unsigned byte exactly for t in {-1, 0, 1}
            if (ByteVector.fromArray(B, a, k).add((byte) 1).compare(VectorOperators.UGT, (byte) 2).anyTrue()) {
                break;
            }
        }
        for (; k < a.length; k++) {
            if (a[k] < -1 || a[k] > 1) {
                return k;
            }
        }
        return -1;
    }

    /** True when any of {@code a[from, from + len)} is nonzero. */
    static boolean anyNonzero(byte[] a, int from, int len) {
        int k = 0;
        ByteVector acc = ByteVector.zero(B);
        for (; k <= len - STEP; k += STEP) {
            acc = acc.or(ByteVector.fromArray(B, a, from + k));
        }
        boolean any = acc.compare(VectorOperators.NE, (byte) 0).anyTrue();
        for (; k < len && !any; k++) {
            any = a[from + k] != 0;
        }
        return any;
    }
}
