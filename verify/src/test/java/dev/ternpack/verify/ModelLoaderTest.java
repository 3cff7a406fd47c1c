package dev.ternpack.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.pack.LinearClass;
import dev.ternpack.verify.PackedArtifacts.Corruption;
import dev.ternpack.verify.PackedArtifacts.GgufKind;
import dev.ternpack.verify.kernel.Parallel;
import dev.ternpack.verify.model.FfnActivation;
import dev.ternpack.verify.model.LatentLoader;
import dev.ternpack.verify.model.Linear;
import dev.ternpack.verify.model.ModelLoader;
import dev.ternpack.verify.model.OpenedModel;
import dev.ternpack.verify.model.Projection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Format detection, conventions read from the files, and bad input naming the file and the problem. */
class ModelLoaderTest {
    static final Path RELU2 = Fixtures.model("tiny-bitnet-relu2");
    static final Parallel PARALLEL = new Parallel(2);

    @TempDir
    Path tmp;

    @AfterAll
    static void close() {
        PARALLEL.close();
    }

    private static OpenedModel open(Path p) {
        return ModelLoader.open(p, LatentLoader.Weights.TERNARIZED, PARALLEL);
    }

    @Test
    void ggufBitnetWithoutActivationKeyIsSilu() {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.TQ2_FOLD, Corruption.NONE,
                Map.of("bitnet.hidden_activation", Optional.empty()), Set.of());
        try (OpenedModel m = open(g)) {
            assertEquals(FfnActivation.SILU, m.model().spec().activation());
            assertTrue(m.model().notes().stream().anyMatch(n -> n.contains("SiLU")), m.model().notes().toString());
        }
    }

    @Test
    void ggufBitnetB158WithoutActivationKeyIsRelu2() {
        Path g = PackedArtifacts.gguf(Fixtures.model("tiny-bitnet-silu"), tmp.resolve("m.gguf"), GgufKind.I2_S,
                Corruption.NONE, Map.of("bitnet-b1.58.hidden_activation", Optional.empty()), Set.of());
        try (OpenedModel m = open(g)) {
            assertEquals(FfnActivation.RELU2, m.model().spec().activation());
        }
    }

    @Test
    void ggufHyperParametersAndStorage() {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.TQ1_TENSOR, Corruption.NONE);
        try (OpenedModel m = open(g)) {
            var s = m.model().spec();
            assertEquals(1000, s.vocab());
            assertEquals(2, s.kvHeads());
            assertEquals(500000.0, s.ropeTheta());
            assertTrue(s.tiedHead());
            assertEquals("tq1_0 + scale tensor", m.model().projectionStorage(0, Projection.Q));
            assertTrue(m.model().weights().layers().get(0).projection(Projection.Q) instanceof Linear.Ternary);
        }
    }

    @Test
    void denseTernaryValuedProjectionsAreReadAsTernary() {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.F32_TERNARY, Corruption.NONE);
        try (OpenedModel m = open(g)) {
            assertEquals("f32 (ternary values)", m.model().projectionStorage(3, Projection.DOWN));
        }
    }

    @Test
    void hfPackedLinearClassIsRead() {
        Path d = PackedArtifacts.hf2bit(RELU2, tmp.resolve("hf"), LinearClass.BITLINEAR, Corruption.NONE);
        try (OpenedModel m = open(d)) {
            assertEquals("hf-2bit", m.model().kind());
            assertTrue(m.model().format().contains("bitlinear"), m.model().format());
        }
    }

    @Test
    void missingGgufTensorIsNamed() {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.TQ2_FOLD, Corruption.NONE, Map.of(),
                Set.of("blk.2.ffn_down.weight"));
        BadInputException e = assertThrows(BadInputException.class, () -> open(g).close());
        assertEquals(g, e.file());
        assertTrue(e.problem().contains("blk.2.ffn_down.weight"), e.problem());
    }

    @Test
    void unknownArchitectureIsBadInput() {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.TQ2_FOLD, Corruption.NONE,
                Map.of("general.architecture", Optional.of(GgufValue.string("llama"))), Set.of());
        BadInputException e = assertThrows(BadInputException.class, () -> open(g).close());
        assertTrue(e.problem().contains("llama"), e.problem());
    }

    @Test
    void packedShapeContradictingConfigIsNamed() throws IOException {
        Path d = PackedArtifacts.hf2bit(RELU2, tmp.resolve("hf"), LinearClass.AUTOBITLINEAR, Corruption.NONE);
        JsonObject cfg = Fixtures.json(d.resolve("config.json"));
        cfg.addProperty("intermediate_size", 1024);
        Files.writeString(d.resolve("config.json"), cfg.toString());
        BadInputException e = assertThrows(BadInputException.class, () -> open(d).close());
        assertTrue(e.problem().contains("model.layers.0.mlp.gate_proj.weight"), e.problem());
        assertTrue(e.problem().contains("config.json"), e.problem());
    }

    @Test
    void packedWithoutQuantizationConfigIsBadInput() throws IOException {
        Path d = PackedArtifacts.hf2bit(RELU2, tmp.resolve("hf"), LinearClass.AUTOBITLINEAR, Corruption.NONE);
        JsonObject cfg = Fixtures.json(d.resolve("config.json"));
        cfg.remove("quantization_config");
        Files.writeString(d.resolve("config.json"), cfg.toString());
        BadInputException e = assertThrows(BadInputException.class, () -> open(d).close());
        assertTrue(e.problem().contains("quantization_config"), e.problem());
    }

    @Test
    void notAModel() throws IOException {
        Path f = Files.writeString(tmp.resolve("x.bin"), "hello");
        BadInputException e = assertThrows(BadInputException.class, () -> open(f).close());
        assertEquals(f, e.file());
        assertThrows(BadInputException.class, () -> open(tmp.resolve("missing")).close());
        assertThrows(BadInputException.class, () -> open(tmp).close());
    }
}
