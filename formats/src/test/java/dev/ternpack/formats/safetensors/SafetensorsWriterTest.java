package dev.ternpack.formats.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.passthrough.PassthroughNDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming writer, checked against the safetensors reference implementation's own test vectors, against
 * DJL's independent safetensors decoder, against a plain Gson reading of the header, and through our reader.
 */
class SafetensorsWriterTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    // ---- golden vectors: huggingface/safetensors safetensors/src/tensor.rs unit tests ----

    @Test
    void matchesReferenceVectorWithoutPadding() throws IOException {
        // test_serialization: "attn.0" F32 [1,2,3] = 0..5; the 64-byte header needs no padding.
        byte[] expected = HEX.parseHex("4000000000000000"
                + "7b226174746e2e30223a7b226474797065223a22463332222c227368617065223a5b312c322c335d2c22646174615f6f6666"
                + "73657473223a5b302c32345d7d7d"
                + "000000000000803f0000004000004040000080400000a040");
        byte[] data = RawFiles.f32(0, 1, 2, 3, 4, 5);
        assertBytes(expected, write(List.of(new PlannedTensor("attn.0", DType.F32, new long[] {1, 2, 3})), Map.of(),
                data));
    }

    @Test
    void matchesReferenceVectorWithSpacePadding() throws IOException {
        // test_serialization_forced_alignement: "attn0" [1,1,2,3]: 65 bytes of JSON padded with 7 spaces to 72.
        byte[] expected = HEX.parseHex("4800000000000000"
                + "7b226174746e30223a7b226474797065223a22463332222c227368617065223a5b312c312c322c335d2c22646174615f6f66"
                + "6673657473223a5b302c32345d7d7d20202020202020"
                + "000000000000803f0000004000004040000080400000a040");
        byte[] data = RawFiles.f32(0, 1, 2, 3, 4, 5);
        assertBytes(expected, write(List.of(new PlannedTensor("attn0", DType.F32, new long[] {1, 1, 2, 3})), Map.of(),
                data));
    }

    @Test
    void matchesReferenceVectorsForAnEmptyFile() throws IOException {
        // test_empty: no tensors, no metadata -> "{}" + 6 spaces; with {"framework":"pt"} -> 35 bytes + 5 spaces.
        assertBytes(HEX.parseHex("0800000000000000" + "7b7d" + "202020202020"), write(List.of(), Map.of()));
        assertBytes(HEX.parseHex("2800000000000000"
                + "7b225f5f6d657461646174615f5f223a7b226672616d65776f726b223a227074227d7d" + "2020202020"),
                write(List.of(), Map.of("framework", "pt")));
    }

    // ---- a varied plan read back three independent ways ----

    /** Every dtype, odd byte lengths (so later tensors start unaligned), a scalar and two empty tensors. */
    private static final List<PlannedTensor> VARIED = List.of(
            new PlannedTensor("f64", DType.F64, new long[] {2, 3}),
            new PlannedTensor("f16.odd", DType.F16, new long[] {3}),
            new PlannedTensor("f32", DType.F32, new long[] {5}),
            new PlannedTensor("bf16", DType.BF16, new long[] {1, 7}),
            new PlannedTensor("u8.odd", DType.U8, new long[] {7}),
            new PlannedTensor("i64", DType.I64, new long[] {2}),
            new PlannedTensor("empty", DType.F32, new long[] {0, 4}),
            new PlannedTensor("i32", DType.I32, new long[] {3}),
            new PlannedTensor("scalar", DType.F32, new long[] {}),
            new PlannedTensor("i8", DType.I8, new long[] {5}),
            new PlannedTensor("bool", DType.BOOL, new long[] {3}),
            new PlannedTensor("empty.mid", DType.U8, new long[] {2, 0, 3}),
            new PlannedTensor("i16", DType.I16, new long[] {2, 2}));
    private static final Map<String, String> VARIED_METADATA = Map.of("format", "pt", "producer", "ternpack test");

    /** Deterministic content per tensor, seeded by its name (BOOL gets 0/1, the only values the format allows). */
    private static List<byte[]> dataFor(List<PlannedTensor> plan) {
        List<byte[]> data = new ArrayList<>();
        for (PlannedTensor t : plan) {
            byte[] b = new byte[(int) t.byteSize()];
            new Random(t.name().hashCode()).nextBytes(b);
            if (t.dtype() == DType.BOOL) {
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) (b[i] & 1);
                }
            }
            data.add(b);
        }
        return data;
    }

    /** Writes {@code plan} mixing whole segments, whole buffers and chunked sinks. */
    private static Path writePlan(Path target, List<PlannedTensor> plan) throws IOException {
        List<byte[]> data = dataFor(plan);
        try (SafetensorsWriter w = SafetensorsWriter.create(target, plan, VARIED_METADATA)) {
            for (int i = 0; i < plan.size(); i++) {
                String name = plan.get(i).name();
                byte[] b = data.get(i);
                switch (i % 3) {
                    case 0 -> w.writeTensor(name, MemorySegment.ofArray(b));
                    case 1 -> w.writeTensor(name, ByteBuffer.wrap(b));
                    default -> {
                        SafetensorsWriter.TensorSink sink = w.beginTensor(name);
                        int half = b.length / 2;
                        sink.write(MemorySegment.ofArray(b).asSlice(0, half));
                        sink.write(ByteBuffer.wrap(b, half, b.length - half));
                        sink.finish();
                    }
                }
            }
            w.commit();
        }
        return target;
    }

    @Test
    void djlDecodesWhatTheWriterWrites() throws IOException {
        // DJL's NDList.decode reads safetensors with its own Gson header parsing. It needs an NDManager but no
        // engine: PassthroughNDManager (in ai.djl:api) wraps the bytes. DJL refuses a whole file holding I16
        // ("Unsupported safetensors dataType: I16"), so this plan leaves I16 out;
        // independentlyParsedHeaderDescribesTheData covers it. DJL also reads the whole file into one byte[] with
        // int offsets, so it can only check files under 2 GiB, and its InputStream form consumes the stream.
        Map<DType, DataType> djlType = Map.of(DType.F64, DataType.FLOAT64, DType.F32, DataType.FLOAT32,
                DType.F16, DataType.FLOAT16, DType.BF16, DataType.BFLOAT16, DType.I64, DataType.INT64,
                DType.I32, DataType.INT32, DType.I8, DataType.INT8, DType.U8, DataType.UINT8,
                DType.BOOL, DataType.BOOLEAN);
        List<PlannedTensor> plan = VARIED.stream().filter(t -> t.dtype() != DType.I16).toList();
        assertEquals(DType.values().length - 1, plan.stream().map(PlannedTensor::dtype).distinct().count());
        byte[] file = Files.readAllBytes(writePlan(dir.resolve("varied.safetensors"), plan));
        List<byte[]> data = dataFor(plan);
        NDList decoded = NDList.decode(PassthroughNDManager.INSTANCE, file);
        assertEquals(plan.size(), decoded.size());
        for (int i = 0; i < plan.size(); i++) {
            PlannedTensor t = plan.get(i);
            NDArray a = decoded.get(i);
            assertEquals(t.name(), a.getName(), "DJL keeps header order");
            assertEquals(djlType.get(t.dtype()), a.getDataType(), t.name());
            assertArrayEquals(t.shape(), a.getShape().getShape(), t.name());
            assertBytes(data.get(i), remainingBytes(a.toByteBuffer()), t.name());
        }
    }

    @Test
    void independentlyParsedHeaderDescribesTheData() throws IOException {
        byte[] file = Files.readAllBytes(writePlan(dir.resolve("varied.safetensors"), VARIED));
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "data must start 8-byte aligned");
        String text = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        int close = text.lastIndexOf('}');
        assertTrue(text.substring(close + 1).chars().allMatch(c -> c == ' '), "padding must be spaces: " + text);
        assertTrue(close + 1 > text.length() - 8, "no more padding than needed");
        JsonObject header = JsonParser.parseString(text).getAsJsonObject();

        List<String> keys = new ArrayList<>(header.keySet());
        List<String> expectedKeys = new ArrayList<>(List.of("__metadata__"));
        VARIED.forEach(t -> expectedKeys.add(t.name()));
        assertEquals(expectedKeys, keys, "__metadata__ first, then plan order");
        assertEquals("{\"format\":\"pt\",\"producer\":\"ternpack test\"}", header.get("__metadata__").toString());

        List<byte[]> data = dataFor(VARIED);
        long offset = 0;
        for (int i = 0; i < VARIED.size(); i++) {
            PlannedTensor t = VARIED.get(i);
            JsonObject e = header.getAsJsonObject(t.name());
            assertEquals(t.dtype().safetensorsName(), e.get("dtype").getAsString());
            JsonArray shape = e.getAsJsonArray("shape");
            long[] dims = new long[shape.size()];
            for (int d = 0; d < dims.length; d++) {
                dims[d] = shape.get(d).getAsLong();
            }
            assertArrayEquals(t.shape(), dims, t.name());
            JsonArray offsets = e.getAsJsonArray("data_offsets");
            assertEquals(offset, offsets.get(0).getAsLong(), t.name() + " must follow the previous tensor");
            long end = offsets.get(1).getAsLong();
            byte[] stored = Arrays.copyOfRange(file, (int) (8 + n + offset), (int) (8 + n + end));
            assertBytes(data.get(i), stored, t.name());
            offset = end;
        }
        assertEquals(file.length, 8 + n + offset, "file ends with the last tensor");
    }

    @Test
    void ourReaderReadsWhatTheWriterWrites() throws IOException {
        List<byte[]> data = dataFor(VARIED);
        try (SafetensorsFile st = SafetensorsFile.open(writePlan(dir.resolve("varied.safetensors"), VARIED))) {
            assertEquals(VARIED.stream().map(PlannedTensor::name).toList(), st.names());
            assertEquals(VARIED_METADATA, st.metadata());
            assertEquals(0, st.header().unclaimedBytes());
            for (int i = 0; i < VARIED.size(); i++) {
                Tensor t = st.tensor(VARIED.get(i).name());
                assertEquals(VARIED.get(i).dtype(), t.dtype());
                assertArrayEquals(VARIED.get(i).shape(), t.shape());
                assertBytes(data.get(i), t.data().toArray(ValueLayout.JAVA_BYTE), t.name());
            }
        }
    }

    @Test
    void namesAreEscapedAsTheReferenceWriterDoes() throws IOException {
        // serde_json escapes only quote, backslash and control characters (newline as backslash-n, the others as
        // six-character escapes with lowercase hex), and writes every other character as UTF-8.
        String name = "q\"b\\n\nc\u0001 é 中";
        Path f = dir.resolve("esc.safetensors");
        write(f, List.of(new PlannedTensor(name, DType.U8, new long[] {1})), Map.of(), new byte[] {9});
        byte[] file = Files.readAllBytes(f);
        String text = new String(file, 8, file.length - 9, StandardCharsets.UTF_8).stripTrailing();
        assertEquals("{\"q\\\"b\\\\n\\nc\\u0001 é 中\":"
                + "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", text);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(List.of(name), st.names());
        }
        assertEquals(name, NDList.decode(PassthroughNDManager.INSTANCE, file).get(0).getName());
    }

    @Test
    void outputIsByteIdenticalForIdenticalInput() throws IOException {
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("a", "1");
        forward.put("b", "2");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("b", "2");
        backward.put("a", "1");
        List<PlannedTensor> plan = List.of(new PlannedTensor("t", DType.F32, new long[] {2}));
        byte[] first = write(dir.resolve("1.safetensors"), plan, forward, RawFiles.f32(1, 2));
        byte[] second = write(dir.resolve("2.safetensors"), plan, backward, RawFiles.f32(1, 2));
        assertBytes(first, second);
    }

    @Test
    void heapSegmentsOfNonByteArraysAreWritten() throws IOException {
        // A float[] segment has no ByteBuffer view; the writer copies it through a staging buffer. 300,000 floats
        // span several staging rounds.
        float[] values = new float[300_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 7;
        }
        MemorySegment source = MemorySegment.ofArray(values);
        Path f = dir.resolve("floats.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(f,
                List.of(new PlannedTensor("w", DType.F32, new long[] {values.length})), Map.of())) {
            w.writeTensor("w", source);
            w.commit();
        }
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertBytes(source.toArray(ValueLayout.JAVA_BYTE), st.tensor("w").data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    // ---- order, lengths and failure ----

    private static final List<PlannedTensor> AB = List.of(new PlannedTensor("a", DType.U8, new long[] {4}),
            new PlannedTensor("b", DType.I16, new long[] {3}));

    @Test
    void outOfOrderWritesAreRefusedAndTheWriterStaysUsable() throws IOException {
        Path target = dir.resolve("ab.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(target, AB, Map.of())) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> w.writeTensor("b", MemorySegment.ofArray(new byte[6])));
            assertTrue(e.getMessage().contains("expected a (#0), got b"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> w.beginTensor("zzz"));
            w.writeTensor("a", MemorySegment.ofArray(new byte[] {1, 2, 3, 4}));
            assertThrows(IllegalStateException.class, () -> w.writeTensor("a", MemorySegment.ofArray(new byte[4])));
            w.writeTensor("b", MemorySegment.ofArray(new byte[6]));
            assertThrows(IllegalStateException.class, () -> w.writeTensor("c", MemorySegment.ofArray(new byte[1])));
            w.commit();
        }
        try (SafetensorsFile st = SafetensorsFile.open(target)) {
            assertEquals(List.of("a", "b"), st.names());
        }
    }

    @Test
    void wrongLengthsAreRefusedBeforeWriting() throws IOException {
        Path target = dir.resolve("ab.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(target, AB, Map.of())) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> w.writeTensor("a", MemorySegment.ofArray(new byte[5])));
            assertTrue(e.getMessage().contains("a needs 4 bytes, got 5"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> w.writeTensor("a", ByteBuffer.allocate(3)));
            assertThrows(IllegalStateException.class, w::commit, "commit before all tensors are written");

            SafetensorsWriter.TensorSink sink = w.beginTensor("a");
            sink.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertThrows(IllegalStateException.class, () -> sink.write(MemorySegment.ofArray(new byte[2])),
                    "more than planned");
            assertThrows(IllegalStateException.class, sink::finish, "fewer than planned");
            assertThrows(IllegalStateException.class, () -> w.writeTensor("b", ByteBuffer.allocate(6)),
                    "another tensor while a sink is open");
            assertThrows(IllegalStateException.class, w::commit, "commit while a sink is open");
            sink.write(ByteBuffer.wrap(new byte[] {4}));
            assertEquals(0, sink.remaining());
            sink.finish();
            assertThrows(IllegalStateException.class, () -> sink.write(ByteBuffer.allocate(0)), "a finished sink");
            w.writeTensor("b", ByteBuffer.wrap(new byte[6]));
            w.commit();
        }
        try (SafetensorsFile st = SafetensorsFile.open(target)) {
            assertBytes(new byte[] {1, 2, 3, 4}, st.tensor("a").data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void abandonedWriteLeavesNothingBehind() throws IOException {
        Path target = dir.resolve("out.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(target, AB, Map.of())) {
            w.writeTensor("a", MemorySegment.ofArray(new byte[4]));
            List<String> during = listDir();
            assertEquals(1, during.size(), "only the temp file exists while writing: " + during);
            assertTrue(during.get(0).startsWith(".out.safetensors.") && during.get(0).endsWith(".tmp"), during.get(0));
            // no commit: the caller gives up (an exception in a real converter)
        }
        assertEquals(List.of(), listDir());
    }

    @Test
    void failingSourceMidTensorLeavesNothingAtTheTarget() throws IOException {
        Path target = dir.resolve("out.safetensors");
        Files.writeString(target, "previous file");
        Arena arena = Arena.ofConfined();
        MemorySegment source = arena.allocate(6);
        arena.close(); // reading the source now fails, as a closed input mapping would
        try (SafetensorsWriter w = SafetensorsWriter.create(target, AB, Map.of())) {
            w.writeTensor("a", MemorySegment.ofArray(new byte[4]));
            SafetensorsWriter.TensorSink sink = w.beginTensor("b");
            assertThrows(IllegalStateException.class, () -> sink.write(source));
            IllegalStateException e = assertThrows(IllegalStateException.class, w::commit);
            assertTrue(e.getMessage().contains("failed"), e.getMessage());
        }
        assertEquals("previous file", Files.readString(target), "the old target is untouched");
        assertEquals(List.of("out.safetensors"), listDir());
    }

    @Test
    void commitReplacesAnExistingTarget() throws IOException {
        Path target = dir.resolve("out.safetensors");
        Files.writeString(target, "previous file");
        write(target, List.of(), Map.of());
        assertBytes(HEX.parseHex("08000000000000007b7d202020202020"), Files.readAllBytes(target));
        assertEquals(List.of("out.safetensors"), listDir());
    }

    @Test
    void badPlansAreRefused() {
        Path target = dir.resolve("x.safetensors");
        PlannedTensor a = new PlannedTensor("a", DType.U8, new long[] {1});
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.create(target, List.of(a, a), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new PlannedTensor("__metadata__", DType.U8, new long[0]));
        assertThrows(IllegalArgumentException.class, () -> new PlannedTensor("", DType.U8, new long[0]));
        assertThrows(IllegalArgumentException.class, () -> new PlannedTensor("n", DType.U8, new long[] {2, -1}));
        assertThrows(IllegalArgumentException.class,
                () -> new PlannedTensor("big", DType.F64, new long[] {1L << 62, 4}));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.create(target,
                List.of(new PlannedTensor("bad\uD800", DType.U8, new long[] {1})), Map.of()));
        assertFalse(Files.exists(target));
    }

    // ---- a metadata value replaced after the data; rows mapped on their own ----

    @Test
    void aMetadataValueReplacedAfterTheDataIsInTheCommittedHeader() throws IOException {
        Path target = dir.resolve("r.safetensors");
        // 3 MiB of heap data, over the writer's 1 MiB staging buffer, then a second tensor reusing it.
        PlannedTensor big = new PlannedTensor("big", DType.BF16, new long[] {768, 2048});
        PlannedTensor small = new PlannedTensor("small", DType.U8, new long[] {(1 << 20) + 3});
        List<byte[]> data = dataFor(List.of(big, small));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("digest", "0".repeat(64));
        meta.put("format", "pt");
        try (SafetensorsWriter w = SafetensorsWriter.create(target, List.of(big, small), meta)) {
            w.writeTensor("big", MemorySegment.ofArray(data.get(0)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> w.replaceMetadata("digest", "0".repeat(80)));
            assertTrue(e.getMessage().contains("must keep the size"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> w.replaceMetadata("absent", "x"));
            w.writeTensor("small", MemorySegment.ofArray(data.get(1)));
            w.replaceMetadata("digest", "e".repeat(64));
            w.commit();
        }
        try (SafetensorsFile st = SafetensorsFile.open(target)) {
            assertEquals(Map.of("digest", "e".repeat(64), "format", "pt"), st.metadata());
            assertArrayEquals(data.get(0), st.tensor("big").data().toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(data.get(1), st.tensor("small").data().toArray(ValueLayout.JAVA_BYTE));

            // Rows mapped on their own equal the same rows of the whole-file mapping, at any start and length.
            Tensor whole = st.tensor("big");
            long rowBytes = 2048 * 2;
            for (long[] r : new long[][] {{0, 768}, {0, 1}, {767, 1}, {5, 300}, {300, 0}}) {
                try (Arena arena = Arena.ofConfined()) {
                    Tensor part = st.rows("big", r[0], r[1], arena);
                    assertArrayEquals(new long[] {r[1], 2048}, part.shape());
                    assertArrayEquals(whole.data().asSlice(r[0] * rowBytes, r[1] * rowBytes)
                            .toArray(ValueLayout.JAVA_BYTE), part.data().toArray(ValueLayout.JAVA_BYTE));
                }
            }
            try (Arena arena = Arena.ofConfined()) {
                assertArrayEquals(data.get(1), st.tensor("small", arena).data().toArray(ValueLayout.JAVA_BYTE));
                assertThrows(IndexOutOfBoundsException.class, () -> st.rows("big", 700, 69, arena));
                assertThrows(IndexOutOfBoundsException.class, () -> st.rows("big", -1, 1, arena));
            }
        }
    }

    // ---- helpers ----

    private byte[] write(List<PlannedTensor> plan, Map<String, String> metadata, byte[]... data) throws IOException {
        return write(dir.resolve("w.safetensors"), plan, metadata, data);
    }

    private static byte[] write(Path target, List<PlannedTensor> plan, Map<String, String> metadata, byte[]... data)
            throws IOException {
        try (SafetensorsWriter w = SafetensorsWriter.create(target, plan, metadata)) {
            for (int i = 0; i < plan.size(); i++) {
                w.writeTensor(plan.get(i).name(), MemorySegment.ofArray(data[i]));
            }
            w.commit();
        }
        return Files.readAllBytes(target);
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static byte[] remainingBytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    static void assertBytes(byte[] expected, byte[] actual) {
        assertBytes(expected, actual, "bytes");
    }

    /** Reports the first differing byte and the lengths instead of a bare "arrays differ". */
    static void assertBytes(byte[] expected, byte[] actual, String what) {
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) {
            if (expected[i] != actual[i]) {
                fail(String.format("%s: first difference at byte %d: expected 0x%02X, got 0x%02X (lengths %d, %d)",
                        what, i, expected[i] & 0xFF, actual[i] & 0xFF, expected.length, actual.length));
            }
        }
        if (expected.length != actual.length) {
            fail(what + ": same first " + n + " bytes but lengths differ: expected " + expected.length + ", got "
                    + actual.length);
        }
    }

    // ---- sealing: the final bytes readable while the commit runs ----

    @Test
    void aSealedFileReadsAsTheCommittedOneAndAcceptsOnlyCommitOrClose() throws IOException {
        Path target = dir.resolve("s.safetensors");
        PlannedTensor t = new PlannedTensor("t", DType.U8, new long[] {40});
        byte[] data = dataFor(List.of(t)).get(0);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("digest", "0".repeat(64));
        byte[] sealed;
        try (SafetensorsWriter w = SafetensorsWriter.create(target, List.of(t), meta)) {
            IllegalStateException early = assertThrows(IllegalStateException.class, w::seal);
            assertTrue(early.getMessage().contains("1 tensor(s) not written"), early.getMessage());
            w.writeTensor("t", MemorySegment.ofArray(data));
            w.replaceMetadata("digest", "e".repeat(64));
            try (java.nio.channels.FileChannel ch = w.seal()) {
                for (Runnable refused : List.<Runnable>of(() -> w.replaceMetadata("digest", "f".repeat(64)),
                        () -> {
                            try {
                                w.seal();
                            } catch (IOException e) {
                                fail(e);
                            }
                        })) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, refused::run);
                    assertTrue(e.getMessage().contains("sealed"), e.getMessage());
                }
                w.commit();
                // Read after the rename: the channel still reads the same file.
                sealed = Channels.newInputStream(ch).readAllBytes();
            }
        }
        assertArrayEquals(Files.readAllBytes(target), sealed, "the sealed content is the committed file");
        try (SafetensorsFile st = SafetensorsFile.open(target)) {
            assertEquals(Map.of("digest", "e".repeat(64)), st.metadata());
        }
    }

    @Test
    void aSealedFileClosedWithoutCommitLeavesNothing() throws IOException {
        PlannedTensor t = new PlannedTensor("t", DType.U8, new long[] {4});
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("n.safetensors"), List.of(t), Map.of())) {
            w.writeTensor("t", MemorySegment.ofArray(new byte[4]));
            w.seal().close();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
    }
}
