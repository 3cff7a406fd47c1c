package dev.ternpack.formats.gguf;

import static dev.ternpack.formats.gguf.ByteAsserts.assertBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte-level worked example of FORMATS.md §2.4 (built there with gguf-py and reread with ggml's
 * gguf_init_from_file: version 3, alignment 32, data_offset 288, offsets 0 and 160). The expected bytes are
 * written out here field by field from that dump and the GGUF layout, not produced by the writer.
 */
class GgufGoldenTest {
    private static final HexFormat HEX = HexFormat.of();

    /** FORMATS.md §1.5: the TQ2_0 block for x[0]=+1, x[64]=-1, x[96]=+1, ... with scale 0.5 (fp16 0x3800). */
    private static final String TQ2_0_BLOCK_1_5 = "8654" + "55".repeat(30)
            + "0156" + "55".repeat(14) + "81555555" + "15" + "55".repeat(7) + "95555555"
            + "0038";
    /** FORMATS.md Appendix A, V1 TQ2_0: t[i] = (i % 3) - 1, scale 1.0. */
    private static final String TQ2_0_BLOCK_V1 =
            "186186186186186186186186186186186186186186186186186186186186186186"
            + "18618618618618618618618618618618618618618618618618618618618618003c";

    @TempDir
    Path dir;

