package dev.ternpack.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.gguf.GgufValue;
import dev.ternpack.formats.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFilesTest {
    @TempDir
    Path dir;

    @Test
    void publishWithoutReplaceRefusesAnExistingFileAndKeepsIt() throws IOException {
        Path target = dir.resolve("out.gguf");
        Files.write(target, new byte[] {1, 2, 3});
        Path temp = dir.resolve(".out.gguf.abc.tmp");
        Files.write(temp, new byte[] {9});
        assertThrows(FileAlreadyExistsException.class, () -> OutputFiles.publish(temp, target, false));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
        assertTrue(Files.exists(temp), "the caller removes its temp");
    }

    @Test
    void publishReplacesWhenAsked() throws IOException {
        Path target = dir.resolve("out.gguf");
        Files.write(target, new byte[] {1, 2, 3});
        Path temp = dir.resolve(".out.gguf.abc.tmp");
        Files.write(temp, new byte[] {9});
        OutputFiles.publish(temp, target, true);
        assertArrayEquals(new byte[] {9}, Files.readAllBytes(target));
        assertFalse(Files.exists(temp));
    }

    @Test
    void directoriesArePublishedWholeAndNeverMerged() throws IOException {
        Path target = dir.resolve("model-hf");
        Path temp = Files.createDirectory(dir.resolve(".model-hf.x1.tmp"));
        Files.writeString(temp.resolve("config.json"), "{}");
        OutputFiles.publish(temp, target, false);
        assertTrue(Files.isRegularFile(target.resolve("config.json")));

        Path second = Files.createDirectory(dir.resolve(".model-hf.x2.tmp"));
        Files.writeString(second.resolve("other.json"), "{}");
        assertThrows(FileAlreadyExistsException.class, () -> OutputFiles.publish(second, target, false));
        assertFalse(Files.exists(target.resolve("other.json")));

        OutputFiles.publish(second, target, true);
        assertTrue(Files.exists(target.resolve("other.json")));
        assertFalse(Files.exists(target.resolve("config.json")), "replaced, not merged");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no old or temp directory left");
        }
    }

    @Test
    void staleTempSiblingsOfKilledRunsAreRemovedButFreshOnesKept() throws IOException {
        Path target = dir.resolve("m.gguf");
        Path stale = dir.resolve(".m.gguf.k1.tmp");
        Path fresh = dir.resolve(".m.gguf.k2.tmp");
        Path unrelated = dir.resolve(".other.gguf.k3.tmp");
        for (Path p : new Path[] {stale, fresh, unrelated}) {
            Files.write(p, new byte[] {0});
        }
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Files.setLastModifiedTime(unrelated, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        OutputFiles.removeStale(target, 600_000);
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(fresh));
        assertTrue(Files.exists(unrelated));
    }

    @Test
    void aGgufWriterThatLosesTheRaceFailsCleanly() throws IOException {
        Path target = dir.resolve("race.gguf");
        try (GgufWriter w = GgufWriter.create(target)) {
            w.put("general.architecture", GgufValue.string("bitnet"));
            Files.write(target, new byte[] {42}); // the other run published first
            assertThrows(FileAlreadyExistsException.class, () -> w.commit(false));
        }
        assertArrayEquals(new byte[] {42}, Files.readAllBytes(target));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "the loser's temp file is gone");
        }
    }
}
