package dev.ternpack.formats.hf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz target for the tokenizer.json parser: any bytes written to a file and read with {@link TokenizerJson#read}
 * (it reads from a path only). The only acceptable outcomes are a parsed tokenizer or a {@link BadInputException};
 * anything else is a finding. Without {@code JAZZER_FUZZ} the seeds in
 * {@code TokenizerJsonFuzzTestInputs/tokenizer/} run as regression tests.
 */
class TokenizerJsonFuzzTest {
    private static Path dir;
    private static Path file;

    @BeforeAll
    static void createFile() throws IOException {
        dir = Files.createTempDirectory("ternpack-fuzz");
        file = dir.resolve("tokenizer.json");
    }

    @AfterAll
    static void deleteFile() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    @FuzzTest(maxDuration = "5m")
    void tokenizer(byte[] content) {
        try {
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TokenizerJson t;
        try {
            t = TokenizerJson.read(file);
        } catch (BadInputException e) {
            return;
        }
        // The accessors a GGUF writer and inspect use must work on whatever was accepted.
        for (int id = 0; id < Math.min(t.idCount(), 64); id++) {
            t.token(id);
        }
        t.merges().size();
        t.toString();
    }
}
