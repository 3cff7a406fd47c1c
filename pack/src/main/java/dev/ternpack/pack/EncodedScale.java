package dev.ternpack.pack;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A scale value encoded as a one-element tensor of a floating-point dtype (HF {@code weight_scale} in the model
 * dtype, TQ {@code .scale} in F32), with the value it reads back as and whether that is the value asked for.
 *
 * @param bytes    the element, little-endian as safetensors and GGUF store it (copied in and out)
 * @param decoded  what a reader gets back
 * @param exact    true when {@code decoded} equals the requested value bit for bit
 */
public record EncodedScale(DType dtype, byte[] bytes, float decoded, boolean exact) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public EncodedScale {
        if (!dtype.isFloatingPoint() || bytes.length != dtype.byteSize()) {
            throw new IllegalArgumentException(bytes.length + " bytes for one " + dtype + " element");
        }
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * Encodes {@code value} in {@code dtype} with round-to-nearest-even (what torch's {@code .to(dtype)} does):
     * BF16 keeps the upper 16 bits of the float after rounding, F16 uses {@link Float#floatToFloat16}, F32 and
     * F64 are exact.
     */
    public static EncodedScale encode(float value, DType dtype) {
        MemorySegment seg = MemorySegment.ofArray(new byte[dtype.byteSize()]);
        switch (dtype) {
            case F32 -> seg.set(F32, 0, value);
            case F64 -> seg.set(F64, 0, value);
            case F16 -> seg.set(U16, 0, Float.floatToFloat16(value));
            case BF16 -> seg.set(U16, 0, floatToBf16(value));
            default -> throw new IllegalArgumentException("a scale needs a floating-point dtype, not " + dtype);
        }
        float decoded = FloatDecoding.get(seg, dtype, 0);
        boolean exact = Float.floatToRawIntBits(decoded) == Float.floatToRawIntBits(value);
        return new EncodedScale(dtype, seg.toArray(ValueLayout.JAVA_BYTE), decoded, exact);
    }

    /** bfloat16 bits of a float, rounded to nearest even; NaN stays a (quiet) NaN. */
    static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedScale e && dtype == e.dtype && Arrays.equals(bytes, e.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * dtype.hashCode() + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "EncodedScale[" + dtype + " " + decoded + (exact ? ", exact" : ", rounded") + "]";
    }
}
