package dev.ternpack.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.verify.PackedArtifacts.Corruption;
import dev.ternpack.verify.PackedArtifacts.GgufKind;
import dev.ternpack.verify.eval.ProgressListener;
import dev.ternpack.verify.report.VerificationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token input, windows and the perplexity-only run. */
class VerifierInputTest {
    static final Path RELU2 = Fixtures.model("tiny-bitnet-relu2");

    @TempDir
    Path tmp;

    @Test
    void textIsTokenizedWithTheModelsTokenizer() throws IOException {
        // eval.txt tokenized through DJL gives eval_tokens.txt exactly (fixture README: encode(eval.txt))
        String text = Files.readString(Fixtures.EVAL_TEXT);
        Path t = Files.writeString(tmp.resolve("t.txt"), text);
        try (Verifier v = new Verifier(VerifyOptions.of(RELU2, null, t, null).withMaxTokens(128))) {
            assertArrayEquals(Fixtures.evalTokens(), v.tokens());
            assertEquals(1, v.windows().count());
        }
    }

    @Test
    void perplexityOnlyRunHasNoGate() {
        VerificationReport r = Verifier.run(VerifyOptions.of(RELU2, null, null, Fixtures.EVAL_TOKENS)
                .withMaxTokens(2 * 128 + 5).withThreads(2), ProgressListener.NONE);
        assertNull(r.gate());
        assertTrue(r.passed());
        assertEquals(2, r.settings().windows());
        assertEquals(2 * 127, r.candidatePerplexity().predictions());
        assertTrue(r.verdict().startsWith("perplexity "), r.verdict());
    }

    @Test
    void badTokenFilesNameTheProblem() throws IOException {
        Path f = Files.writeString(tmp.resolve("ids.txt"), "1 2 three 4");
        BadInputException e = assertThrows(BadInputException.class,
                () -> new Verifier(VerifyOptions.of(RELU2, null, null, f)).close());
        assertEquals(f, e.file());
        assertTrue(e.problem().contains("three"), e.problem());

        Path few = Files.writeString(tmp.resolve("few.txt"), "1 2 3");
        e = assertThrows(BadInputException.class, () -> new Verifier(VerifyOptions.of(RELU2, null, null, few)).close());
        assertTrue(e.problem().contains("do not fill one window"), e.problem());

        int[] ids = new int[128];
        ids[100] = 5000;
        Path big = Files.writeString(tmp.resolve("big.txt"), String.join(" ", Arrays.stream(ids).mapToObj(Integer::toString).toList()));
        e = assertThrows(BadInputException.class, () -> Verifier.run(VerifyOptions.of(RELU2, null, null, big)
                .withThreads(1), ProgressListener.NONE));
        assertTrue(e.problem().contains("token 100 has id 5000"), e.problem());
    }

    @Test
    void textWithoutTokenizerIsBadInput() throws IOException {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.TQ2_FOLD, Corruption.NONE);
        Path t = Files.writeString(tmp.resolve("t.txt"), "hello");
        BadInputException e = assertThrows(BadInputException.class,
                () -> new Verifier(VerifyOptions.of(g, null, t, null)).close());
        assertTrue(e.problem().contains("--tokenizer"), e.problem());
    }

    @Test
    void tokenizerFallsBackToTheReferenceDirectory() throws IOException {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.TQ2_FOLD, Corruption.NONE);
        Path t = Files.writeString(tmp.resolve("t.txt"), Files.readString(Fixtures.EVAL_TEXT));
        try (Verifier v = new Verifier(VerifyOptions.of(g, RELU2, t, null).withMaxTokens(128))) {
            assertArrayEquals(Fixtures.evalTokens(), v.tokens());
        }
    }

    @Test
    void referenceMustBeLatent() {
        Path g = PackedArtifacts.gguf(RELU2, tmp.resolve("m.gguf"), GgufKind.TQ2_FOLD, Corruption.NONE);
        try (Verifier v = new Verifier(VerifyOptions.of(null, g, null, Fixtures.EVAL_TOKENS).withMaxTokens(128))) {
            BadInputException e = assertThrows(BadInputException.class, () -> v.prepareReference(g, ProgressListener.NONE));
            assertTrue(e.problem().contains("latent"), e.problem());
        }
    }
}
