package dev.ternpack.formats.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ternpack.formats.BadInputException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Fuzz target for the GGUF reader: any bytes as a whole file, parsed from a heap segment by {@link GgufParser} (the
 * code {@link GgufFile#open} runs on the mapping). The only acceptable outcomes are a parsed header whose tensors
 * lie inside the file, or a {@link BadInputException}; anything else is a finding. Without {@code JAZZER_FUZZ}
 * the seeds in {@code GgufFuzzTestInputs/gguf/} run as regression tests.
 */
class GgufFuzzTest {
    private static final Path FILE = Path.of("fuzz.gguf");

    @FuzzTest(maxDuration = "5m")
    void gguf(byte[] content) {
        GgufParser.Result r;
        try {
            r = GgufParser.parse(FILE, MemorySegment.ofArray(content));
        } catch (BadInputException e) {
            return;
        }
        for (GgufTensorInfo t : r.tensors()) {
            if (r.dataStart() + t.offset() + t.nbytes() > content.length || t.offset() % r.alignment() != 0) {
                throw new AssertionError("accepted a tensor outside the file or misaligned: " + t);
            }
        }
        // What inspect prints of every value must not throw either.
        for (GgufValue v : r.metadata().values()) {
            v.toString();
            v.length();
            v.typeName();
        }
    }
}
