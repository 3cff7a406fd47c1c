package dev.ternpack.formats.gguf;

import static dev.ternpack.formats.gguf.ByteAsserts.assertBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The writer's state machine, lengths, layout, argument checks and failure behaviour. */
class GgufWriterTest {
    @TempDir
    Path dir;

    private static MemorySegment bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + 31 * i);
        }
        return MemorySegment.ofArray(b);
    }

    private static void refused(Class<? extends Throwable> type, String phrase, Executable call) {
        Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(phrase), "expected \"" + phrase + "\" in: " + e.getMessage());
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ---- order ----

    @Test
    void callsOutOfOrderAreRefusedAndTheWriterStaysUsable() throws IOException {
        Path target = dir.resolve("w.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            refused(IllegalStateException.class, "no tensor has been added",
                    () -> w.writeTensorData("a", bytes(4, 0)));
            w.put("k", GgufValue.u32(1));
            w.addTensor("a", GgmlType.F32, 1);
            refused(IllegalStateException.class, "metadata must come before the tensor infos",
                    () -> w.put("late", GgufValue.u32(2)));
            w.addTensor("b", GgmlType.F32, 2);
            refused(IllegalStateException.class, "expected \"a\" (#0), got \"b\"",
                    () -> w.writeTensorData("b", bytes(8, 0)));
            refused(IllegalStateException.class, "expected \"a\"", () -> w.beginTensor("zzz"));
            refused(IllegalStateException.class, "not written, next is \"a\"", w::commit);

            w.writeTensorData("a", bytes(4, 1));
            refused(IllegalStateException.class, "tensor infos must come before tensor data",
                    () -> w.addTensor("c", GgmlType.F32, 1));
            refused(IllegalStateException.class, "metadata must come before", () -> w.put("x", GgufValue.u32(1)));
            refused(IllegalStateException.class, "expected \"b\" (#1), got \"a\"",
                    () -> w.writeTensorData("a", bytes(4, 1)));

            GgufWriter.TensorSink sink = w.beginTensor("b");
            refused(IllegalStateException.class, "the data of tensor \"b\" is not finished", w::commit);
            refused(IllegalStateException.class, "not finished", () -> w.writeTensorData("b", bytes(8, 0)));
            refused(IllegalStateException.class, "not finished", () -> w.beginTensor("b"));
            sink.write(bytes(8, 2));
            sink.finish();
            refused(IllegalStateException.class, "no longer open", () -> sink.write(bytes(0, 0)));
            refused(IllegalStateException.class, "the data of all 2 tensors is written",
                    () -> w.writeTensorData("c", bytes(4, 0)));
            assertNull(w.nextTensor());
            w.commit();
            refused(IllegalStateException.class, "already committed", w::commit);
            refused(IllegalStateException.class, "already committed", () -> w.put("y", GgufValue.u32(1)));
            refused(IllegalStateException.class, "already committed", () -> w.addTensor("d", GgmlType.F32, 1));
        }
        try (GgufFile gguf = GgufFile.open(target)) {
            assertEquals(List.of("a", "b"), gguf.tensors().stream().map(GgufTensorInfo::name).toList());
        }
    }

    @Test
    void aClosedWriterRefusesEverything() throws IOException {
        GgufWriter w = GgufWriter.create(dir.resolve("w.gguf"));
        w.close();
        w.close();
        refused(IllegalStateException.class, "the writer is closed", () -> w.put("k", GgufValue.u32(1)));
        refused(IllegalStateException.class, "the writer is closed", () -> w.addTensor("a", GgmlType.F32, 1));
        refused(IllegalStateException.class, "the writer is closed", w::commit);
    }

    // ---- lengths ----

    @Test
    void wrongDataLengthsAreRefusedBeforeAnythingIsWritten() throws IOException {
        Path target = dir.resolve("w.gguf");
        MemorySegment a = bytes(12, 5);
        try (GgufWriter w = GgufWriter.create(target)) {
            w.addTensor("a", GgmlType.F32, 3);
            w.addTensor("b", GgmlType.TQ2_0, 256);
            refused(IllegalStateException.class, "tensor \"a\" needs 12 bytes, got 13",
                    () -> w.writeTensorData("a", bytes(13, 0)));
            refused(IllegalStateException.class, "needs 12 bytes, got 11", () -> w.writeTensorData("a", bytes(11, 0)));
            w.writeTensorData("a", a);

            GgufWriter.TensorSink sink = w.beginTensor("b");
            assertEquals(66, sink.remaining());
            sink.write(bytes(60, 9).asSlice(0, 40));
            refused(IllegalStateException.class, "40 written, 30 more would exceed it", () -> sink.write(bytes(30, 0)));
            refused(IllegalStateException.class, "needs 66 bytes, only 40 written", sink::finish);
            sink.write(bytes(60, 9).asSlice(40, 20));
            sink.write(bytes(6, 3));
            assertEquals(0, sink.remaining());
            sink.finish();
            w.commit();
        }
        try (GgufFile gguf = GgufFile.open(target)) {
            assertBytes(a.toArray(ValueLayout.JAVA_BYTE), gguf.data(gguf.tensor("a")).toArray(ValueLayout.JAVA_BYTE),
                    "a");
            byte[] b = gguf.data(gguf.tensor("b")).toArray(ValueLayout.JAVA_BYTE);
            byte[] expected = new byte[66];
            System.arraycopy(bytes(60, 9).toArray(ValueLayout.JAVA_BYTE), 0, expected, 0, 60);
            System.arraycopy(bytes(6, 3).toArray(ValueLayout.JAVA_BYTE), 0, expected, 60, 6);
            assertBytes(expected, b, "b, written in three pieces");
        }
    }

    // ---- failure ----

    @Test
    void anAbandonedWriteLeavesNothingBehind() throws IOException {
        Path target = dir.resolve("out.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.addTensor("a", GgmlType.F32, 1);
            w.addTensor("b", GgmlType.F32, 1);
            w.writeTensorData("a", bytes(4, 0));
            List<String> during = listDir();
            assertEquals(1, during.size(), "only the temp file exists while writing: " + during);
            assertTrue(during.get(0).startsWith(".out.gguf.") && during.get(0).endsWith(".tmp"), during.get(0));
            // no commit: the caller gives up (an exception in a real converter)
        }
        assertEquals(List.of(), listDir());
    }

    @Test
    void aFailingSourceLeavesTheOldTargetUntouched() throws IOException {
        Path target = dir.resolve("out.gguf");
        Files.writeString(target, "previous file");
        Arena arena = Arena.ofConfined();
        MemorySegment source = arena.allocate(8);
        arena.close(); // reading the source now fails, as a closed input mapping would
        try (GgufWriter w = GgufWriter.create(target)) {
            w.addTensor("a", GgmlType.F32, 2);
            GgufWriter.TensorSink sink = w.beginTensor("a");
            assertThrows(IllegalStateException.class, () -> sink.write(source));
            refused(IllegalStateException.class, "an earlier write failed", w::commit);
            refused(IllegalStateException.class, "an earlier write failed", () -> w.writeTensorData("a", bytes(8, 0)));
        }
        assertEquals("previous file", Files.readString(target));
        assertEquals(List.of("out.gguf"), listDir());
    }

    @Test
    void commitReplacesAnExistingTarget() throws IOException {
        Path target = dir.resolve("out.gguf");
        Files.writeString(target, "previous file");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.commit();
        }
        try (GgufFile gguf = GgufFile.open(target)) {
            assertEquals(0, gguf.metadata().size());
        }
        assertEquals(List.of("out.gguf"), listDir());
    }

    // ---- layout ----

    @Test
    void offsetsAreSequentialAndEveryTensorIsPaddedWithZeros() throws IOException {
        // nbytes: F32[3] 12 -> 32; TQ2_0[256] 66 -> 96; I2_S[128,2] 256/4 + 32 = 96 -> 96; F16[5] 10 -> 32.
        long[] expectedOffsets = {0, 32, 128, 224};
        long[] expectedNbytes = {12, 66, 96, 10};
        Path target = dir.resolve("w.gguf");
        long planned;
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("general.architecture", GgufValue.string("bitnet-25"));
            w.addTensor("f32", GgmlType.F32, 3);
            w.addTensor("tq2", GgmlType.TQ2_0, 256);
            w.addTensor("i2s", GgmlType.I2_S, 128, 2);
            w.addTensor("f16", GgmlType.F16, 5);
            for (int i = 0; i < 4; i++) {
                GgufTensorInfo t = w.tensors().get(i);
                assertEquals(expectedOffsets[i], t.offset(), t.name());
                assertEquals(expectedNbytes[i], t.nbytes(), t.name());
            }
            planned = w.plannedFileSize();
            assertEquals(w.dataStart() + 256, planned);
            for (GgufTensorInfo t : w.tensors()) {
                w.writeTensorData(t.name(), bytes((int) t.nbytes(), 0x77));
            }
            assertEquals(planned, w.plannedFileSize());
            w.commit();
        }
        byte[] file = Files.readAllBytes(target);
        assertEquals(planned, file.length);
        try (GgufFile gguf = GgufFile.open(target)) {
            assertTrue(gguf.sequentialLayout());
            assertEquals(0, gguf.dataStart() % 32);
            for (int i = 0; i < 4; i++) {
                long start = gguf.dataStart() + expectedOffsets[i] + expectedNbytes[i];
                long end = i < 3 ? gguf.dataStart() + expectedOffsets[i + 1] : file.length;
                for (long p = start; p < end; p++) {
                    assertEquals(0, file[(int) p], "padding byte " + p + " after tensor #" + i);
                }
            }
            for (int i = 0; i < 4; i++) {
                GgufTensorInfo t = gguf.tensors().get(i);
                assertBytes(bytes((int) expectedNbytes[i], 0x77).toArray(ValueLayout.JAVA_BYTE),
                        gguf.data(t).toArray(ValueLayout.JAVA_BYTE), t.name());
            }
        }
    }

    @Test
    void generalAlignmentSetsTheAlignment() throws IOException {
        Path target = dir.resolve("w.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("general.alignment", GgufValue.u32(64));
            assertEquals(64, w.alignment());
            assertEquals(0, w.addTensor("a", GgmlType.F32, 3).offset());
            assertEquals(64, w.addTensor("b", GgmlType.TQ2_0, 256).offset());
            assertEquals(192, w.addTensor("c", GgmlType.F32, 1).offset());
            assertEquals(0, w.dataStart() % 64);
            assertEquals(w.dataStart() + 256, w.plannedFileSize());
            for (GgufTensorInfo t : w.tensors()) {
                w.writeTensorData(t.name(), bytes((int) t.nbytes(), 1));
            }
            w.commit();
        }
        try (GgufFile gguf = GgufFile.open(target)) {
            assertEquals(64, gguf.alignment());
            assertTrue(gguf.sequentialLayout());
            assertEquals(Files.size(target), gguf.dataStart() + 256);
        }
    }

    @Test
    void anI2sTensorTakesNOver4Plus32Bytes() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("w.gguf"))) {
            assertEquals(1024 / 4 + 32, w.addTensor("small", GgmlType.I2_S, 256, 4).nbytes());
            // bitnet-b1.58-2B-4T's ffn_down: ne = [6912, 2560].
            GgufTensorInfo down = w.addTensor("blk.0.ffn_down.weight", GgmlType.I2_S, 6912, 2560);
            assertEquals(6912L * 2560 / 4 + 32, down.nbytes());
            assertEquals(288, down.offset(), "288 is already a multiple of 32");
        }
    }

    @Test
    void offsetsBeyond2GiBArePlannedWithLongs() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("w.gguf"))) {
            // An F32 embedding of 5120 x 152064 holds 3.1 GB; nothing is written, the plan is only computed.
            w.addTensor("token_embd.weight", GgmlType.F32, 5120, 152064);
            GgufTensorInfo next = w.addTensor("output_norm.weight", GgmlType.F32, 5120);
            assertEquals(4L * 5120 * 152064, next.offset());
            assertTrue(next.offset() > Integer.MAX_VALUE);
            assertEquals(w.dataStart() + next.offset() + 20480, w.plannedFileSize());
            assertTrue(w.plannedFileSize() > Integer.MAX_VALUE);
        }
        assertEquals(List.of(), listDir());
    }

    @Test
    void withoutTensorsCommitWritesThePaddedHeader() throws IOException {
        Path target = dir.resolve("w.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("general.architecture", GgufValue.string("bitnet"));
            assertEquals(96, w.plannedFileSize());
            w.commit();
        }
        // header 24 + entry (8 + 20 + 4 + 8 + 6 = 46) = 70 bytes, padded to 96 as gguf-py does.
        byte[] expected = RawGguf.header(3, 0, 1).kvString("general.architecture", "bitnet").padTo(32).bytes();
        assertBytes(expected, Files.readAllBytes(target), "metadata-only file");
    }

    @Test
    void heapSegmentsOfFloatsAreWrittenThroughTheStagingBuffer() throws IOException {
        float[] values = new float[300_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.25f - 3;
        }
        Path target = dir.resolve("w.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.addTensor("w", GgmlType.F32, values.length);
            w.writeTensorData("w", MemorySegment.ofArray(values));
            w.commit();
        }
        try (GgufFile gguf = GgufFile.open(target)) {
            assertBytes(MemorySegment.ofArray(values).toArray(ValueLayout.JAVA_BYTE),
                    gguf.data(gguf.tensor("w")).toArray(ValueLayout.JAVA_BYTE), "w");
        }
    }

    // ---- arguments ggml would refuse or misread ----

    @Test
    void badKeysAndValuesAreRefused() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("w.gguf"))) {
            w.put("k", GgufValue.u32(1));
            refused(IllegalArgumentException.class, "cannot be empty", () -> w.put("", GgufValue.u32(1)));
            refused(IllegalArgumentException.class, "\"k\" is already set", () -> w.put("k", GgufValue.u32(2)));
            refused(IllegalArgumentException.class, "256 does not fit in UINT8",
                    () -> w.put("u8", new GgufValue(GgufValueType.UINT8, null, 256L)));
            refused(IllegalArgumentException.class, "-129 does not fit in INT8",
                    () -> w.put("i8", new GgufValue(GgufValueType.INT8, null, -129L)));
            refused(IllegalArgumentException.class, "does not fit in UINT32",
                    () -> w.put("u32", new GgufValue(GgufValueType.UINT32, null, -1L)));
            refused(IllegalArgumentException.class, "does not fit in INT32",
                    () -> w.put("i32", new GgufValue(GgufValueType.INT32, null, 1L << 31)));
            refused(IllegalArgumentException.class, "BOOL element 1 is 2, expected 0 or 1",
                    () -> w.put("bools", GgufValue.array(GgufValueType.BOOL, new byte[] {1, 2})));
            refused(IllegalArgumentException.class, "unpaired surrogate",
                    () -> w.put("bad\uD800", GgufValue.u32(1)));
            refused(IllegalArgumentException.class, "element 1 is not valid Unicode",
                    () -> w.put("toks", GgufValue.strings(List.of("a", "\uDC00"))));
            refused(IllegalArgumentException.class, "general.alignment must be a UINT32 power of two",
                    () -> w.put("general.alignment", GgufValue.u64(32)));
            refused(IllegalArgumentException.class, "general.alignment must be a UINT32 power of two",
                    () -> w.put("general.alignment", GgufValue.u32(48)));
            assertEquals(32, w.alignment());
            assertEquals(List.of("k"), List.copyOf(w.metadata().keySet()), "refused entries leave no trace");
        }
    }

    @Test
    void badTensorsAreRefused() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("w.gguf"))) {
            assertEquals(63, w.addTensor("x".repeat(63), GgmlType.F32, 1).name().length());
            refused(IllegalArgumentException.class, "is 64 bytes of UTF-8; ggml allows at most 63",
                    () -> w.addTensor("y".repeat(64), GgmlType.F32, 1));
            refused(IllegalArgumentException.class, "is 64 bytes of UTF-8",
                    () -> w.addTensor("é".repeat(32), GgmlType.F32, 1));
            refused(IllegalArgumentException.class, "contains a NUL", () -> w.addTensor("a\0", GgmlType.F32, 1));
            refused(IllegalArgumentException.class, "is already added",
                    () -> w.addTensor("x".repeat(63), GgmlType.F32, 1));
            refused(IllegalArgumentException.class, "5 dimensions, ggml allows at most 4",
                    () -> w.addTensor("d5", GgmlType.F32, 1, 1, 1, 1, 1));
            refused(IllegalArgumentException.class, "multiple of 256, got 100",
                    () -> w.addTensor("tq", GgmlType.TQ2_0, 100, 2));
            refused(IllegalArgumentException.class, "negative dimension",
                    () -> w.addTensor("neg", GgmlType.F32, 4, -1));
            refused(IllegalArgumentException.class, "dimension 1 of [4, 0] is 0, which crashes ggml's reader",
                    () -> w.addTensor("zero", GgmlType.F32, 4, 0));
            refused(IllegalArgumentException.class, "more than 2^63-1 bytes",
                    () -> w.addTensor("huge", GgmlType.F32, 1L << 62));
            assertEquals(1, w.tensors().size(), "refused tensors leave no trace");
            assertEquals(32, w.addTensor("empty", GgmlType.F32, 0, 4).offset(), "ne0 = 0 is fine for ggml");
        }
    }

    @Test
    void theTensorInfoRecordChecksItself() {
        GgufTensorInfo t = new GgufTensorInfo("w", new long[] {256, 3, 2}, GgmlType.TQ1_0, 64);
        assertEquals(3, t.nDims());
        assertEquals(256 * 3 * 2, t.numel());
        assertEquals(6 * 54, t.nbytes());
        assertTrue(Arrays.equals(new long[] {2, 3, 256}, t.shape()));
        long[] ne = t.ne();
        ne[0] = 1;
        assertEquals(256, t.ne()[0], "ne() is a copy");
        assertThrows(IllegalArgumentException.class, () -> new GgufTensorInfo("w", new long[] {4}, GgmlType.F32, -1));
        assertFalse(t.equals(new GgufTensorInfo("w", new long[] {256, 3, 2}, GgmlType.TQ1_0, 0)));
    }

    // ---- replacing a value after the data, large heap writes ----

    @Test
    void aValueReplacedAfterTheDataIsInTheCommittedHeader() throws IOException {
        Path target = dir.resolve("r.gguf");
        // Two tensors of heap data, each over the writer's 1 MiB staging buffer, so the second write reuses it.
        MemorySegment a = bytes(3 << 20, 1);
        MemorySegment b = bytes((1 << 20) + 4, 7);
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("digest", GgufValue.strings(List.of("0".repeat(64) + "  x")));
            w.put("after", GgufValue.u32(5));
            w.addTensor("a", GgmlType.I8, a.byteSize());
            w.addTensor("b", GgmlType.I8, b.byteSize());
            w.writeTensorData("a", a);
            refused(IllegalArgumentException.class, "must keep the size",
                    () -> w.replace("digest", GgufValue.strings(List.of("abc  x"))));
            refused(IllegalArgumentException.class, "is not set", () -> w.replace("nope", GgufValue.u32(1)));
            w.writeTensorData("b", b);
            w.replace("digest", GgufValue.strings(List.of("f".repeat(64) + "  x")));
            w.commit();
        }
        try (GgufFile g = GgufFile.open(target)) {
            assertEquals(List.of("f".repeat(64) + "  x"), g.requireStrings("digest"));
            assertEquals(5, g.require("after").asLong());
            assertBytes(a.toArray(ValueLayout.JAVA_BYTE), g.data(g.tensor("a")).toArray(ValueLayout.JAVA_BYTE), "a");
            assertBytes(b.toArray(ValueLayout.JAVA_BYTE), g.data(g.tensor("b")).toArray(ValueLayout.JAVA_BYTE), "b");
        }
        assertEquals(List.of("r.gguf"), listDir());
    }

    // ---- sealing: the final bytes readable while the commit runs ----

    @Test
    void aSealedFileReadsAsTheCommittedOneAndAcceptsOnlyCommitOrClose() throws IOException {
        Path target = dir.resolve("s.gguf");
        MemorySegment a = bytes(100, 3);
        byte[] sealed;
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("digest", GgufValue.strings(List.of("0".repeat(64) + "  x")));
            w.addTensor("a", GgmlType.I8, a.byteSize());
            refused(IllegalStateException.class, "1 tensor(s) is not written", w::seal);
            w.writeTensorData("a", a);
            w.replace("digest", GgufValue.strings(List.of("e".repeat(64) + "  x")));
            try (FileChannel ch = w.seal()) {
                refused(IllegalStateException.class, "the file is sealed",
                        () -> w.replace("digest", GgufValue.strings(List.of("f".repeat(64) + "  x"))));
                refused(IllegalStateException.class, "the file is sealed", w::seal);
                refused(IllegalStateException.class, "the file is sealed", () -> w.writeTensorData("a", a));
                w.commit();
                // Read after the rename: the channel still reads the same file.
                sealed = Channels.newInputStream(ch).readAllBytes();
            }
        }
        assertArrayEquals(Files.readAllBytes(target), sealed, "the sealed content is the committed file");
        try (GgufFile g = GgufFile.open(target)) {
            assertEquals(List.of("e".repeat(64) + "  x"), g.requireStrings("digest"), "the replaced value was in it");
        }
        assertEquals(List.of("s.gguf"), listDir());
    }

    @Test
    void aSealedFileClosedWithoutCommitLeavesNothing() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("n.gguf"))) {
            w.addTensor("a", GgmlType.I8, 10);
            w.writeTensorData("a", bytes(10, 1));
            w.seal().close();
        }
        assertEquals(List.of(), listDir());
    }
}
