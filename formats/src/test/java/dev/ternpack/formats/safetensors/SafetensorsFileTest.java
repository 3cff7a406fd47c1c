package dev.ternpack.formats.safetensors;

import static dev.ternpack.formats.safetensors.RawFiles.concat;
import static dev.ternpack.formats.safetensors.RawFiles.counting;
import static dev.ternpack.formats.safetensors.RawFiles.entry;
import static dev.ternpack.formats.safetensors.RawFiles.f32;
import static dev.ternpack.formats.safetensors.RawFiles.safetensors;
import static dev.ternpack.formats.safetensors.RawFiles.u64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The single-file reader: valid corner cases, then one test per validation rule of {@link SafetensorsHeader}. */
class SafetensorsFileTest {
    @TempDir
    Path dir;

    /** Opens a file that must be refused; checks the message names the file and each phrase. */
    private static BadInputException rejected(Path file, String... phrases) {
        BadInputException e = assertThrows(BadInputException.class, () -> SafetensorsFile.open(file).close());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "message must be one line: " + e.getMessage());
        for (String phrase : phrases) {
            assertTrue(e.problem().contains(phrase), "expected \"" + phrase + "\" in: " + e.problem());
        }
        return e;
    }

    private Path file(String header, byte[] data) throws IOException {
        return safetensors(dir.resolve("t.safetensors"), header, data);
    }

    // ---- valid files ----

    @Test
    void readsTensorsAsSlicesInOffsetOrder() throws IOException {
        // Header lists b before a; the data holds a (F32[2] at 0) then b (U8[3] at 8).
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\"}," + entry("b", "U8", "[3]", 8, 11) + ","
                + entry("a", "F32", "[2]", 0, 8) + "}";
        Path f = file(header, concat(f32(1.5f, -2f), new byte[] {7, 8, 9}));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(List.of("a", "b"), st.names());
            assertEquals(Map.of("format", "pt", "note", "x"), st.metadata());
            Tensor a = st.tensor("a");
            assertEquals(DType.F32, a.dtype());
            assertArrayEquals(new long[] {2}, a.shape());
            assertEquals(1.5f, FloatDecoding.get(a.data(), DType.F32, 0));
            assertEquals(-2f, FloatDecoding.get(a.data(), DType.F32, 1));
            assertArrayEquals(new byte[] {7, 8, 9}, st.tensor("b").data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(f, a.file());
            assertTrue(st.contains("b"));
            assertFalse(st.contains("c"));
            assertEquals(0, st.header().unclaimedBytes());
        }
    }

    @Test
    void scalarAndZeroSizedTensorsWork() throws IOException {
        // A scalar (shape []) holds one element; [0,4] and [3,0] hold none and may sit at any boundary.
        String header = "{" + entry("empty1", "F32", "[0,4]", 0, 0) + "," + entry("scalar", "F32", "[]", 0, 4) + ","
                + entry("empty2", "I64", "[3,0]", 4, 4) + "}";
        try (SafetensorsFile st = SafetensorsFile.open(file(header, f32(42f)))) {
            assertEquals(List.of("empty1", "scalar", "empty2"), st.names());
            Tensor scalar = st.tensor("scalar");
            assertEquals(0, scalar.rank());
            assertEquals(1, scalar.numel());
            assertEquals(42f, FloatDecoding.get(scalar.data(), DType.F32, 0));
            assertEquals(0, st.tensor("empty1").byteSize());
            assertEquals(0, st.tensor("empty2").numel());
        }
    }

    @Test
    void emptyHeaderObjectIsAValidFileWithNoTensors() throws IOException {
        try (SafetensorsFile st = SafetensorsFile.open(file("{}      ", new byte[0]))) {
            assertEquals(List.of(), st.names());
            assertEquals(Map.of(), st.metadata());
        }
    }

    @Test
    void gapsAndTrailingBytesAreToleratedAndCounted() throws IOException {
        // Decision: the reference reader refuses gaps; ternpack reads each tensor by its own offsets and reports
        // the unclaimed bytes (2 between a and b, 3 after b).
        String header = "{" + entry("a", "U8", "[2]", 0, 2) + "," + entry("b", "U8", "[2]", 4, 6) + "}";
        try (SafetensorsFile st = SafetensorsFile.open(file(header, counting(9)))) {
            assertArrayEquals(new byte[] {4, 5}, st.tensor("b").data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(5, st.header().unclaimedBytes());
        }
    }

    @Test
    void metadataNullMeansNoMetadata() throws IOException {
        // The reference reader types __metadata__ as an optional map, so null is accepted as absent.
        try (SafetensorsFile st = SafetensorsFile.open(file("{\"__metadata__\":null}", new byte[0]))) {
            assertEquals(Map.of(), st.metadata());
        }
    }

    @Test
    void unknownTensorNameIsBadInputNamingTheFile() throws IOException {
        Path f = file("{" + entry("a", "U8", "[1]", 0, 1) + "}", new byte[1]);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            BadInputException e = assertThrows(BadInputException.class, () -> st.tensor("nope"));
            assertEquals(f, e.file());
            assertTrue(e.problem().contains("no tensor named \"nope\""), e.problem());
        }
    }

    @Test
    void tensorsAreUnusableAfterClose() throws IOException {
        SafetensorsFile st = SafetensorsFile.open(file("{" + entry("a", "U8", "[1]", 0, 1) + "}", new byte[1]));
        MemorySegment data = st.tensor("a").data();
        st.close();
        st.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> data.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void missingFileAndDirectoryAreBadInput() {
        rejected(dir.resolve("absent.safetensors"), "not found");
        rejected(dir, "is a directory");
    }

    // ---- one test per validation rule ----

    @Test
    void emptyFile() throws IOException {
        rejected(RawFiles.bytes(dir.resolve("e.safetensors"), new byte[0]), "empty", "0 bytes");
    }

    @Test
    void shorterThanTheLengthField() throws IOException {
        rejected(RawFiles.bytes(dir.resolve("s.safetensors"), new byte[5]), "5 bytes", "shorter than the 8-byte");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        byte[] content = concat(u64(100), "{}".getBytes(StandardCharsets.US_ASCII));
        Path f = RawFiles.bytes(dir.resolve("h.safetensors"), content);
        rejected(f, "header length 100 runs past the end of the file (2 bytes");
    }

    @Test
    void headerLengthWithTopBitSetIsReadUnsigned() throws IOException {
        // 0xFFFFFFFFFFFFFFFF as u64 is 18446744073709551615, not -1.
        Path f = RawFiles.bytes(dir.resolve("h.safetensors"), concat(u64(-1L), new byte[8]));
        rejected(f, "header length 18446744073709551615 runs past the end");
    }

    @Test
    void headerLengthOverTheLimitIsRefusedBeforeReadingIt() throws IOException {
        // A sparse file long enough to hold the claimed header, so only the 100 MB rule can refuse it.
        Path f = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(u64(100_000_001L));
            raf.setLength(8 + 100_000_001L + 16);
        }
        rejected(f, "header length 100000001 exceeds", "100000000");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] header = concat("{\"a".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xC3, 0x28},
                "\":1}".getBytes(StandardCharsets.US_ASCII));
        Path f = RawFiles.bytes(dir.resolve("u.safetensors"), concat(u64(header.length), header));
        // The bad sequence starts at header byte 3, file offset 8 + 3.
        rejected(f, "not valid UTF-8", "file offset 11");
    }

    @Test
    void headerNotJson() throws IOException {
        rejected(file("{\"a\": }", new byte[0]), "header is not valid JSON");
    }

    @Test
    void headerJsonThatOnlyALenientParserAccepts() throws IOException {
        // Gson's default parser would take single quotes and unquoted names; safetensors headers are strict JSON.
        rejected(file("{'a':{dtype:'U8','shape':[1],'data_offsets':[0,1]}}", new byte[1]), "not valid JSON");
    }

    @Test
    void headerWithTextAfterTheObject() throws IOException {
        rejected(file("{} {}", new byte[0]), "not valid JSON", "text after the end");
    }

    @Test
    void headerOfZeroBytes() throws IOException {
        rejected(file("", new byte[0]), "header is empty");
    }

    @Test
    void headerNotAnObject() throws IOException {
        rejected(file("[1,2]", new byte[0]), "header is a JSON array", "expected a JSON object");
    }

    @Test
    void tensorEntryNotAnObject() throws IOException {
        rejected(file("{\"w\":5}", new byte[0]), "tensor \"w\" is a JSON number 5", "expected an object");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtype", "shape", "data_offsets"})
    void tensorEntryMissingAField(String field) throws IOException {
        String full = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        String without = full.replaceAll("\"" + field + "\":(\"U8\"|\\[[0-9,]*\\]),?", "").replace(",}", "}");
        rejected(file("{\"w\":" + without + "}", new byte[1]), "tensor \"w\" has no \"" + field + "\"");
    }

    @Test
    void unknownDtypeIsNamed() throws IOException {
        rejected(file("{" + entry("w", "F8_E4M3", "[1]", 0, 1) + "}", new byte[1]), "unknown dtype \"F8_E4M3\"",
                "F64, F32, F16, BF16");
    }

    @Test
    void dtypeNotAString() throws IOException {
        rejected(file("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "dtype is a JSON number 4");
    }

    @Test
    void negativeShapeDimension() throws IOException {
        rejected(file("{" + entry("w", "U8", "[2,-3]", 0, 6) + "}", new byte[6]), "shape[1] is negative (-3)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2.5", "2.0", "1e1"})
    void nonIntegerShapeDimension(String dim) throws IOException {
        rejected(file("{" + entry("w", "U8", "[" + dim + "]", 0, 2) + "}", new byte[10]),
                "shape[0] is " + dim + ", not an integer");
    }

    @Test
    void shapeDimensionThatIsAString() throws IOException {
        rejected(file("{" + entry("w", "U8", "[\"2\"]", 0, 2) + "}", new byte[2]), "shape[0] is a JSON string \"2\"");
    }

    @Test
    void shapeNotAnArray() throws IOException {
        rejected(file("{" + entry("w", "U8", "3", 0, 3) + "}", new byte[3]), "shape is a JSON number 3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[0]", "[0,1,2]", "{}", "\"0,1\""})
    void dataOffsetsNotTwoValues(String offsets) throws IOException {
        rejected(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":" + offsets + "}}", new byte[1]),
                "data_offsets is", "expected two non-negative integers");
    }

    @Test
    void dataOffsetNegative() throws IOException {
        rejected(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}", new byte[1]),
                "data_offsets begin is negative (-1)");
    }

    @Test
    void dataOffsetNotAnInteger() throws IOException {
        rejected(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1.5]}}", new byte[2]),
                "data_offsets end is 1.5, not an integer");
    }

    @Test
    void dataOffsetTooLargeForALong() throws IOException {
        rejected(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}",
                new byte[1]), "data_offsets end is 99999999999999999999, larger than 2^63-1");
    }

    @Test
    void dataOffsetsBeginAfterEnd() throws IOException {
        rejected(file("{" + entry("w", "U8", "[2]", 4, 2) + "}", new byte[4]), "data_offsets [4, 2] begin after end");
    }

    @Test
    void dataOffsetsPastTheDataSection() throws IOException {
        rejected(file("{" + entry("w", "F32", "[4]", 0, 16) + "}", new byte[12]),
                "data_offsets [0, 16] run past the end of the data section (12 bytes)");
    }

    @Test
    void byteLengthNotMatchingDtypeTimesShape() throws IOException {
        rejected(file("{" + entry("w", "BF16", "[2,3]", 0, 10) + "}", new byte[10]),
                "data_offsets [0, 10] hold 10 bytes, but BF16[2, 3] needs 12");
    }

    @Test
    void shapeWhoseByteSizeOverflows() throws IOException {
        rejected(file("{" + entry("w", "F64", "[4611686018427387904,4]", 0, 8) + "}", new byte[8]),
                "more than 2^63-1 bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        String header = "{" + entry("a", "U8", "[4]", 0, 4) + "," + entry("b", "U8", "[4]", 2, 6) + "}";
        rejected(file(header, new byte[6]), "tensors \"a\" [0, 4) and \"b\" [2, 6) overlap");
    }

    @Test
    void identicalOffsetsOverlap() throws IOException {
        String header = "{" + entry("a", "U8", "[4]", 0, 4) + "," + entry("b", "I8", "[4]", 0, 4) + "}";
        rejected(file(header, new byte[4]), "overlap");
    }

    @Test
    void duplicateTensorName() throws IOException {
        // Gson's tree would silently keep the second entry; the reader must see both.
        String header = "{" + entry("w", "U8", "[1]", 0, 1) + "," + entry("w", "U8", "[1]", 1, 2) + "}";
        rejected(file(header, new byte[2]), "tensor name \"w\" appears twice");
    }

    @Test
    void duplicateKeyInsideAnEntry() throws IOException {
        rejected(file("{\"w\":{\"dtype\":\"U8\",\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]),
                "key \"dtype\" appears twice", "$.w.dtype");
    }

    @Test
    void metadataNotAnObject() throws IOException {
        rejected(file("{\"__metadata__\":[\"pt\"]}", new byte[0]), "__metadata__ is a JSON array",
                "mapping strings to strings");
    }

    @Test
    void metadataValueNotAString() throws IOException {
        rejected(file("{\"__metadata__\":{\"format\":\"pt\",\"total\":5}}", new byte[0]),
                "__metadata__ must map strings to strings, but \"total\" maps to a JSON number 5");
    }

    @Test
    void duplicateMetadataKey() throws IOException {
        rejected(file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", new byte[0]), "key \"k\" appears twice",
                "__metadata__");
    }
}
