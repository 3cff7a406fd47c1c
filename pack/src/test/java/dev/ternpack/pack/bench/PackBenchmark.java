package dev.ternpack.pack.bench;

import dev.ternpack.formats.Tensor;
import dev.ternpack.pack.AbsmeanQuantizer;
import dev.ternpack.pack.AbsmeanScale;
import dev.ternpack.pack.Hf2BitLayout;
import dev.ternpack.pack.I2sLayout;
import dev.ternpack.pack.Implementation;
import dev.ternpack.pack.PackedTernarization;
import dev.ternpack.pack.TernaryLayout;
import dev.ternpack.pack.TernaryTensor;
import dev.ternpack.pack.Ternarization;
import dev.ternpack.pack.Tq1Layout;
import dev.ternpack.pack.Tq2Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the quantizer and the packers on one 2560x6912 BF16 projection (35.4 MB), in BF16 input bytes
 * per second (the {@code bf16Bytes} secondary result), beside a plain copy of the same bytes as the ceiling.
 * Run it as pack/BENCHMARKS.md says; {@code -t 2} for two threads, each on its own tensor.
 *
 * <ul>
 *   <li>{@code copy}: {@link MemorySegment#copy} of the 35.4 MB into another off-heap segment.
 *   <li>{@code meanPass}: BF16 in, gamma out: the first of the two passes ({@link AbsmeanQuantizer#scale}).
 *   <li>{@code ternarize}: BF16 in, trits and gamma out ({@link AbsmeanQuantizer#ternarize}).
 *   <li>{@code pack}: trits in (from a ternarization done at setup), packed bytes out, per layout.
 *   <li>{@code ternarizeAndPack}: BF16 in, packed bytes out, fused, per layout.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class PackBenchmark {

    /** One latent tensor per thread, off-heap like a mapped checkpoint. */
    @State(Scope.Thread)
    public static class Latent {
        @Param({"FAST"})
        public String impl;

        Arena arena;
        Tensor tensor;
        MemorySegment copyTarget;
        Implementation implementation;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            tensor = BenchData.latentBf16(arena, 42 + Thread.currentThread().threadId());
            copyTarget = arena.allocate(BenchData.BF16_BYTES, 64);
            implementation = Implementation.valueOf(impl);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    /** A layout, the trits to pack into it, and the destination. */
    @State(Scope.Thread)
    public static class Packing {
        @Param({"TQ2_0", "TQ1_0", "I2_S", "HF"})
        public String layout;

        TernaryLayout packer;
        TernaryTensor trits;
        MemorySegment packed;

        @Setup(Level.Trial)
        public void setUp(Latent latent) {
            packer = switch (layout) {
                case "TQ2_0" -> Tq2Layout.FOLD;
                case "TQ1_0" -> Tq1Layout.FOLD;
                case "I2_S" -> I2sLayout.INSTANCE;
                case "HF" -> Hf2BitLayout.AUTOBITLINEAR;
                default -> throw new IllegalArgumentException(layout);
            };
            trits = AbsmeanQuantizer.ternarize(latent.tensor, latent.implementation).tensor();
            packed = latent.arena.allocate(packer.packedSize(BenchData.ROWS, BenchData.COLS), 64);
        }
    }

    @Benchmark
    public MemorySegment copy(Latent latent, BenchData.Bf16Bytes counter) {
        MemorySegment.copy(latent.tensor.data(), 0, latent.copyTarget, 0, BenchData.BF16_BYTES);
        counter.add();
        return latent.copyTarget;
    }

    @Benchmark
    public AbsmeanScale meanPass(Latent latent, BenchData.Bf16Bytes counter) {
        AbsmeanScale s = AbsmeanQuantizer.scale(latent.tensor, latent.implementation);
        counter.add();
        return s;
    }

    @Benchmark
    public Ternarization ternarize(Latent latent, BenchData.Bf16Bytes counter) {
        Ternarization t = AbsmeanQuantizer.ternarize(latent.tensor, latent.implementation);
        counter.add();
        return t;
    }

    @Benchmark
    public MemorySegment pack(Latent latent, Packing p, BenchData.Bf16Bytes counter) {
        p.packer.pack(p.trits, p.packed, latent.implementation);
        counter.add();
        return p.packed;
    }

    @Benchmark
    public PackedTernarization ternarizeAndPack(Latent latent, Packing p, BenchData.Bf16Bytes counter) {
        PackedTernarization r = AbsmeanQuantizer.ternarizeAndPack(latent.tensor, p.packer, p.packed,
                latent.implementation);
        counter.add();
        return r;
    }
}
