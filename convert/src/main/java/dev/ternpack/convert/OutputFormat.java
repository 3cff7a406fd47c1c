package dev.ternpack.convert;

import java.util.Locale;

/**
 * The packed artifacts ternpack writes. Each one exists because a runtime loads it; the enum carries what a user
 * must know to pick one (bits per ternary weight, who loads it, what it cannot hold) so that {@code formats} and
 * {@code convert --help} tell the same story as the writer.
 */
public enum OutputFormat {
    TQ2_0("tq2_0", 2.0625, true, "llama.cpp (stock, arch bitnet), ik_llama.cpp",
            "rows (in_features) must be a multiple of 256; tied embeddings only; SiLU graph in stock llama.cpp"),
    TQ1_0("tq1_0", 1.6875, true, "llama.cpp (stock, arch bitnet), ik_llama.cpp",
            "rows (in_features) must be a multiple of 256; tied embeddings only; SiLU graph in stock llama.cpp"),
    I2_S("i2_s", 2.0, true, "bitnet.cpp (microsoft/BitNet fork, arch bitnet-b1.58); not stock llama.cpp",
            "rows (in_features) must be a multiple of 128; fork-only type id 36; the fork computes ReLU²"),
    HF_2BIT("hf-2bit", 2.0, false, "transformers (quant_method bitnet, AutoBitLinear offline)",
            "none: any shape; output is a directory");

    private final String cliName;
    private final double bitsPerWeight;
    private final boolean gguf;
    private final String runtimes;
    private final String constraints;

    OutputFormat(String cliName, double bitsPerWeight, boolean gguf, String runtimes, String constraints) {
        this.cliName = cliName;
        this.bitsPerWeight = bitsPerWeight;
        this.gguf = gguf;
        this.runtimes = runtimes;
        this.constraints = constraints;
    }

    /** The name on the command line: {@code tq2_0}, {@code tq1_0}, {@code i2_s}, {@code hf-2bit}. */
    public String cliName() {
        return cliName;
    }

    /** Nominal storage bits per ternary weight, block scales included (I2_S: plus 32 bytes per tensor). */
    public double bitsPerWeight() {
        return bitsPerWeight;
    }

    /** True for the single-file GGUF formats; false for the HF directory. */
    public boolean gguf() {
        return gguf;
    }

    public String runtimes() {
        return runtimes;
    }

    public String constraints() {
        return constraints;
    }

    /** The row-length multiple the packed type needs (1 when any length works). */
    public int rowMultiple() {
        return switch (this) {
            case TQ2_0, TQ1_0 -> 256;
            case I2_S -> 128;
            case HF_2BIT -> 1;
        };
    }

    /** The format of a command-line name (case-insensitive, {@code -} and {@code _} alike), or null. */
    public static OutputFormat fromCliName(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace('-', '_');
        for (OutputFormat f : values()) {
            if (f.cliName.replace('-', '_').equals(n)) {
                return f;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return cliName;
    }
}
