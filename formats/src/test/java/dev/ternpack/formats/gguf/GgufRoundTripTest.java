package dev.ternpack.formats.gguf;

import static dev.ternpack.formats.gguf.ByteAsserts.assertBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every metadata value type and array element type: encoded as the GGUF spec says (expected bytes written by
 * hand), and read back equal and in order; and files that survive a read-then-rewrite unchanged.
 */
class GgufRoundTripTest {
    @TempDir
    Path dir;

    /** One value per type, with its encoding after the key: u32 value_type, then the value, little-endian. */
    static Stream<Arguments> encodings() {
        return Stream.of(
                Arguments.of(GgufValue.u8(200), "00000000 c8"),
                Arguments.of(GgufValue.i8(-2), "01000000 fe"),
                Arguments.of(GgufValue.u16(0xBEEF), "02000000 efbe"),
                Arguments.of(GgufValue.i16(-2), "03000000 feff"),
                Arguments.of(GgufValue.u32(0xDEADBEEFL), "04000000 efbeadde"),
                Arguments.of(GgufValue.i32(-2), "05000000 feffffff"),
                Arguments.of(GgufValue.f32(1.5f), "06000000 0000c03f"),
                Arguments.of(GgufValue.bool(true), "07000000 01"),
                Arguments.of(GgufValue.string("é"), "08000000 0200000000000000 c3a9"),
                Arguments.of(GgufValue.u64(0x8000_0000_0000_0001L), "0a000000 0100000000000080"),
                Arguments.of(GgufValue.i64(-2), "0b000000 feffffffffffffff"),
                Arguments.of(GgufValue.f64(1.5), "0c000000 000000000000f83f"),
                Arguments.of(GgufValue.array(GgufValueType.UINT16, new short[] {1, -1}),
                        "09000000 02000000 0200000000000000 0100 ffff"),
                Arguments.of(GgufValue.strings(List.of("", "ab")),
                        "09000000 08000000 0200000000000000 0000000000000000 0200000000000000 6162"),
                Arguments.of(GgufValue.array(GgufValueType.BOOL, new byte[] {0, 1}),
                        "09000000 07000000 0200000000000000 00 01"),
                Arguments.of(GgufValue.i32s(new int[0]), "09000000 05000000 0000000000000000"));
    }

    @ParameterizedTest
    @MethodSource("encodings")
    void eachValueTypeIsEncodedAsTheSpecSays(GgufValue value, String encoding) throws IOException {
        Path target = dir.resolve("v.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("k", value);
            w.commit();
        }
        byte[] expected = RawGguf.header(3, 0, 1).str("k").hex(encoding).padTo(32).bytes();
        assertBytes(expected, Files.readAllBytes(target), value.typeName());
        try (GgufFile gguf = GgufFile.open(target)) {
            assertEquals(value, gguf.require("k"));
        }
    }

