package dev.ternpack.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.gguf.GgmlType;
import dev.ternpack.formats.gguf.GgufFile;
import dev.ternpack.formats.gguf.GgufTensorInfo;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import dev.ternpack.pack.AbsmeanQuantizer;
import dev.ternpack.pack.I2sLayout;
import dev.ternpack.pack.PackedTensor;
import dev.ternpack.pack.ScaleMode;
import dev.ternpack.pack.TernaryLayout;
import dev.ternpack.pack.Tq1Layout;
import dev.ternpack.pack.Tq2Layout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepackerTest {
    @TempDir
    Path tmp;

    /** Trits of every ternary tensor of a GGUF, by GGUF name, unpacked with the layout its type and .scale imply. */
    static Map<String, byte[]> trits(Path file) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (GgufFile g = GgufFile.open(file)) {
            for (GgufTensorInfo t : g.tensors()) {
                String scale = t.name().replace(".weight", ".scale");
                boolean tensorMode = g.findTensor(scale).isPresent();
                TernaryLayout layout = switch (t.type()) {
                    case TQ2_0 -> tensorMode ? Tq2Layout.TENSOR_SCALE : Tq2Layout.FOLD;
                    case TQ1_0 -> tensorMode ? Tq1Layout.TENSOR_SCALE : Tq1Layout.FOLD;
                    case I2_S -> I2sLayout.INSTANCE;
                    default -> null;
                };
                if (layout == null) {
                    continue;
                }
                int rows = (int) t.ne()[1];
                int cols = (int) t.ne()[0];
                PackedTensor p = tensorMode ? PackedTensor.of(t.name(), file, rows, cols, g.data(t),
                        g.data(g.tensor(scale)).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0))
                        : PackedTensor.of(t.name(), file, rows, cols, g.data(t));
                out.put(t.name(), layout.unpack(p).trits());
            }
        }
        return out;
    }

    static void assertLatentTrits(Path latentDir, Map<String, byte[]> trits) {
        try (SafetensorsCheckpoint latent = SafetensorsCheckpoint.open(latentDir)) {
            assertEquals(28, trits.size());
            for (var e : trits.entrySet()) {
                String[] p = e.getKey().split("\\.");
                String part = ConverterTest.GGUF_BASE.entrySet().stream().filter(x -> x.getValue().equals(p[2]))
                        .findFirst().orElseThrow().getKey();
                String hf = "model.layers." + p[1] + "." + part + ".weight";
                assertArrayEquals(AbsmeanQuantizer.ternarize(latent.tensor(hf)).tensor().trits(), e.getValue(), hf);
            }
        }
    }

    @Test
    void ggufRoundTripKeepsTritsAndBytes() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-silu");
        Path tq2 = tmp.resolve("a-tq2.gguf");
        Converter.convert(ConvertOptions.of(in, OutputFormat.TQ2_0, tq2), ConvertListener.NONE);
        Path tq1 = tmp.resolve("b-tq1.gguf");
        Repacker.repack(ConvertOptions.of(tq2, OutputFormat.TQ1_0, tq1), ConvertListener.NONE);
        Path i2s = tmp.resolve("c-i2s.gguf");
        ConvertResult r = Repacker.repack(ConvertOptions.of(tq1, OutputFormat.I2_S, i2s), ConvertListener.NONE);
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("fork")));
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(i2s))), r.sha256(), "the summary's sha256 is the written file's");
        Path tensor = tmp.resolve("d-tq1-tensor.gguf");
        Repacker.repack(ConvertOptions.of(i2s, OutputFormat.TQ1_0, tensor).withScaleMode(ScaleMode.TENSOR),
                ConvertListener.NONE);
        Path back = tmp.resolve("e-tq2.gguf");
        Repacker.repack(ConvertOptions.of(tensor, OutputFormat.TQ2_0, back), ConvertListener.NONE);
        for (Path p : List.of(tq2, tq1, i2s, tensor, back)) {
            assertLatentTrits(in, trits(p));
        }
        try (GgufFile a = GgufFile.open(tq2); GgufFile b = GgufFile.open(back); GgufFile c = GgufFile.open(i2s)) {
            assertEquals("bitnet-b1.58", c.requireString("general.architecture"));
            assertEquals(256, c.requireU32("bitnet-b1.58.embedding_length"));
            assertEquals(GgmlType.I2_S, c.tensor("blk.0.attn_q.weight").type());
            for (GgufTensorInfo t : a.tensors()) {
                assertArrayEquals(a.data(t).toArray(ValueLayout.JAVA_BYTE),
                        b.data(b.tensor(t.name())).toArray(ValueLayout.JAVA_BYTE), t.name());
            }
            assertEquals(a.requireStrings("tokenizer.ggml.tokens"), b.requireStrings("tokenizer.ggml.tokens"));
            assertEquals(a.requireU32("bitnet.block_count"), b.requireU32("bitnet.block_count"));
        }
    }

    @Test
    void hfToGgufKeepsTrits() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-relu2");
        Path hf = tmp.resolve("hf");
        Converter.convert(ConvertOptions.of(in, OutputFormat.HF_2BIT, hf), ConvertListener.NONE);
        for (OutputFormat f : List.of(OutputFormat.TQ2_0, OutputFormat.TQ1_0, OutputFormat.I2_S)) {
            Path out = tmp.resolve(f.cliName() + ".gguf");
            ConvertResult r = Repacker.repack(ConvertOptions.of(hf, f, out), ConvertListener.NONE);
            assertLatentTrits(in, trits(out));
            assertEquals(4 * (256L * 256 * 2 + 128 * 256 * 2 + 768 * 256 * 3), r.ternaryWeights());
            try (GgufFile g = GgufFile.open(out)) {
                assertEquals(GgmlType.F16, g.tensor("token_embd.weight").type());
                assertEquals(GgmlType.F32, g.tensor("output_norm.weight").type());
                assertEquals("gpt2", g.requireString("tokenizer.ggml.model"));
            }
        }
    }

    @Test
    void refusesGgufToHfAndUntiedHeadToStockGguf() throws Exception {
        Path in = TinyCheckpoint.fixture("tiny-bitnet-silu");
        Path tq2 = tmp.resolve("a.gguf");
        Converter.convert(ConvertOptions.of(in, OutputFormat.TQ2_0, tq2), ConvertListener.NONE);
        BadInputException e = assertThrows(BadInputException.class, () -> Repacker.repack(
                ConvertOptions.of(tq2, OutputFormat.HF_2BIT, tmp.resolve("hf")), ConvertListener.NONE));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("hf")));

        Path untied = TinyCheckpoint.write(tmp.resolve("untied"), 256, 256, 1, true, "BitNetForCausalLM", "bitnet");
        Path i2s = tmp.resolve("u.gguf");
        Converter.convert(ConvertOptions.of(untied, OutputFormat.I2_S, i2s), ConvertListener.NONE);
        e = assertThrows(BadInputException.class, () -> Repacker.repack(
                ConvertOptions.of(i2s, OutputFormat.TQ2_0, tmp.resolve("u2.gguf")), ConvertListener.NONE));
        assertTrue(e.getMessage().contains("output.weight"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("u2.gguf")));
        e = assertThrows(BadInputException.class, () -> Repacker.repack(
                ConvertOptions.of(tq2, OutputFormat.TQ1_0, tq2).withForce(true), ConvertListener.NONE));
        assertTrue(e.getMessage().contains("input itself"), e.getMessage());
    }
}
