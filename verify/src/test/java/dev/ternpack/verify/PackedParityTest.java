package dev.ternpack.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.DType;
import dev.ternpack.pack.LinearClass;
import dev.ternpack.verify.PackedArtifacts.Corruption;
import dev.ternpack.verify.PackedArtifacts.GgufKind;
import dev.ternpack.verify.eval.ProgressListener;
import dev.ternpack.verify.report.VerificationReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every packed format, written from a fixture with pack's layouts, verified against the same fixture's latent
 * weights through one prepared {@link Verifier.Reference}: lossless formats within 1e-4 relative perplexity,
 * TQ with the scale folded into fp16 block scales within 0.5%, and the gate passes for all.
 */
class PackedParityTest {
    @TempDir
    Path tmp;

    static VerifyOptions options(Path reference) {
        return VerifyOptions.of(null, reference, null, Fixtures.EVAL_TOKENS).withMaxTokens(6 * 128).withThreads(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-bitnet-relu2", "tiny-bitnet-silu"})
    void everyFormatMatchesTheLatentModel(String name) {
        Path latent = Fixtures.model(name);
        List<String> problems = new ArrayList<>();
        try (Verifier v = new Verifier(options(latent));
                Verifier.Reference ref = v.prepareReference(latent, ProgressListener.NONE)) {
            assertTrue(ref.robustness().penalty() < 0.10, "a trained BitNet fixture is ternary-robust");
            List<Path> models = new ArrayList<>();
            for (GgufKind k : GgufKind.values()) {
                if (k == GgufKind.F32_LATENT) {
                    continue; // not a packed form of the model (GateFailureTest)
                }
                models.add(PackedArtifacts.gguf(latent, tmp.resolve(k + ".gguf"), k, Corruption.NONE));
            }
            for (LinearClass lc : LinearClass.values()) {
                models.add(PackedArtifacts.hf2bit(latent, tmp.resolve("hf-" + lc), lc, Corruption.NONE));
                if (name.equals("tiny-bitnet-relu2")) {
                    // weight_scale in the model dtype bf16, as a converter may write it: gamma rounded to 8 bits
                    models.add(PackedArtifacts.hf2bit(latent, tmp.resolve("hf-bf16-" + lc), lc, Corruption.NONE,
                            DType.BF16));
                }
            }
            for (Path m : models) {
                VerificationReport r = v.verify(m, ref, ProgressListener.NONE);
                double delta = Math.abs(r.parity().relativePerplexityDelta());
                // a scale rounded to fp16 (TQ fold) or bf16 (weight_scale) moves perplexity a little
                boolean fold = m.getFileName().toString().contains("FOLD") || m.getFileName().toString().contains("bf16");
                double limit = fold ? 5e-3 : 1e-4;
                if (!(delta < limit)) {
                    problems.add(m.getFileName() + ": relative ppl delta " + delta + " >= " + limit);
                }
                System.out.printf("%s %s: ppl delta %.3g, mean KL %.3g, top-1 %.4f%n", name, m.getFileName(),
                        r.parity().relativePerplexityDelta(), r.parity().meanKl(), r.parity().top1());
                if (!r.passed()) {
                    problems.add(m.getFileName() + ": " + r.verdict());
                }
                if (r.audits().size() != 7 * r.candidate().layers()) {
                    problems.add(m.getFileName() + ": " + r.audits().size() + " audited tensors");
                }
                assertEquals(r.parity().reference().perplexity(), ref.perplexity().perplexity(), 0.0);
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