    /** Every scalar type at its edges and every element type, empty arrays of each, in a deliberate order. */
    private static Map<String, GgufValue> everyType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("z.last.first", GgufValue.string("order is call order, not sorted"));
        m.put("u8.max", GgufValue.u8(255));
        m.put("u8.min", GgufValue.u8(0));
        m.put("i8.min", GgufValue.i8(-128));
        m.put("i8.max", GgufValue.i8(127));
        m.put("u16.max", GgufValue.u16(65535));
        m.put("i16.min", GgufValue.i16(-32768));
        m.put("u32.max", GgufValue.u32(0xFFFF_FFFFL));
        m.put("i32.min", GgufValue.i32(Integer.MIN_VALUE));
        m.put("u64.above.2^63", GgufValue.u64(0xFFFF_FFFF_FFFF_FFFEL));
        m.put("i64.min", GgufValue.i64(Long.MIN_VALUE));
        m.put("f32.negzero", GgufValue.f32(-0.0f));
        m.put("f32.nan", GgufValue.f32(Float.NaN));
        m.put("f32.inf", GgufValue.f32(Float.NEGATIVE_INFINITY));
        m.put("f32.subnormal", GgufValue.f32(Float.MIN_VALUE));
        m.put("f64.max", GgufValue.f64(Double.MAX_VALUE));
        m.put("bool.false", GgufValue.bool(false));
        m.put("bool.true", GgufValue.bool(true));
        m.put("str.empty", GgufValue.string(""));
        m.put("str.unicode", GgufValue.string("ü 中 \uD83D\uDE42 \u0000 end"));
        m.put("a.u8", GgufValue.array(GgufValueType.UINT8, new byte[] {0, 1, (byte) 255}));
        m.put("a.i8", GgufValue.array(GgufValueType.INT8, new byte[] {-128, 127}));
        m.put("a.u16", GgufValue.array(GgufValueType.UINT16, new short[] {(short) 65535, 1}));
        m.put("a.i16", GgufValue.array(GgufValueType.INT16, new short[] {Short.MIN_VALUE}));
        m.put("a.u32", GgufValue.u32s(new int[] {-1, 0, 7}));
        m.put("a.i32", GgufValue.i32s(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE}));
        m.put("a.u64", GgufValue.array(GgufValueType.UINT64, new long[] {-1L, 1L << 63}));
        m.put("a.i64", GgufValue.array(GgufValueType.INT64, new long[] {Long.MIN_VALUE, 3}));
        m.put("a.f32", GgufValue.f32s(new float[] {1e-5f, -0.0f, Float.NaN}));
        m.put("a.f64", GgufValue.array(GgufValueType.FLOAT64, new double[] {Math.PI, Double.MIN_VALUE}));
        m.put("a.bool", GgufValue.array(GgufValueType.BOOL, new byte[] {1, 0, 1}));
        m.put("a.str", GgufValue.strings(List.of("", "Ġthe", "<0x0A>", "")));
        for (GgufValueType t : GgufValueType.values()) {
            if (t == GgufValueType.ARRAY) {
                continue;
            }
            Object empty = switch (t) {
                case UINT8, INT8, BOOL -> new byte[0];
                case UINT16, INT16 -> new short[0];
                case UINT32, INT32 -> new int[0];
                case UINT64, INT64 -> new long[0];
                case FLOAT32 -> new float[0];
                case FLOAT64 -> new double[0];
                case STRING -> List.of();
                case ARRAY -> throw new AssertionError();
            };
            m.put("empty." + t, GgufValue.array(t, empty));
        }
        m.put("a.last", GgufValue.u32(1));
        return m;
    }

    @Test
    void everyValueTypeAndElementTypeReadsBackEqualAndInOrder() throws IOException {
        Map<String, GgufValue> values = everyType();
        Path target = dir.resolve("all.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            values.forEach(w::put);
            w.commit();
        }
        try (GgufFile gguf = GgufFile.open(target)) {
            assertEquals(new ArrayList<>(values.keySet()), new ArrayList<>(gguf.metadata().keySet()));
            for (Map.Entry<String, GgufValue> e : values.entrySet()) {
                assertEquals(e.getValue(), gguf.require(e.getKey()), e.getKey());
            }
            assertEquals("18446744073709551614", Long.toUnsignedString(gguf.requireU64("u64.above.2^63")));
            assertEquals(Float.floatToRawIntBits(-0.0f),
                    Float.floatToRawIntBits(gguf.requireF32("f32.negzero")), "the sign of zero survives");
            assertEquals(GgufValueType.STRING, gguf.require("empty.STRING").elementType());
        }
    }

    /** Writes {@code source}'s metadata and tensors, in its order, through the writer. */
    private static void copy(GgufFile source, Path target) throws IOException {
        try (GgufWriter w = GgufWriter.create(target)) {
            source.metadata().forEach(w::put);
            for (GgufTensorInfo t : source.tensors()) {
                assertEquals(t, w.addTensor(t.name(), t.type(), t.ne()));
            }
            for (GgufTensorInfo t : source.tensors()) {
                w.writeTensorData(t.name(), source.data(t));
            }
            w.commit();
        }
    }

    @Test
    void aFileSurvivesReadThenRewriteByteForByte() throws IOException {
        Path first = dir.resolve("first.gguf");
        try (GgufWriter w = GgufWriter.create(first)) {
            everyType().forEach(w::put);
            w.put("general.alignment", GgufValue.u32(128));
            w.addTensor("token_embd.weight", GgmlType.F16, 8, 3);
            w.addTensor("blk.0.attn_q.weight", GgmlType.TQ1_0, 256, 2);
            w.addTensor("blk.0.ffn_up.weight", GgmlType.I2_S, 128, 3);
            w.addTensor("scalar", GgmlType.F32);
            w.addTensor("empty", GgmlType.Q8_0, 0, 2);
            w.addTensor("blk.0.ffn_down.weight", GgmlType.TQ2_0, 512, 1, 1, 2);
            int seed = 0;
            for (GgufTensorInfo t : w.tensors()) {
                byte[] b = new byte[(int) t.nbytes()];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) (seed * 17 + i * 5);
                }
                seed++;
                w.writeTensorData(t.name(), MemorySegment.ofArray(b));
            }
            w.commit();
        }
        Path second = dir.resolve("second.gguf");
        try (GgufFile gguf = GgufFile.open(first)) {
            assertEquals(128, gguf.alignment());
            assertEquals(6, gguf.tensors().size());
            assertArrayEquals(new long[] {2, 1, 1, 512}, gguf.tensor("blk.0.ffn_down.weight").shape());
            copy(gguf, second);
        }
        assertBytes(Files.readAllBytes(first), Files.readAllBytes(second), "rewritten file");
    }

    @Test
    void identicalCallsGiveIdenticalBytes() throws IOException {
        byte[][] files = new byte[2][];
        for (int run = 0; run < 2; run++) {
            Path target = dir.resolve("run" + run + ".gguf");
            try (GgufWriter w = GgufWriter.create(target)) {
                everyType().forEach(w::put);
                w.addTensor("a", GgmlType.F32, 3, 2);
                w.addTensor("b", GgmlType.TQ2_0, 256);
                w.writeTensorData("a", MemorySegment.ofArray(new float[] {1, 2, 3, 4, 5, 6}));
                GgufWriter.TensorSink sink = w.beginTensor("b");
                sink.write(MemorySegment.ofArray(new byte[33]));
                sink.write(MemorySegment.ofArray(new byte[33]));
                sink.finish();
                w.commit();
            }
            files[run] = Files.readAllBytes(target);
        }
        assertBytes(files[0], files[1], "second run");
        try (GgufFile gguf = GgufFile.open(dir.resolve("run1.gguf"))) {
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6},
                    gguf.data(gguf.tensor("a")).toArray(
                            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)));
        }
    }
}
