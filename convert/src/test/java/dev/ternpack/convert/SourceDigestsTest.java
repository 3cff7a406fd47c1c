package dev.ternpack.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The input digests computed on their own thread: sha256sum's lines, and an unreadable input named as such. */
class SourceDigestsTest {
    @TempDir
    Path tmp;

    @Test
    void linesAreSha256sumsOfEveryFileInOrder() throws Exception {
        // 150 MB spans three 64 MB mapping windows and ends inside the last one.
        byte[] big = new byte[150_000_007];
        new Random(7).nextBytes(big);
        Path a = Files.write(tmp.resolve("a.safetensors"), big);
        Path b = Files.writeString(tmp.resolve("config.json"), "{}\n");
        Path empty = Files.write(tmp.resolve("empty.json"), new byte[0]);
        List<String> expected = List.of(hex(big) + "  a.safetensors", hex("{}\n".getBytes()) + "  config.json",
                hex(new byte[0]) + "  empty.json");
        for (int threads : new int[] {1, 3}) { // in file order however many files are hashed at once
            try (SourceDigests d = SourceDigests.start(List.of(a, b, empty), threads)) {
                assertEquals(List.of("0".repeat(64) + "  a.safetensors", "0".repeat(64) + "  config.json",
                        "0".repeat(64) + "  empty.json"), d.placeholders());
                assertEquals(expected, d.await(), threads + " threads");
            }
        }
    }

    @Test
    void anInputThatCannotBeReadIsBadInputNamingIt() {
        Path missing = tmp.resolve("model-00002-of-00002.safetensors");
        try (SourceDigests d = SourceDigests.start(List.of(missing))) {
            BadInputException e = assertThrows(BadInputException.class, d::await);
            assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("cannot read"),
                    e.getMessage());
        }
    }

    private static String hex(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
