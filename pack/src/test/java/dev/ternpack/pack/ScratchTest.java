package dev.ternpack.pack;
import dev.ternpack.formats.DType;
import org.junit.jupiter.api.Test;
class ScratchTest {
    @Test void t() {
        float[] v = new float[64];
        java.util.Arrays.fill(v, Float.MAX_VALUE);
        for (int i = 0; i < 64; i += 3) v[i] = 1.5e38f;
        var w = TestTensors.matrix(DType.BF16, 1, 64, v);
        var s = AbsmeanQuantizer.scale(w, Implementation.REFERENCE);
        System.out.println("SCRATCH " + s + " " + AbsmeanKernels.Thresholds.of(DType.BF16, s.inverse()));
        System.out.println("SCRATCH " + AbsmeanQuantizer.ternarize(w, Implementation.REFERENCE).stats());
        System.out.println("SCRATCH " + AbsmeanQuantizer.ternarize(w, Implementation.FAST).stats());
    }
}
