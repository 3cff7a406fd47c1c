package dev.ternpack.formats.gguf;

import static dev.ternpack.formats.gguf.ByteAsserts.assertBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reader: valid and leniently accepted files, then one test per validation rule (each malformed file built
 * byte by byte with {@link RawGguf}), then the typed metadata getters.
 */
class GgufFileTest {
    private static final int F32 = 0;
    private static final int TQ2_0 = 35;
    private static final int I2_S = 36;
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    /** Opens a file that must be refused; checks the message is one line naming the file, and has each phrase. */
    private static BadInputException rejected(Path file, String... phrases) {
        BadInputException e = assertThrows(BadInputException.class, () -> GgufFile.open(file).close());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "message must be one line: " + e.getMessage());
        for (String phrase : phrases) {
            assertTrue(e.problem().contains(phrase), "expected \"" + phrase + "\" in: " + e.problem());
        }
        return e;
    }

    private Path write(RawGguf raw) throws IOException {
        return raw.write(dir.resolve("t.gguf"));
    }

    /** One STRING entry, one F32[4] tensor "t" at offset 0, padding, its 16 bytes, padding. */
    private static RawGguf minimal(long version) {
        return RawGguf.header(version, 1, 1).kvString("general.architecture", "llama").tensor("t", F32, 0, 4)
                .padTo(32).f32(1).f32(2).f32(3).f32(4).padTo(32);
    }

    /** A file with one key-value entry {@code entry} (already encoded: key, type, value) and no tensors. */
    private Path withEntry(RawGguf entry) throws IOException {
        return write(RawGguf.header(3, 0, 1).raw(entry.bytes()));
    }

    /** A file with the tensor infos given (already encoded), no metadata, then {@code dataBytes} zeros. */
    private Path withTensors(int count, RawGguf infos, int dataBytes) throws IOException {
        return write(RawGguf.header(3, count, 0).raw(infos.bytes()).padTo(32).zeros(dataBytes));
    }

    // ---- valid files ----

    @Test
    void readsAMinimalFile() throws IOException {
        Path f = write(minimal(3));
        try (GgufFile gguf = GgufFile.open(f)) {
            assertEquals(3, gguf.version());
            assertEquals(f, gguf.path());
            assertEquals(160, gguf.fileSize());
            assertEquals(128, gguf.dataStart(), "pad(24 + 45 + 33, 32)");
            GgufTensorInfo t = gguf.tensor("t");
            assertEquals(new GgufTensorInfo("t", new long[] {4}, GgmlType.F32, 0), t);
            assertEquals(Optional.of(t), gguf.findTensor("t"));
            assertEquals(Optional.empty(), gguf.findTensor("u"));
            float[] values = gguf.data(t).toArray(LE_FLOAT);
            assertArrayEquals(new float[] {1, 2, 3, 4}, values);
        }
    }

    @Test
    void readsVersion2LikeGgmlAndGgufPy() throws IOException {
        // v2 and v3 share the little-endian layout; ggml and gguf-py's reader (READER_SUPPORTED_VERSIONS) read both.
        try (GgufFile gguf = GgufFile.open(write(minimal(2)))) {
            assertEquals(2, gguf.version());
            assertEquals(1, gguf.tensors().size());
        }
    }

    @Test
    void aFileWithoutTensorsMayEndWithoutPadding() throws IOException {
        // gguf-py pads anyway; ggml does not look for a data section when there are no tensors.
        Path f = write(RawGguf.header(3, 0, 1).kvU32("general.quantization_version", 2));
        try (GgufFile gguf = GgufFile.open(f)) {
            assertEquals(List.of(), gguf.tensors());
            assertEquals(2, gguf.requireU32("general.quantization_version"));
            assertEquals(96, gguf.dataStart(), "pad(68, 32), beyond the file, which is harmless without tensors");
        }
    }

    @Test
    void theAlignmentComesFromGeneralAlignment() throws IOException {
        RawGguf raw = RawGguf.header(3, 2, 1).kvU32("general.alignment", 64)
                .tensor("a", F32, 0, 3).tensor("b", F32, 64, 2).padTo(64);
        int dataStart = raw.size();
        raw.f32(1).f32(2).f32(3).padTo(64).f32(4).f32(5).padTo(64);
        try (GgufFile gguf = GgufFile.open(write(raw))) {
            assertEquals(64, gguf.alignment());
            assertEquals(dataStart, gguf.dataStart());
            assertEquals(0, dataStart % 64);
            assertTrue(gguf.sequentialLayout());
            assertEquals(5f, gguf.data(gguf.tensor("b")).get(LE_FLOAT, 4));
        }
    }

    @Test
    void nonSequentialOffsetsAreReadButFlagged() throws IOException {
        // b is stored before a, with a gap: current ggml refuses this layout, the BitNet fork's older reader and
        // ternpack read it, and sequentialLayout() says it is not what llama.cpp loads.
        RawGguf raw = RawGguf.header(3, 2, 0).tensor("a", F32, 64, 2).tensor("b", F32, 0, 2).padTo(32);
        raw.f32(5).f32(6).zeros(24).zeros(32).f32(7).f32(8).padTo(32);
        try (GgufFile gguf = GgufFile.open(write(raw))) {
            assertFalse(gguf.sequentialLayout());
            assertEquals(7f, gguf.data(gguf.tensor("a")).get(LE_FLOAT, 0));
            assertEquals(5f, gguf.data(gguf.tensor("b")).get(LE_FLOAT, 0));
            assertEquals(List.of("a", "b"), gguf.tensors().stream().map(GgufTensorInfo::name).toList(),
                    "tensors() keeps tensor-info order");
        }
    }

    @Test
    void scalarsAndEmptyTensorsAreRead() throws IOException {
        // n_dims 0 is a scalar (ggml reads ne = 1,1,1,1); ne0 = 0 makes an empty tensor that owns no bytes.
        RawGguf infos = new RawGguf().tensor("scalar", F32, 0).tensor("empty", F32, 32, 0, 4)
                .tensor("next", F32, 32, 1);
        try (GgufFile gguf = GgufFile.open(withTensors(3, infos, 64))) {
            GgufTensorInfo scalar = gguf.tensor("scalar");
            assertEquals(0, scalar.nDims());
            assertEquals(1, scalar.numel());
            assertEquals(4, scalar.nbytes());
            GgufTensorInfo empty = gguf.tensor("empty");
            assertEquals(0, empty.numel());
            assertEquals(0, gguf.data(empty).byteSize());
            assertTrue(gguf.sequentialLayout());
        }
    }

    @Test
    void anI2sTensorHoldsAQuarterByteperTritPlus32Bytes() throws IOException {
        // BitNet fork ggml_nbytes: n/4 + 32. [128, 2] holds 256 trits: 64 packed bytes, an f32 scale, 28 more.
        RawGguf infos = new RawGguf().tensor("w", I2_S, 0, 128, 2);
        try (GgufFile gguf = GgufFile.open(withTensors(1, infos, 96))) {
            GgufTensorInfo w = gguf.tensor("w");
            assertEquals(GgmlType.I2_S, w.type());
            assertEquals(96, w.nbytes());
            assertEquals(96, gguf.data(w).byteSize());
        }
    }

    @Test
    void boolBytesOtherThanZeroReadAsTrueAsInGgml() throws IOException {
        RawGguf raw = RawGguf.header(3, 0, 2).str("b").u32(7).u8(2)
                .str("bs").u32(9).u32(7).u64(3).u8(0).u8(1).u8(0xFF);
        try (GgufFile gguf = GgufFile.open(write(raw))) {
            assertTrue(gguf.requireBool("b"));
            assertArrayEquals(new byte[] {0, 1, 1}, (byte[]) gguf.requireArray("bs", GgufValueType.BOOL).value());
        }
    }

    @Test
    void theLastTensorNeedNotBePaddedAsLlamaCppOnlyChecksItsBytes() throws IOException {
        // llama.cpp loads with no_alloc and then checks offset + nbytes <= file size for each tensor; the padding
        // after the last tensor is not needed. F32[3] = 12 bytes, and the file ends right after them.
        Path f = write(RawGguf.header(3, 1, 0).tensor("t", F32, 0, 3).padTo(32).f32(1).f32(2).f32(3));
        assertEquals(64 + 12, Files.size(f), "the file ends right after the tensor, unpadded");
        try (GgufFile gguf = GgufFile.open(f)) {
            assertTrue(gguf.sequentialLayout());
            assertArrayEquals(new float[] {1, 2, 3}, gguf.data(gguf.tensor("t")).toArray(LE_FLOAT));
        }
        // One byte less and the tensor runs past the end.
        byte[] cut = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(cut, cut.length - 1));
        rejected(f, "tensor \"t\": its 12 bytes at offset 0", "run past the end of the file");
    }

    @Test
    void bytesAfterTheLastTensorAreIgnored() throws IOException {
        try (GgufFile gguf = GgufFile.open(write(minimal(3).zeros(100)))) {
            assertEquals(260, gguf.fileSize());
        }
    }

    // ---- refused: the file as a whole, header ----

    @Test
    void refusesAMissingFileAndADirectory() {
        rejected(dir.resolve("missing.gguf"), "file not found");
        rejected(dir, "is a directory");
    }

    @Test
    void refusesAnEmptyFile() throws IOException {
        rejected(write(new RawGguf()), "file is empty (0 bytes)");
    }

    @Test
    void refusesAFileTooShortForTheMagic() throws IOException {
        rejected(write(new RawGguf().hex("474755")), "file is 3 bytes, too short");
    }

    @Test
    void refusesABadMagicShowingTheBytes() throws IOException {
        rejected(write(new RawGguf().hex("504b0304").zeros(40)), "bad magic 50 4b 03 04 (\"PK..\")",
                "expected 47 47 55 46");
    }

    @Test
    void refusesAFileShorterThanTheHeader() throws IOException {
        rejected(write(new RawGguf().hex("47475546 03000000 0000")), "file is 10 bytes, shorter than the 24-byte");
    }

    @Test
    void refusesVersion0() throws IOException {
        rejected(write(RawGguf.header(0, 0, 0)), "GGUF version 0 is invalid");
    }

    @Test
    void refusesVersion1() throws IOException {
        rejected(write(RawGguf.header(1, 0, 0)), "GGUF version 1 is no longer supported");
    }

    @Test
    void refusesVersionsNewerThan3() throws IOException {
        rejected(write(RawGguf.header(4, 0, 0)), "GGUF version 4 is newer than version 3");
    }

    @Test
    void refusesABigEndianFile() throws IOException {
        // A big-endian writer stores version 3 as 00 00 00 03, which reads as 0x03000000 little-endian.
        rejected(write(new RawGguf().hex("47475546 00000003").zeros(16)), "0x03000000", "big-endian");
    }

    @Test
    void refusesATensorCountThatCannotFit() throws IOException {
        rejected(write(RawGguf.header(3, -1, 0).zeros(100)), "tensor_count 18446744073709551615 cannot be right",
                "only 100 bytes follow the header");
        rejected(write(RawGguf.header(3, 5, 0).zeros(100)), "tensor_count 5 cannot be right");
    }

    @Test
    void refusesAKvCountThatCannotFit() throws IOException {
        rejected(write(RawGguf.header(3, 0, 1L << 62).zeros(100)), "metadata_kv_count 4611686018427387904");
        rejected(write(RawGguf.header(3, 0, 8).zeros(100)), "metadata_kv_count 8 cannot be right");
    }

    @Test
    void refusesCountsThatCannotFitTogether() throws IOException {
        // 4 x 24 = 96 and 7 x 13 = 91 fit alone in 100 bytes, not together.
        rejected(write(RawGguf.header(3, 4, 7).zeros(100)), "cannot both be right", "at least 187 bytes");
    }

    // ---- refused: key-value entries ----

    @Test
    void refusesAFileThatEndsInsideAValue() throws IOException {
        rejected(withEntry(new RawGguf().str("k").u32(4).u16(1)), "truncated", "key \"k\"");
    }

    @Test
    void refusesAStringLongerThanTheFile() throws IOException {
        rejected(withEntry(new RawGguf().u64(1000).raw("key".getBytes()).zeros(10)), "key of key-value entry #0",
                "claims 1000 bytes, but only 13 bytes remain");
        rejected(withEntry(new RawGguf().str("k").u32(8).u64(50).raw(new byte[10])), "STRING value of key \"k\"",
                "claims 50 bytes");
    }

    @Test
    void refusesAStringOverTheSaneLimit() throws IOException {
        rejected(withEntry(new RawGguf().str("k").u32(8).u64(1L << 40).zeros(16)), "claims 1099511627776 bytes",
                "over the limit of 67108864");
        rejected(withEntry(new RawGguf().str("k").u32(8).u64(-1).zeros(16)), "claims 18446744073709551615 bytes");
    }

    @Test
    void refusesAKeyThatIsNotUtf8() throws IOException {
        rejected(withEntry(new RawGguf().str(new byte[] {'a', (byte) 0xFF, 'b'}).u32(4).u32(1)),
                "key of key-value entry #0 at offset 24 is not valid UTF-8");
    }

    @Test
    void refusesAStringValueThatIsNotUtf8() throws IOException {
        // Overlong encoding of '/', which strict UTF-8 decoders refuse.
        rejected(withEntry(new RawGguf().str("k").u32(8).str(new byte[] {(byte) 0xC0, (byte) 0xAF})),
                "STRING value of key \"k\"", "not valid UTF-8");
        rejected(withEntry(new RawGguf().str("toks").u32(9).u32(8).u64(2).str("ok").str(new byte[] {(byte) 0x80})),
                "key \"toks\" element 1", "not valid UTF-8");
    }

    @Test
    void refusesAnEmptyKey() throws IOException {
        rejected(withEntry(new RawGguf().str("").u32(4).u32(1)), "entry #0 at offset 24 has an empty key");
    }

    @Test
    void refusesADuplicateKey() throws IOException {
        RawGguf raw = RawGguf.header(3, 0, 3).kvU32("a", 1).kvU32("b", 2).kvU32("a", 3);
        rejected(write(raw), "key \"a\" appears twice (key-value entries #0 and #2)");
    }

    @Test
    void refusesAnUnknownValueType() throws IOException {
        rejected(withEntry(new RawGguf().str("k").u32(13).u32(0)), "key \"k\" has unknown value type 13");
    }

    @Test
    void refusesAnArrayOfArraysLikeGgml() throws IOException {
        rejected(withEntry(new RawGguf().str("k").u32(9).u32(9).u64(1).u32(4).u64(1).u32(7)),
                "key \"k\" is an array of arrays");
    }

    @Test
    void refusesAnUnknownArrayElementType() throws IOException {
        rejected(withEntry(new RawGguf().str("k").u32(9).u32(99).u64(0)), "unknown array element type 99");
    }

    @Test
    void refusesAnArrayLongerThanTheFile() throws IOException {
        rejected(withEntry(new RawGguf().str("k").u32(9).u32(4).u64(1000).zeros(40)),
                "array of 1000 UINT32 elements needs at least 4000 bytes");
        rejected(withEntry(new RawGguf().str("k").u32(9).u32(8).u64(100).zeros(40)),
                "array of 100 STRING elements needs at least 800 bytes");
    }

    @Test
    void refusesAnArrayOverTheSaneLimit() throws IOException {
        rejected(withEntry(new RawGguf().str("k").u32(9).u32(0).u64((64L << 20) + 1).zeros(40)),
                "array of 67108865 UINT8 elements exceeds the limit of 67108864");
    }

    @Test
    void refusesAnAlignmentThatIsNotUint32() throws IOException {
        rejected(withEntry(new RawGguf().str("general.alignment").u32(10).u64(32)),
                "general.alignment has type UINT64, expected UINT32");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 48, 1L << 21})
    void refusesAnAlignmentThatIsNotAPowerOfTwoUpTo1MiB(long alignment) throws IOException {
        rejected(write(RawGguf.header(3, 0, 1).kvU32("general.alignment", alignment)),
                "general.alignment is " + alignment + ", expected a power of two from 1 to 1048576");
    }

    // ---- refused: tensor infos ----

    @Test
    void refusesAnUnknownGgmlTypeNamingTheTensorAndTheId() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("blk.0.ffn_up.weight", 37, 0, 32), 32),
                "tensor \"blk.0.ffn_up.weight\" has unknown ggml type id 37");
        // 4 was Q4_2, removed from ggml long ago.
        rejected(withTensors(1, new RawGguf().tensor("t", 4, 0, 32), 32), "unknown ggml type id 4");
    }

    @Test
    void refusesMoreThanFourDimensions() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("t", F32, 0, 1, 1, 1, 1, 1), 32),
                "tensor \"t\" has n_dims 5; ggml allows at most 4");
    }

    @Test
    void refusesADimensionOf2To63OrMore() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("t", F32, 0, 4, Long.MIN_VALUE), 32),
                "dimension 1 is 9223372036854775808, more than 2^63-1");
    }

    @Test
    void refusesDimensionsWhoseProductOverflows() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("t", F32, 0, 1L << 32, 1L << 32), 32),
                "have more than 2^63-1 elements together");
    }

    @Test
    void refusesATensorOfMoreThan2To63Bytes() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("t", F32, 0, 1L << 62), 32), "needs more than 2^63-1 bytes");
    }

    @Test
    void refusesARowThatIsNotAMultipleOfTheBlockSize() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("t", TQ2_0, 0, 100, 2), 160),
                "tensor \"t\": type tq2_0 needs a row length (ne0) that is a multiple of 256, got 100");
    }

    @Test
    void refusesDuplicateTensorNames() throws IOException {
        RawGguf infos = new RawGguf().tensor("t", F32, 0, 1).tensor("u", F32, 32, 1).tensor("t", F32, 64, 1);
        rejected(withTensors(3, infos, 96), "tensor name \"t\" appears twice (tensor infos #0 and #2)");
    }

    @Test
    void refusesATensorNameOf64BytesAndAcceptsOneOf63() throws IOException {
        // GGML_MAX_NAME = 64 includes the NUL, so ggml refuses name.length() >= 64; the length counts bytes.
        String longest = "x".repeat(63);
        try (GgufFile gguf = GgufFile.open(withTensors(1, new RawGguf().tensor(longest, F32, 0, 1), 32))) {
            assertEquals(longest, gguf.tensors().get(0).name());
        }
        rejected(withTensors(1, new RawGguf().tensor("x".repeat(64), F32, 0, 1), 32),
                "the name is 64 bytes long; ggml allows at most 63");
        rejected(withTensors(1, new RawGguf().tensor("é".repeat(32), F32, 0, 1), 32), "the name is 64 bytes long");
    }

    @Test
    void refusesATensorNameWithANulByte() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("a\0b", F32, 0, 1), 32), "tensor \"a\\x00b\"",
                "contains a NUL byte");
    }

    @Test
    void refusesATensorNameThatIsNotUtf8() throws IOException {
        RawGguf infos = new RawGguf().str(new byte[] {(byte) 0xE2, (byte) 0x82}).u32(1).u64(1).u32(F32).u64(0);
        rejected(withTensors(1, infos, 32), "name of tensor info #0", "not valid UTF-8");
    }

    @Test
    void refusesAnOffsetThatIsNotAligned() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("t", F32, 16, 1), 64),
                "tensor \"t\": offset 16 is not a multiple of the alignment 32");
    }

    @Test
    void refusesAnOffsetPastAnyFile() throws IOException {
        rejected(withTensors(1, new RawGguf().tensor("t", F32, Long.MIN_VALUE, 1), 32),
                "offset 9223372036854775808 lies past the end of the file");
    }

    @Test
    void refusesTensorDataBeyondTheFile() throws IOException {
        // F32[16] needs 64 bytes; the file holds 32 after the data start.
        rejected(withTensors(1, new RawGguf().tensor("t", F32, 0, 16), 32),
                "tensor \"t\": its 64 bytes at offset 0", "run past the end of the file");
        RawGguf infos = new RawGguf().tensor("a", F32, 0, 8).tensor("b", F32, 64, 1);
        rejected(withTensors(2, infos, 64), "tensor \"b\": its 4 bytes at offset 64");
    }

    @Test
    void refusesOverlappingTensorData() throws IOException {
        RawGguf infos = new RawGguf().tensor("a", F32, 0, 16).tensor("b", F32, 32, 8);
        rejected(withTensors(2, infos, 96), "tensors \"a\" [0, 64) and \"b\" [32, 64) overlap");
    }

    @Test
    void refusesADataSectionThatStartsPastTheEnd() throws IOException {
        // Only empty tensors, but the file stops before the padded data start: ggml's seek fails there too.
        Path f = write(RawGguf.header(3, 1, 0).tensor("e", F32, 0, 0));
        rejected(f, "the data section would start at byte 64 but the file is only 57 bytes");
    }

    // ---- typed metadata getters ----

    private GgufFile typed() throws IOException {
        RawGguf raw = RawGguf.header(3, 0, 5).kvString("name", "tiny").kvU32("count", 7)
                .str("big").u32(10).u64(-2)
                .str("ids").u32(9).u32(5).u64(2).u32(-1).u32(3)
                .str("toks").u32(9).u32(8).u64(2).str("a").str("b");
        return GgufFile.open(write(raw));
    }

    @Test
    void typedGettersReturnValuesOfTheExactType() throws IOException {
        try (GgufFile gguf = typed()) {
            assertEquals("tiny", gguf.requireString("name"));
            assertEquals(7, gguf.requireU32("count"));
            assertEquals(-2, gguf.requireU64("big"), "UINT64 2^64-2 as its 64 bits");
            assertArrayEquals(new int[] {-1, 3}, (int[]) gguf.requireArray("ids", GgufValueType.INT32).value());
            assertEquals(List.of("a", "b"), gguf.requireStrings("toks"));
            assertEquals(Optional.empty(), gguf.get("absent"));
            assertEquals(Optional.empty(), gguf.get("absent", GgufValueType.UINT32));
            assertEquals(7, gguf.get("count", GgufValueType.UINT32).orElseThrow().asLong());
            assertEquals(GgufValueType.ARRAY, gguf.require("toks", GgufValueType.ARRAY).type());
        }
    }

    @Test
    void optionalGettersAreEmptyForAMissingKeyAndStillCheckTheType() throws IOException {
        RawGguf raw = RawGguf.header(3, 0, 5).kvString("tokenizer.ggml.pre", "gpt-2")
                .kvU32("bitnet.attention.head_count_kv", 0xFFFF_FFFFL)
                .str("bitnet.rope.freq_base").u32(6).f32(500000f)
                .str("tokenizer.ggml.add_bos_token").u32(7).u8(1)
                .str("bitnet.context_length").u32(10).u64(4096);
        try (GgufFile gguf = GgufFile.open(write(raw))) {
            assertEquals(Optional.of("gpt-2"), gguf.getString("tokenizer.ggml.pre"));
            assertEquals(OptionalLong.of(4294967295L), gguf.getU32("bitnet.attention.head_count_kv"));
            assertEquals(Optional.of(500000f), gguf.getF32("bitnet.rope.freq_base"));
            assertEquals(Optional.of(true), gguf.getBool("tokenizer.ggml.add_bos_token"));

            assertEquals(Optional.empty(), gguf.getString("absent"));
            assertEquals(OptionalLong.empty(), gguf.getU32("absent"));
            assertEquals(Optional.empty(), gguf.getF32("absent"));
            assertEquals(Optional.empty(), gguf.getBool("absent"));

            assertEquals("metadata key \"bitnet.context_length\" has type UINT64, expected UINT32",
                    assertThrows(BadInputException.class, () -> gguf.getU32("bitnet.context_length")).problem());
            assertEquals("metadata key \"bitnet.rope.freq_base\" has type FLOAT32, expected STRING",
                    assertThrows(BadInputException.class, () -> gguf.getString("bitnet.rope.freq_base")).problem());
            assertEquals("metadata key \"tokenizer.ggml.pre\" has type STRING, expected FLOAT32",
                    assertThrows(BadInputException.class, () -> gguf.getF32("tokenizer.ggml.pre")).problem());
            assertEquals("metadata key \"bitnet.attention.head_count_kv\" has type UINT32, expected BOOL",
                    assertThrows(BadInputException.class,
                            () -> gguf.getBool("bitnet.attention.head_count_kv")).problem());
        }
    }

    @Test
    void aMissingKeyIsNamed() throws IOException {
        try (GgufFile gguf = typed()) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> gguf.requireU32("bitnet.block_count"));
            assertEquals(gguf.path(), e.file());
            assertEquals("metadata key \"bitnet.block_count\" is missing", e.problem());
        }
    }

    @Test
    void aWrongTypeNamesTheKeyTheStoredTypeAndTheExpectedOne() throws IOException {
        try (GgufFile gguf = typed()) {
            assertEquals("metadata key \"big\" has type UINT64, expected UINT32",
                    assertThrows(BadInputException.class, () -> gguf.requireU32("big")).problem());
            assertEquals("metadata key \"count\" has type UINT32, expected STRING",
                    assertThrows(BadInputException.class, () -> gguf.requireString("count")).problem());
            assertEquals("metadata key \"ids\" has type ARRAY[INT32], expected ARRAY[UINT32]",
                    assertThrows(BadInputException.class,
                            () -> gguf.requireArray("ids", GgufValueType.UINT32)).problem());
            assertEquals("metadata key \"name\" has type STRING, expected ARRAY[STRING]",
                    assertThrows(BadInputException.class, () -> gguf.requireStrings("name")).problem());
            assertEquals("metadata key \"count\" has type UINT32, expected FLOAT32",
                    assertThrows(BadInputException.class, () -> gguf.get("count", GgufValueType.FLOAT32)).problem());
        }
    }

    @Test
    void tensorLookupsNameWhatIsMissing() throws IOException {
        Path f = write(minimal(3));
        try (GgufFile gguf = GgufFile.open(f)) {
            assertEquals("no tensor named \"output.weight\" (the file has 1 tensors)",
                    assertThrows(BadInputException.class, () -> gguf.tensor("output.weight")).problem());
            GgufTensorInfo foreign = new GgufTensorInfo("t", new long[] {8}, GgmlType.F32, 0);
            assertThrows(IllegalArgumentException.class, () -> gguf.data(foreign));
        }
    }

    @Test
    void dataIsUnusableAfterClose() throws IOException {
        GgufFile gguf = GgufFile.open(write(minimal(3)));
        var data = gguf.data(gguf.tensor("t"));
        assertBytes(new byte[] {0, 0, (byte) 0x80, 0x3f}, data.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE), "f32 1");
        gguf.close();
        gguf.close();
        assertThrows(IllegalStateException.class, () -> data.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void messagesEscapeControlCharactersInNames() throws IOException {
        RawGguf raw = RawGguf.header(3, 0, 2).kvU32("line\nbreak", 1).kvU32("line\nbreak", 2);
        rejected(write(raw), "key \"line\\x0abreak\" appears twice");
        assertTrue(Files.size(dir.resolve("t.gguf")) > 0);
    }
}
