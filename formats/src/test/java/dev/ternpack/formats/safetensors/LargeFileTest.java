package dev.ternpack.formats.safetensors;

import static dev.ternpack.formats.safetensors.RawFiles.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.DType;
import dev.ternpack.formats.FloatDecoding;
import dev.ternpack.formats.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offsets past 2^31: a sparse file of about 2 GiB + 4 KiB that uses almost no disk. */
class LargeFileTest {
    /** A U8 tensor covering 2^31 + 5 bytes (odd, so the next tensor is unaligned), then 4 floats. */
    private static final long GAP = (1L << 31) + 5;

    @TempDir
    Path dir;

    @Test
    void readsATensorStoredPastTwoGibibytes() throws IOException {
        String header = "{" + entry("gap", "U8", "[" + GAP + "]", 0, GAP) + ","
                + entry("tail", "F32", "[2,2]", GAP, GAP + 16) + "}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + json.length;
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(RawFiles.u64(json.length));
            raf.write(json);
            // setLength leaves a hole on file systems with sparse files; the hole reads as zeros.
            raf.setLength(dataStart + GAP + 16);
            raf.seek(dataStart + GAP);
            raf.write(RawFiles.f32(1.5f, -2.25f, 3e-3f, Float.MAX_VALUE));
        } catch (IOException e) {
            Assumptions.abort("this file system cannot hold a sparse 2 GiB file: " + e);
        }

        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(List.of("gap", "tail"), st.names());
            Tensor gap = st.tensor("gap");
            assertEquals(GAP, gap.byteSize());
            assertEquals(0, gap.data().get(ValueLayout.JAVA_BYTE, GAP - 1));
            Tensor tail = st.tensor("tail");
            assertTrue(tail.data().address() - gap.data().address() > Integer.MAX_VALUE);
            float[] values = FloatDecoding.decodeAll(tail);
            assertEquals(1.5f, values[0]);
            assertEquals(-2.25f, values[1]);
            assertEquals(3e-3f, values[2]);
            assertEquals(Float.MAX_VALUE, values[3]);
            assertEquals(DType.F32, tail.dtype());
        }
    }
}
