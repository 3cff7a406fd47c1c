package dev.ternpack.convert;

import java.nio.file.Path;
import java.util.List;

/**
 * What a finished conversion wrote, audited against its plan.
 *
 * @param output the file (GGUF) or directory (HF) written
 * @param totalBytes size of the output file (GGUF) or of model.safetensors (HF)
 * @param ternaryBytes bytes of packed projections and their scale tensors
 * @param highPrecisionBytes bytes of the other tensors (embeddings, norms, fallbacks)
 * @param ternaryWeights number of weights stored as trits
 * @param bitsPerTernaryWeight {@code ternaryBytes * 8 / ternaryWeights}
 * @param sparsity share of zero trits over all packed projections
 * @param seconds wall time of the conversion
 * @param sha256 hex SHA-256 of the output file (HF: of model.safetensors)
 * @param warnings warnings reported on the way
 * @param fallbacks projections written in a fallback type
 */
public record ConvertResult(Path output, long totalBytes, long ternaryBytes, long highPrecisionBytes,
        long ternaryWeights, double bitsPerTernaryWeight, double sparsity, double seconds, String sha256,
        List<String> warnings, List<String> fallbacks) {
    public ConvertResult {
        warnings = List.copyOf(warnings);
        fallbacks = List.copyOf(fallbacks);
    }
}
