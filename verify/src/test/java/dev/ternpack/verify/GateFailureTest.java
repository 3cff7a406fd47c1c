package dev.ternpack.verify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.pack.LinearClass;
import dev.ternpack.verify.PackedArtifacts.Corruption;
import dev.ternpack.verify.PackedArtifacts.Damage;
import dev.ternpack.verify.PackedArtifacts.GgufKind;
import dev.ternpack.verify.eval.ProgressListener;
import dev.ternpack.verify.report.VerificationReport;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models that must fail the gate, and a verdict that says why. */
class GateFailureTest {
    static final Path LATENT = Fixtures.model("tiny-bitnet-relu2");
    static Verifier verifier;
    static Verifier.Reference reference;

    @TempDir
    Path tmp;

    @BeforeAll
    static void prepare() {
        verifier = new Verifier(PackedParityTest.options(LATENT).withMaxTokens(4 * 128));
        reference = verifier.prepareReference(LATENT, ProgressListener.NONE);
    }

    @AfterAll
    static void release() {
        reference.close();
        verifier.close();
    }

    private static void assertFailsNaming(VerificationReport r, String tensor) {
        assertFalse(r.passed(), r.verdict());
        assertTrue(r.verdict().startsWith("FAIL: " + tensor + ": "), r.verdict());
    }

    @Test
    void reversedBytesInOneTq2TensorAreNamed() {
        Path m = PackedArtifacts.gguf(LATENT, tmp.resolve("m.gguf"), GgufKind.TQ2_TENSOR,
                new Corruption(Damage.REVERSE_BYTES, 1, 5));
        VerificationReport r = verifier.verify(m, reference, ProgressListener.NONE);
        assertFailsNaming(r, PackedArtifacts.ggufName(1, 5));
        assertTrue(r.verdict().contains("trits differ"), r.verdict());
    }

    @Test
    void reversedBytesInOneTq1TensorAreNamed() {
        Path m = PackedArtifacts.gguf(LATENT, tmp.resolve("m.gguf"), GgufKind.TQ1_FOLD,
                new Corruption(Damage.REVERSE_BYTES, 0, 0));
        assertFailsNaming(verifier.verify(m, reference, ProgressListener.NONE), PackedArtifacts.ggufName(0, 0));
    }

    @Test
    void invertedScaleInHfIsNamed() {
        Path m = PackedArtifacts.hf2bit(LATENT, tmp.resolve("hf"), LinearClass.AUTOBITLINEAR,
                new Corruption(Damage.INVERT_SCALE, 2, 6));
        VerificationReport r = verifier.verify(m, reference, ProgressListener.NONE);
        assertFailsNaming(r, PackedArtifacts.hfName(2, 6));
        assertTrue(r.verdict().contains("scale"), r.verdict());
    }

    @Test
    void invertedScaleInI2sIsNamed() {
        Path m = PackedArtifacts.gguf(LATENT, tmp.resolve("m.gguf"), GgufKind.I2_S,
                new Corruption(Damage.INVERT_SCALE, 3, 1));
        assertFailsNaming(verifier.verify(m, reference, ProgressListener.NONE), PackedArtifacts.ggufName(3, 1));
    }

    @Test
    void swappedRowsInI2sAreNamed() {
        Path m = PackedArtifacts.gguf(LATENT, tmp.resolve("m.gguf"), GgufKind.I2_S,
                new Corruption(Damage.SWAP_ROWS, 0, 4));
        VerificationReport r = verifier.verify(m, reference, ProgressListener.NONE);
        assertFailsNaming(r, PackedArtifacts.ggufName(0, 4));
        assertTrue(r.verdict().contains("first in row 0"), r.verdict());
    }

    @Test
    void swappedRowsInHfBitlinearAreNamed() {
        Path m = PackedArtifacts.hf2bit(LATENT, tmp.resolve("hf"), LinearClass.BITLINEAR,
                new Corruption(Damage.SWAP_ROWS, 1, 3));
        assertFailsNaming(verifier.verify(m, reference, ProgressListener.NONE), PackedArtifacts.hfName(1, 3));
    }

    @Test
    void oneDifferentBlockScaleInATq2FileIsNamed() {
        Path m = PackedArtifacts.gguf(LATENT, tmp.resolve("m.gguf"), GgufKind.TQ2_FOLD,
                new Corruption(Damage.ONE_BLOCK_SCALE, 2, 2));
        VerificationReport r = verifier.verify(m, reference, ProgressListener.NONE);
        assertFailsNaming(r, PackedArtifacts.ggufName(2, 2));
        assertTrue(r.verdict().contains("relative error 1.00"), r.verdict());
    }

    @Test
    void unquantizedProjectionsAreDenseAndFail() {
        Path m = PackedArtifacts.gguf(LATENT, tmp.resolve("m.gguf"), GgufKind.F32_LATENT, Corruption.NONE);
        VerificationReport r = verifier.verify(m, reference, ProgressListener.NONE);
        assertFailsNaming(r, PackedArtifacts.ggufName(0, 0));
        assertTrue(r.verdict().contains("stored as f32 (dense, not ternary) instead of ternary values"), r.verdict());
    }

    @Test
    void aLatentModelTrainedInFullPrecisionIsNotTernaryRobust() {
        Path control = Fixtures.model("tiny-fp-control-f16");
        try (Verifier v = new Verifier(PackedParityTest.options(control).withMaxTokens(4 * 128));
                Verifier.Reference ref = v.prepareReference(control, ProgressListener.NONE)) {
            Path m = PackedArtifacts.gguf(control, tmp.resolve("control.gguf"), GgufKind.TQ2_TENSOR, Corruption.NONE);
            VerificationReport r = v.verify(m, ref, ProgressListener.NONE);
            assertFalse(r.passed(), r.verdict());
            assertTrue(r.verdict().contains("the latent model itself is not ternary-robust"), r.verdict());
            assertTrue(r.robustness().penalty() > 0.10, "penalty " + r.robustness().penalty());
            // the packing itself is faithful: every tensor matches the ternarized latent weights
            assertTrue(r.audits().stream().allMatch(a -> a.mismatches() == 0));
        }
    }
}
