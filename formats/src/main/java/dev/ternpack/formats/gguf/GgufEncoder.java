package dev.ternpack.formats.gguf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes the parts of a GGUF header (see {@link GgufFormat} for the layout) into little-endian bytes, refusing
 * values that ggml could not read back as given: integers out of their type's range, BOOL bytes other than 0/1,
 * strings that are not valid Unicode or longer than {@link GgufFormat#MAX_STRING_BYTES}, arrays longer than
 * {@link GgufFormat#MAX_ARRAY_ELEMENTS}. Problems are {@link IllegalArgumentException}s: the caller made them.
 */
final class GgufEncoder {
    private byte[] buffer;
    private int length;

    GgufEncoder(int capacity) {
        buffer = new byte[Math.max(16, capacity)];
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buffer, length);
    }

    int length() {
        return length;
    }

    private void ensure(long more) {
        long needed = length + more;
        if (needed > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("the GGUF header would exceed 2 GiB");
        }
        if (needed > buffer.length) {
            long grown = Math.min(Integer.MAX_VALUE - 16, Math.max(needed, 2L * buffer.length));
            buffer = Arrays.copyOf(buffer, (int) grown);
        }
    }

    GgufEncoder u8(int v) {
        ensure(1);
        buffer[length++] = (byte) v;
        return this;
    }

    GgufEncoder u16(int v) {
        ensure(2);
        buffer[length++] = (byte) v;
        buffer[length++] = (byte) (v >>> 8);
        return this;
    }

    GgufEncoder u32(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buffer[length++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    GgufEncoder u64(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buffer[length++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    GgufEncoder bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buffer, length, b.length);
        length += b.length;
        return this;
    }

    GgufEncoder zeros(long n) {
        ensure(n);
        length += (int) n; // the buffer is zero-filled beyond length
        return this;
    }

    /** gguf_string: u64 byte length, then the UTF-8 bytes. */
    GgufEncoder string(byte[] utf8) {
        return u64(utf8.length).bytes(utf8);
    }

    /** The UTF-8 bytes of {@code s}; refuses unpaired surrogates, which have no UTF-8 form. */
    static byte[] utf8(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " is not valid Unicode: unpaired surrogate at index " + i);
            }
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > GgufFormat.MAX_STRING_BYTES) {
            throw new IllegalArgumentException(what + " is " + bytes.length + " bytes of UTF-8, over ggml's limit of "
                    + GgufFormat.MAX_STRING_BYTES);
        }
        return bytes;
    }

    /** One key-value entry: gguf_string key, u32 value_type, value. */
    static byte[] keyValue(byte[] key, GgufValue value, String what) {
        GgufEncoder out = new GgufEncoder(key.length + 32);
        out.string(key); // gguf_string key
        out.u32(value.type().id()); // u32 value_type
        if (value.isArray()) {
            GgufValueType elementType = value.elementType();
            long count = value.length();
            if (count > GgufFormat.MAX_ARRAY_ELEMENTS) {
                throw new IllegalArgumentException(what + ": " + count + " elements, over ggml's limit of "
                        + GgufFormat.MAX_ARRAY_ELEMENTS);
            }
            out.u32(elementType.id()); // u32 element_type
            out.u64(count); // u64 count
            out.elements(elementType, value.value(), what);
        } else {
            out.scalar(value.type(), value.value(), what);
        }
        return out.toByteArray();
    }

    private void scalar(GgufValueType type, Object value, String what) {
        switch (type) {
            case UINT8 -> u8((int) inRange((Long) value, 0, 0xFF, type, what));
            case INT8 -> u8((int) inRange((Long) value, Byte.MIN_VALUE, Byte.MAX_VALUE, type, what));
            case UINT16 -> u16((int) inRange((Long) value, 0, 0xFFFF, type, what));
            case INT16 -> u16((int) inRange((Long) value, Short.MIN_VALUE, Short.MAX_VALUE, type, what));
            case UINT32 -> u32((int) inRange((Long) value, 0, 0xFFFF_FFFFL, type, what));
            case INT32 -> u32((int) inRange((Long) value, Integer.MIN_VALUE, Integer.MAX_VALUE, type, what));
            case UINT64, INT64 -> u64((Long) value);
            case FLOAT32 -> u32(Float.floatToRawIntBits((Float) value));
            case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) value));
            case BOOL -> u8((Boolean) value ? 1 : 0);
            case STRING -> string(utf8((String) value, what));
            case ARRAY -> throw new IllegalArgumentException("not a scalar type");
        }
    }

    private static long inRange(long v, long min, long max, GgufValueType type, String what) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + ": " + v + " does not fit in " + type + " (" + min + " to " + max
                    + ")");
        }
        return v;
    }

    private void elements(GgufValueType elementType, Object elements, String what) {
        switch (elements) {
            case byte[] a -> {
                if (elementType == GgufValueType.BOOL) {
                    for (int i = 0; i < a.length; i++) {
                        if (a[i] != 0 && a[i] != 1) {
                            throw new IllegalArgumentException(what + ": BOOL element " + i + " is " + a[i]
                                    + ", expected 0 or 1");
                        }
                    }
                }
                bytes(a);
            }
            case short[] a -> {
                ensure(2L * a.length);
                for (short v : a) {
                    u16(v);
                }
            }
            case int[] a -> {
                ensure(4L * a.length);
                for (int v : a) {
                    u32(v);
                }
            }
            case long[] a -> {
                ensure(8L * a.length);
                for (long v : a) {
                    u64(v);
                }
            }
            case float[] a -> {
                ensure(4L * a.length);
                for (float v : a) {
                    u32(Float.floatToRawIntBits(v));
                }
            }
            case double[] a -> {
                ensure(8L * a.length);
                for (double v : a) {
                    u64(Double.doubleToRawLongBits(v));
                }
            }
            case List<?> strings -> {
                for (int i = 0; i < strings.size(); i++) {
                    if (!(strings.get(i) instanceof String s)) {
                        throw new IllegalArgumentException(what + ": STRING element " + i + " is "
                                + (strings.get(i) == null ? "null" : strings.get(i).getClass().getSimpleName()));
                    }
                    string(utf8(s, what + " element " + i));
                }
            }
            default -> throw new IllegalArgumentException(what + ": unexpected array " + elements.getClass());
        }
    }

    /** One tensor info: gguf_string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset. */
    static void tensorInfo(GgufEncoder out, byte[] name, GgufTensorInfo t) {
        out.string(name); // gguf_string name
        long[] ne = t.ne();
        out.u32(ne.length); // u32 n_dims
        for (long d : ne) {
            out.u64(d); // u64 ne[j], ne0 first
        }
        out.u32(t.type().id()); // u32 ggml_type
        out.u64(t.offset()); // u64 offset
    }

    /** Encoded size of {@link #tensorInfo}. */
    static long tensorInfoBytes(byte[] name, int nDims) {
        return 8L + name.length + 4 + 8L * nDims + 4 + 8;
    }
}
