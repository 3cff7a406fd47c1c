package dev.ternpack.formats.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ternpack.formats.BadInputException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Fuzz target for the safetensors header parser: any bytes as a whole file. The only acceptable outcomes are a
 * parsed header whose entries lie inside the data section, or a {@link BadInputException}; anything else (another
 * exception, an allocation failure, a hang) is a finding. Without {@code JAZZER_FUZZ} the seeds in
 * {@code SafetensorsHeaderFuzzTestInputs/header/} run as regression tests.
 */
class SafetensorsHeaderFuzzTest {
    private static final Path FILE = Path.of("fuzz.safetensors");

    @FuzzTest(maxDuration = "5m")
    void header(byte[] content) {
        SafetensorsHeader header;
        try {
            header = SafetensorsHeader.read(FILE, MemorySegment.ofArray(content));
        } catch (BadInputException e) {
            return;
        }
        long end = 0;
        for (SafetensorsHeader.Entry e : header.entries()) {
            if (e.end() > header.dataSize() || e.begin() < end && e.byteSize() > 0) {
                throw new AssertionError("accepted an entry outside the data or overlapping: " + e);
            }
            end = Math.max(end, e.end());
        }
        if (header.dataStart() + header.dataSize() != content.length || header.unclaimedBytes() < 0) {
            throw new AssertionError("sizes do not add up: " + header.dataStart() + " + " + header.dataSize()
                    + " vs " + content.length);
        }
    }
}
