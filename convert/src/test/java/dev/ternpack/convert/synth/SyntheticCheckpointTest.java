package dev.ternpack.convert.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCheckpointTest {

    @Test
    void writesALoadableCheckpointWithRealisticWeights(@TempDir Path dir) throws Exception {
        var shape = new SyntheticCheckpoint.Shape(256, 512, 2, 4, 2, 1000, "relu2", 500000.0);
        long[] written = {0};
        SyntheticCheckpoint.write(dir, shape, 7, n -> written[0] += n);
        try (var src = SafetensorsCheckpoint.open(dir)) {
            assertEquals(1 + 2 * 11 + 1, src.names().size());
            assertArrayEquals(new long[] {128, 256}, src.tensor("model.layers.1.self_attn.k_proj.weight").shape());
            float[] w = FloatDecoding.decodeAll(src.tensor("model.layers.0.mlp.down_proj.weight"));
            double sum = 0;
            double sq = 0;
            for (float v : w) {
                sum += v;
                sq += v * v;
            }
            double mean = sum / w.length;
            double std = Math.sqrt(sq / w.length - mean * mean);
            assertTrue(Math.abs(mean) < 1e-3, "mean " + mean);
            assertTrue(Math.abs(std - 0.02) < 1e-3, "std " + std);
            assertEquals(1.0f, FloatDecoding.decodeAll(src.tensor("model.norm.weight"))[0]);
            long total = src.names().stream().mapToLong(n -> src.tensor(n).byteSize()).sum();
            assertEquals(total, written[0]);
        }
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            assertArrayEquals(new long[] {999}, tok.encode("<|end_of_text|>", false, false).getIds());
            Encoding e = tok.encode("baba cab", false, false);
            assertEquals("baba cab", tok.decode(e.getIds()));
            assertTrue(e.getIds().length < "baba cab".length(), "merges apply");
        }
    }
}
