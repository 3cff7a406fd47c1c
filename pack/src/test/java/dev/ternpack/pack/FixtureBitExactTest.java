package dev.ternpack.pack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ternpack.formats.DType;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The quantizer and the TQ layouts against the fixtures' independent references, for every projection of the
 * two trained BitNet checkpoints: reference.json (PyTorch: gamma, trit counts, sha256 of the int8 trits) and
 * golden/gguf-py-tq.json (llama.cpp's gguf-py quantizing {@code trit * gamma}: sha256 and first block of the
 * TQ2_0 and TQ1_0 bytes, fold mode). Both implementations must match them bit for bit.
 *
 * <p>The tensors are read with the formats module's {@link SafetensorsCheckpoint}, which was merged before this
 * test was written (so no test-only safetensors reader was needed).
 */
class FixtureBitExactTest {

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu"})
    void everyProjectionMatchesThePyTorchReference(String model) throws IOException {
        JsonObject projections = json(Fixtures.MODELS.resolve(model).resolve("reference.json")).getAsJsonObject("projections");
        assertEquals(28, projections.size(), "4 layers x 7 projections");
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Fixtures.MODELS.resolve(model))) {
            for (Map.Entry<String, com.google.gson.JsonElement> e : projections.entrySet()) {
                String name = e.getKey();
                JsonObject ref = e.getValue().getAsJsonObject();
                Tensor w = ckpt.tensor(name);
                assertEquals(ref.get("stored_dtype").getAsString(), w.dtype().safetensorsName(), name);
                for (Implementation impl : Implementation.values()) {
                    String where = model + " " + name + " " + impl;
                    Ternarization r = AbsmeanQuantizer.ternarize(w, impl);
                    assertEquals(ref.get("gamma_f32_bits").getAsString(),
                            String.format("0x%08x", Float.floatToRawIntBits(r.gamma())), where + " gamma bits");
                    JsonObject counts = ref.getAsJsonObject("trit_counts");
                    assertEquals(new TritStats(counts.get("-1").getAsLong(), counts.get("0").getAsLong(),
                            counts.get("+1").getAsLong(), r.stats().nearThreshold()), r.stats(), where + " trit counts");
                    assertEquals(ref.get("trits_sha256_int8_rowmajor").getAsString(), sha256(r.tensor().trits()),
                            where + " sha256 of the int8 trits");
                    assertEquals(ref.getAsJsonArray("shape").get(0).getAsInt(), r.tensor().rows(), where);
                    assertEquals(ref.getAsJsonArray("shape").get(1).getAsInt(), r.tensor().cols(), where);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu"})
    void foldedTqBytesMatchGgufPy(String model) throws IOException {
        JsonObject golden = json(Fixtures.TESTDATA.resolve("golden/gguf-py-tq.json")).getAsJsonObject("models")
                .getAsJsonObject(model);
        assertEquals(28, golden.size());
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Fixtures.MODELS.resolve(model));
                Arena arena = Arena.ofConfined()) {
            for (Map.Entry<String, com.google.gson.JsonElement> e : golden.entrySet()) {
                Tensor w = ckpt.tensor(e.getKey());
                for (TernaryLayout layout : new TernaryLayout[] {Tq2Layout.FOLD, Tq1Layout.FOLD}) {
                    JsonObject g = e.getValue().getAsJsonObject().getAsJsonObject(layout == Tq2Layout.FOLD ? "tq2_0" : "tq1_0");
                    int blockBytes = layout == Tq2Layout.FOLD ? Tq2Layout.BLOCK_BYTES : Tq1Layout.BLOCK_BYTES;
                    for (Implementation impl : Implementation.values()) {
                        String where = model + " " + e.getKey() + " " + layout.displayName() + " " + impl;
                        long rows = w.dim(0);
                        long cols = w.dim(1);
                        assertEquals(g.get("bytes").getAsLong(), layout.packedSize(rows, cols), where + " size");
                        MemorySegment dst = arena.allocate(layout.packedSize(rows, cols));
                        PackedTernarization p = AbsmeanQuantizer.ternarizeAndPack(w, layout, dst, impl);
                        assertTrue(p.scaleTensor().isEmpty(), "fold mode writes no scale tensor");
                        byte[] bytes = Bytes.toArray(dst);
                        Bytes.assertBlocksEqual(HexFormat.of().parseHex(g.get("first_block_hex").getAsString()),
                                java.util.Arrays.copyOf(bytes, blockBytes), blockBytes, where + " first block");
                        assertEquals(g.get("sha256").getAsString(), sha256(bytes), where + " sha256");
                        assertEquals(e.getValue().getAsJsonObject().get("gamma_f32_bits").getAsString(),
                                String.format("0x%08x", Float.floatToRawIntBits(p.scale().gamma())), where);
                    }
                }
            }
        }
    }

    /** The F16 negative control has no reference; its trits must still be sane: finite scale, all three values used. */
    @Test
    void f16ControlGivesSaneTrits() {
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(Fixtures.MODELS.resolve("tiny-fp-control-f16"))) {
            int projections = 0;
            for (String name : ckpt.names()) {
                if (!name.endsWith("_proj.weight")) {
                    continue;
                }
                projections++;
                Tensor w = ckpt.tensor(name);
                assertEquals(DType.F16, w.dtype(), name);
                Ternarization fast = AbsmeanQuantizer.ternarize(w, Implementation.FAST);
                Ternarization ref = AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE);
                assertEquals(ref.tensor(), fast.tensor(), name + ": F16 goes through the reference in both");
                float gamma = fast.gamma();
                assertTrue(Float.isFinite(gamma) && gamma > 1e-4f && gamma < 1f, name + " gamma " + gamma);
                TritStats s = fast.stats();
                assertTrue(s.minusOnes() > 0 && s.plusOnes() > 0 && s.zeros() > 0, name + " " + s);
                // Roughly symmetric around zero, and for Gaussian-like weights about a third are zero.
                assertTrue(Math.abs(s.minusOnes() - s.plusOnes()) < s.total() / 10, name + " " + s);
                assertTrue(s.sparsity() > 0.2 && s.sparsity() < 0.6, name + " sparsity " + s.sparsity());
                float[] deq = fast.tensor().dequantize();
                for (float v : deq) {
                    assertFalse(Float.isNaN(v), name);
                }
            }
            assertEquals(28, projections);
        }
    }
}
