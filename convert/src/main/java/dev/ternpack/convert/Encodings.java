package dev.ternpack.convert;

import dev.ternpack.formats.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Encoders for the high-precision GGUF types ternpack writes (F32, F16, BF16, Q8_0), from floats. Q8_0 follows
 * ggml's {@code quantize_row_q8_0_ref}: per 32 values {@code d = amax/127} stored as fp16, {@code q = roundf(x/d)}
 * (half away from zero).
 */
final class Encodings {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Encodings() {
    }

    /** Values decoded at once when encoding a tensor: a multiple of 32 (one Q8_0 block), 256 KiB of floats. */
    private static final int CHUNK = 1 << 16;

    /**
     * Encodes a whole tensor chunk by chunk into a fresh heap array, so the only full-size buffer is the encoded
     * result (an embedding of 128256 x 2560 never exists as a float array).
     */
    static MemorySegment encode(dev.ternpack.formats.Tensor t, GgmlType type) {
        MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(encodedSize(t, type))]);
        encode(t, type, dst);
        return dst;
    }

    /** The encoded size of {@code t} in {@code type}. */
    static long encodedSize(dev.ternpack.formats.Tensor t, GgmlType type) {
        return type.nbytes(t.shape()[t.rank() - 1], t.numel());
    }

    /**
     * Encodes a whole tensor into {@code dst} (exactly {@link #encodedSize} bytes, every one written), decoding
     * {@link #CHUNK} values at a time and writing each chunk's encoding in place.
     */
    static void encode(dev.ternpack.formats.Tensor t, GgmlType type, MemorySegment dst) {
        long n = t.numel();
        if (dst.byteSize() != encodedSize(t, type)) {
            throw new IllegalArgumentException("destination of " + dst.byteSize() + " bytes for " + t.name() + " in "
                    + type + ", which takes " + encodedSize(t, type));
        }
        float[] buf = new float[(int) Math.min(CHUNK, n)];
        long out = 0;
        for (long from = 0; from < n; from += CHUNK) {
            int count = (int) Math.min(CHUNK, n - from);
            dev.ternpack.formats.FloatDecoding.decode(t.data(), t.dtype(), from, buf, 0, count);
            out = encode(buf, count, type, dst, out);
        }
    }

    static MemorySegment encode(float[] v, GgmlType type) {
        MemorySegment s = MemorySegment.ofArray(new byte[Math.toIntExact(type.nbytes(v.length, v.length))]);
        encode(v, v.length, type, s, 0);
        return s;
    }

    /** Encodes {@code v[0, count)} into {@code dst} at byte {@code at}; returns the byte after the last written. */
    private static long encode(float[] v, int count, GgmlType type, MemorySegment dst, long at) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(F32, at + 4L * i, v[i]);
                }
                return at + 4L * count;
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(U16, at + 2L * i, Float.floatToFloat16(v[i]));
                }
                return at + 2L * count;
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(U16, at + 2L * i, bf16(v[i]));
                }
                return at + 2L * count;
            }
            case Q8_0 -> {
                return q80(v, count, dst, at);
            }
            default -> throw new IllegalArgumentException("no encoder for " + type);
        }
    }

    /** bfloat16 bits, round to nearest even (torch's {@code .to(torch.bfloat16)}); NaN stays a quiet NaN. */
    static short bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    private static long q80(float[] v, int count, MemorySegment s, long at) {
        if (count % 32 != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of 32 values, not " + count);
        }
        int blocks = count / 32;
        for (int b = 0; b < blocks; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(v[b * 32 + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            long off = at + b * 34L;
            s.set(U16, off, Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                float x = v[b * 32 + j] * id;
                double r = Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
                s.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) (int) r);
            }
        }
        return at + blocks * 34L;
    }
}
