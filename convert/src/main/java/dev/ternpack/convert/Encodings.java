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
     * Encodes a whole tensor chunk by chunk, so the only full-size buffer is the encoded result (an embedding of
     * 128256 x 2560 never exists as a float array).
     */
    static MemorySegment encode(dev.ternpack.formats.Tensor t, GgmlType type) {
        long n = t.numel();
        long bytes = type.nbytes(t.shape()[t.rank() - 1], n);
        MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(bytes)]);
        float[] buf = new float[(int) Math.min(CHUNK, n)];
        long out = 0;
        for (long from = 0; from < n; from += CHUNK) {
            int count = (int) Math.min(CHUNK, n - from);
            float[] chunk = count == buf.length ? buf : new float[count];
            dev.ternpack.formats.FloatDecoding.decode(t.data(), t.dtype(), from, chunk, 0, count);
            MemorySegment enc = encode(chunk, type);
            MemorySegment.copy(enc, 0, dst, out, enc.byteSize());
            out += enc.byteSize();
        }
        return dst;
    }

    static MemorySegment encode(float[] v, GgmlType type) {
        return switch (type) {
            case F32 -> {
                MemorySegment s = MemorySegment.ofArray(new byte[v.length * 4]);
                for (int i = 0; i < v.length; i++) {
                    s.setAtIndex(F32, i, v[i]);
                }
                yield s;
            }
            case F16 -> {
                MemorySegment s = MemorySegment.ofArray(new byte[v.length * 2]);
                for (int i = 0; i < v.length; i++) {
                    s.setAtIndex(U16, i, Float.floatToFloat16(v[i]));
                }
                yield s;
            }
            case BF16 -> {
                MemorySegment s = MemorySegment.ofArray(new byte[v.length * 2]);
                for (int i = 0; i < v.length; i++) {
                    s.setAtIndex(U16, i, bf16(v[i]));
                }
                yield s;
            }
            case Q8_0 -> q80(v);
            default -> throw new IllegalArgumentException("no encoder for " + type);
        };
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

    private static MemorySegment q80(float[] v) {
        if (v.length % 32 != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of 32 values, not " + v.length);
        }
        int blocks = v.length / 32;
        MemorySegment s = MemorySegment.ofArray(new byte[blocks * 34]);
        for (int b = 0; b < blocks; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(v[b * 32 + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            long off = b * 34L;
            s.set(U16, off, Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                float x = v[b * 32 + j] * id;
                double r = Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
                s.set(ValueLayout.JAVA_BYTE, off + 2 + j, (byte) (int) r);
            }
        }
        return s;
    }
}
