package dev.ternpack.pack;

/**
 * What ternarization did to one tensor: how many weights became -1, 0 and +1, and how many sat within
 * 1/256 of a rounding threshold ({@code |W*s|} near 0.5 or 1.5), where a
 * change of the stored latent weight by about one bf16 ulp could flip the trit. A user re-converting bf16
 * weights that passed through another dtype compares that count with the number of trits that changed.
 */
public record TritStats(long minusOnes, long zeros, long plusOnes, long nearThreshold) {

    public TritStats {
        if (minusOnes < 0 || zeros < 0 || plusOnes < 0 || nearThreshold < 0) {
            throw new IllegalArgumentException("negative count in " + minusOnes + "/" + zeros + "/" + plusOnes
                    + ", near " + nearThreshold);
        }
        if (nearThreshold > minusOnes + zeros + plusOnes) {
            throw new IllegalArgumentException(nearThreshold + " near-threshold weights out of "
                    + (minusOnes + zeros + plusOnes));
        }
    }

    /** Counts the trits of an array (no near-threshold information: the latent weights are gone). */
    public static TritStats count(byte[] trits) {
        long minus = 0;
        long plus = 0;
        for (byte t : trits) {
            if (t == -1) {
                minus++;
            } else if (t == 1) {
                plus++;
            }
        }
        return new TritStats(minus, trits.length - minus - plus, plus, 0);
    }

    public long total() {
        return minusOnes + zeros + plusOnes;
    }

    /** Fraction of zero trits; 0 for an empty tensor. */
    public double sparsity() {
        long n = total();
        return n == 0 ? 0 : (double) zeros / n;
    }

    /** Sums the counts of two disjoint parts of a tensor. */
    public TritStats plus(TritStats other) {
        return new TritStats(minusOnes + other.minusOnes, zeros + other.zeros, plusOnes + other.plusOnes,
                nearThreshold + other.nearThreshold);
    }
}