    private static String ascii(String s) {
        return HEX.formatHex(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** The whole 480-byte file, with the §2.4 dump's offsets checked as it is assembled. */
    private static byte[] expectedFile() {
        StringBuilder hex = new StringBuilder();
        // 0x0000: magic "GGUF" | u32 version 3 | u64 tensor_count 2 | u64 metadata_kv_count 3
        hex.append("47475546").append("03000000").append("0200000000000000").append("0300000000000000");
        assertEquals(0x18, hex.length() / 2);
        // kv: u64 20 "general.architecture" | u32 8 (STRING) | u64 6 "bitnet"
        hex.append("1400000000000000").append(ascii("general.architecture")).append("08000000")
                .append("0600000000000000").append(ascii("bitnet"));
        assertEquals(0x46, hex.length() / 2);
        // kv: u64 18 "bitnet.block_count" | u32 4 (UINT32) | u32 1
        hex.append("1200000000000000").append(ascii("bitnet.block_count")).append("04000000").append("01000000");
        assertEquals(0x68, hex.length() / 2);
        // kv: u64 39 "bitnet.attention.layer_norm_rms_epsilon" | u32 6 (FLOAT32) | f32 1e-5
        hex.append("2700000000000000").append(ascii("bitnet.attention.layer_norm_rms_epsilon")).append("06000000")
                .append("acc52737");
        assertEquals(0x9f, hex.length() / 2);
        // tinfo: u64 19 "blk.0.attn_q.weight" | u32 n_dims 2 | u64 ne0 256 | u64 ne1 2 | u32 35 (TQ2_0) | u64 0
        hex.append("1300000000000000").append(ascii("blk.0.attn_q.weight")).append("02000000")
                .append("0001000000000000").append("0200000000000000").append("23000000").append("0000000000000000");
        assertEquals(0xda, hex.length() / 2);
        // tinfo: u64 22 "blk.0.attn_norm.weight" | u32 n_dims 1 | u64 ne0 3 | u32 0 (F32) | u64 160 = pad(132, 32)
        hex.append("1600000000000000").append(ascii("blk.0.attn_norm.weight")).append("01000000")
                .append("0300000000000000").append("00000000").append("a000000000000000");
        assertEquals(0x110, hex.length() / 2);
        hex.append("00".repeat(16)); // padding: the data section starts at 0x120 = 288
        assertEquals(288, hex.length() / 2);
        // attn_q: two TQ2_0 blocks of 66 bytes (one per row), 132 bytes padded to 160
        hex.append(TQ2_0_BLOCK_1_5).append(TQ2_0_BLOCK_V1).append("00".repeat(28));
        assertEquals(288 + 160, hex.length() / 2);
        // attn_norm: f32 1.0, 0.5, -2.0, 12 bytes padded to 32
        hex.append("0000803f").append("0000003f").append("000000c0").append("00".repeat(20));
        assertEquals(480, hex.length() / 2);
        return HEX.parseHex(hex);
    }

    private static byte[] attnQ() {
        return HEX.parseHex(TQ2_0_BLOCK_1_5 + TQ2_0_BLOCK_V1);
    }

    private static byte[] attnNorm() {
        return HEX.parseHex("0000803f0000003f000000c0");
    }

    @Test
    void theSpecBlocksAreWhatTheSpecSays() {
        assertEquals(66, HEX.parseHex(TQ2_0_BLOCK_1_5).length);
        assertEquals(66, HEX.parseHex(TQ2_0_BLOCK_V1).length);
        assertEquals(0x3727C5AC, Float.floatToRawIntBits(1e-5f), "f32 1e-5 is stored as ac c5 27 37");
    }

    @Test
    void writerProducesTheWorkedExampleByteForByte() throws IOException {
        Path target = dir.resolve("golden.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("general.architecture", GgufValue.string("bitnet"));
            w.put("bitnet.block_count", GgufValue.u32(1));
            w.put("bitnet.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
            GgufTensorInfo q = w.addTensor("blk.0.attn_q.weight", GgmlType.TQ2_0, 256, 2);
            GgufTensorInfo norm = w.addTensor("blk.0.attn_norm.weight", GgmlType.F32, 3);
            assertEquals(0, q.offset());
            assertEquals(160, norm.offset());
            assertEquals(288, w.dataStart());
            assertEquals(480, w.plannedFileSize());
            w.writeTensorData("blk.0.attn_q.weight", MemorySegment.ofArray(attnQ()));
            w.writeTensorData("blk.0.attn_norm.weight", MemorySegment.ofArray(attnNorm()));
            w.commit();
        }
        assertBytes(expectedFile(), Files.readAllBytes(target), "golden.gguf");
    }

    @Test
    void readerReadsTheWorkedExample() throws IOException {
        Path file = dir.resolve("golden.gguf");
        Files.write(file, expectedFile());
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(3, gguf.version());
            assertEquals(32, gguf.alignment());
            assertEquals(288, gguf.dataStart());
            assertTrue(gguf.sequentialLayout());
            assertEquals(List.of("general.architecture", "bitnet.block_count",
                    "bitnet.attention.layer_norm_rms_epsilon"), List.copyOf(gguf.metadata().keySet()));
            assertEquals("bitnet", gguf.requireString("general.architecture"));
            assertEquals(1, gguf.requireU32("bitnet.block_count"));
            assertEquals(1e-5f, gguf.requireF32("bitnet.attention.layer_norm_rms_epsilon"));

            GgufTensorInfo q = gguf.tensor("blk.0.attn_q.weight");
            assertEquals(GgmlType.TQ2_0, q.type());
            assertArrayEquals(new long[] {256, 2}, q.ne());
            assertArrayEquals(new long[] {2, 256}, q.shape(), "PyTorch order [out, in]");
            assertEquals(0, q.offset());
            assertEquals(132, q.nbytes());
            assertBytes(attnQ(), gguf.data(q).toArray(ValueLayout.JAVA_BYTE), "attn_q data");

            GgufTensorInfo norm = gguf.tensor("blk.0.attn_norm.weight");
            assertEquals(GgmlType.F32, norm.type());
            assertArrayEquals(new long[] {3}, norm.ne());
            assertEquals(160, norm.offset());
            assertBytes(attnNorm(), gguf.data(norm).toArray(ValueLayout.JAVA_BYTE), "attn_norm data");
            assertEquals(List.of(q, norm), gguf.tensors());
        }
    }

    /**
     * testdata/golden/formats-md-2.4.gguf was written by gguf-py's GGUFWriter (tools/make_gguf_py_files.py), as
     * FORMATS.md says the example was built; it must be these hand-written bytes, so both readings of §2.4 agree.
     */
    @Test
    void ggufPyWroteTheSameBytes() throws IOException {
        Path golden = Path.of(System.getProperty("ternpack.root"), "testdata", "golden", "formats-md-2.4.gguf");
        assertBytes(expectedFile(), Files.readAllBytes(golden), "formats-md-2.4.gguf");
    }
}
