package dev.ternpack.formats.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One typed GGUF metadata value. llama.cpp checks the stored type exactly ("key has wrong type"), so the
 * type is part of the value, never inferred from the Java type.
 *
 * <p>Representation of {@link #value()}: integer scalars of every width as a {@link Long} holding the raw
 * bits zero- or sign-extended as the type says (UINT64 keeps its 64 bits), FLOAT32 as {@link Float},
 * FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as {@link String}. Arrays: UINT8/INT8/BOOL
 * elements as {@code byte[]}, UINT16/INT16 as {@code short[]}, UINT32/INT32 as {@code int[]}, UINT64/INT64
 * as {@code long[]}, FLOAT32 as {@code float[]}, FLOAT64 as {@code double[]}, STRING as
 * {@code List<String>}. Arrays of arrays are not representable (ggml rejects them).
 *
 * @param elementType the element type of an ARRAY, null otherwise
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if ((type == GgufValueType.ARRAY) != (elementType != null)) {
            throw new IllegalArgumentException("elementType is required for ARRAY and only for ARRAY");
        }
        if (elementType == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("GGUF arrays of arrays are rejected by ggml");
        }
        Class<?> expected = javaType(type, elementType);
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException(type + (elementType == null ? "" : "[" + elementType + "]")
                    + " needs a " + expected.getSimpleName() + ", got " + value.getClass().getSimpleName());
        }
    }

    private static Class<?> javaType(GgufValueType type, GgufValueType elementType) {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> switch (elementType) {
                case UINT8, INT8, BOOL -> byte[].class;
                case UINT16, INT16 -> short[].class;
                case UINT32, INT32 -> int[].class;
                case UINT64, INT64 -> long[].class;
                case FLOAT32 -> float[].class;
                case FLOAT64 -> double[].class;
                case STRING -> List.class;
                case ARRAY -> throw new IllegalArgumentException("nested array");
            };
        };
    }

    public static GgufValue u8(int v) {
        return new GgufValue(GgufValueType.UINT8, null, (long) (v & 0xFF));
    }

    public static GgufValue i8(int v) {
        return new GgufValue(GgufValueType.INT8, null, (long) (byte) v);
    }

    public static GgufValue u16(int v) {
        return new GgufValue(GgufValueType.UINT16, null, (long) (v & 0xFFFF));
    }

    public static GgufValue i16(int v) {
        return new GgufValue(GgufValueType.INT16, null, (long) (short) v);
    }

    public static GgufValue u32(long v) {
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("not a uint32: " + v);
        }
        return new GgufValue(GgufValueType.UINT32, null, v);
    }

    public static GgufValue i32(int v) {
        return new GgufValue(GgufValueType.INT32, null, (long) v);
    }

    public static GgufValue u64(long v) {
        return new GgufValue(GgufValueType.UINT64, null, v);
    }

    public static GgufValue i64(long v) {
        return new GgufValue(GgufValueType.INT64, null, v);
    }

    public static GgufValue f32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, null, v);
    }

    public static GgufValue f64(double v) {
        return new GgufValue(GgufValueType.FLOAT64, null, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, null, v);
    }

    public static GgufValue string(String v) {
        return new GgufValue(GgufValueType.STRING, null, v);
    }

    public static GgufValue strings(List<String> v) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, List.copyOf(v));
    }

    public static GgufValue i32s(int[] v) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, v.clone());
    }

    public static GgufValue u32s(int[] v) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.UINT32, v.clone());
    }

    public static GgufValue f32s(float[] v) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, v.clone());
    }

    /** Any array; {@code elements} must have the Java type documented on the class. */
    public static GgufValue array(GgufValueType elementType, Object elements) {
        return new GgufValue(GgufValueType.ARRAY, elementType, elements);
    }

    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    /** The stored type for messages: {@code UINT32}, or {@code ARRAY[STRING]} for an array. */
    public String typeName() {
        return isArray() ? "ARRAY[" + elementType + "]" : type.name();
    }

    /** Number of elements of an array value, 1 for a scalar. */
    public long length() {
        if (!isArray()) {
            return 1;
        }
        return switch (value) {
            case byte[] a -> a.length;
            case short[] a -> a.length;
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case List<?> l -> l.size();
            default -> throw new IllegalStateException();
        };
    }

    /** An integer scalar as a long (UINT64 values above 2^63 come back negative). */
    public long asLong() {
        if (value instanceof Long l) {
            return l;
        }
        throw new IllegalStateException("not an integer value: " + type);
    }

    public double asDouble() {
        return switch (value) {
            case Float f -> f;
            case Double d -> d;
            case Long l -> l;
            default -> throw new IllegalStateException("not a number: " + type);
        };
    }

    public String asString() {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalStateException("not a string: " + type);
    }

    public boolean asBoolean() {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalStateException("not a bool: " + type);
    }

    @SuppressWarnings("unchecked")
    public List<String> asStrings() {
        if (elementType == GgufValueType.STRING) {
            return (List<String>) value;
        }
        throw new IllegalStateException("not a string array: " + type);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GgufValue other) || type != other.type || elementType != other.elementType) {
            return false;
        }
        return Objects.deepEquals(value, other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
    }

    /** Short human form for {@code inspect}: scalars in full, arrays as {@code [type x N]} plus a preview. */
    @Override
    public String toString() {
        if (!isArray()) {
            return value instanceof String s ? '"' + s + '"' : String.valueOf(value);
        }
        return "[" + elementType.name().toLowerCase(java.util.Locale.ROOT) + " x " + length() + "]";
    }
}
