package dev.ternpack.formats.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Offsets past 2^31: a sparse file of about 2 GiB + 4 KiB that uses almost no disk. */
class GgufLargeFileTest {
    /** An I8 tensor of 2^31 + 5 bytes, padded to 2^31 + 32, so the F32 tensor after it starts past 2 GiB. */
    private static final long BIG = (1L << 31) + 5;
    private static final long TAIL_OFFSET = (1L << 31) + 32;

    @TempDir
    Path dir;

    @Test
    void readsATensorStoredPastTwoGibibytes() throws IOException {
        RawGguf header = RawGguf.header(3, 2, 1).kvString("general.architecture", "llama")
                .tensor("big", 24, 0, BIG).tensor("tail", 0, TAIL_OFFSET, 2, 2).padTo(32);
        long dataStart = header.size();
        Path file = dir.resolve("big.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(header.bytes());
            // setLength leaves a hole on file systems with sparse files; the hole reads as zeros.
            raf.setLength(dataStart + TAIL_OFFSET + 32);
            raf.seek(dataStart + TAIL_OFFSET);
            raf.write(new RawGguf().f32(1.5f).f32(-2.25f).f32(3e-3f).f32(Float.MAX_VALUE).bytes());
        } catch (IOException e) {
            Assumptions.abort("this file system cannot hold a sparse 2 GiB file: " + e);
        }

        try (GgufFile gguf = GgufFile.open(file)) {
            assertTrue(gguf.sequentialLayout());
            GgufTensorInfo big = gguf.tensor("big");
            assertEquals(GgmlType.I8, big.type());
            MemorySegment bigData = gguf.data(big);
            assertEquals(BIG, bigData.byteSize());
            assertEquals(0, bigData.get(ValueLayout.JAVA_BYTE, BIG - 1));
            GgufTensorInfo tail = gguf.tensor("tail");
            assertEquals(TAIL_OFFSET, tail.offset());
            MemorySegment tailData = gguf.data(tail);
            assertTrue(tailData.address() - bigData.address() > Integer.MAX_VALUE);
            float[] values = tailData.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            assertEquals(1.5f, values[0]);
            assertEquals(-2.25f, values[1]);
            assertEquals(3e-3f, values[2]);
            assertEquals(Float.MAX_VALUE, values[3]);
        }
    }
}
