package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** verify's report files: whole content, an existing report replaced, no temp left, a missing directory named. */
class ReportWriteTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReplacesWithoutLeavingATemp() throws Exception {
        Path report = dir.resolve("r.json");
        VerifyCommand.write(report, "{\"a\": \"é\"}\n");
        assertEquals("{\"a\": \"é\"}\n", Files.readString(report));
        String big = "x".repeat(3_000_000) + "\n";
        VerifyCommand.write(report, big);
        assertEquals(big, Files.readString(report));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(report), s.toList(), "only the report, no temp beside it");
        }
    }

    @Test
    void aReportThatCannotBeWrittenIsNamedAndLeavesNothing() throws Exception {
        Path report = Files.createDirectories(dir.resolve("r.json"));
        Files.writeString(report.resolve("x"), "keep");
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class,
                () -> VerifyCommand.write(report, "{}"));
        assertEquals(report.toString(), e.getFile(), "the report's path, not the temp's");
        assertTrue(e.getMessage().contains("could not be written"), e.getMessage());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(report), s.toList(), "no temp left beside it");
        }
        assertEquals("keep", Files.readString(report.resolve("x")));
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path report = dir.resolve("no-such-dir").resolve("r.json");
        BadInputException e = assertThrows(BadInputException.class, () -> VerifyCommand.write(report, "{}"));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertTrue(Files.notExists(report.getParent()));
    }
}
