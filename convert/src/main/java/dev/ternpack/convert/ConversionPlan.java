package dev.ternpack.convert;

import dev.ternpack.formats.hf.ModelConfig;
import java.util.List;

/**
 * What a conversion will write, decided before any weight is read: every output tensor with its type, shape and
 * size, and the totals. {@code convert --plan} prints it; the writer follows it and the audit checks the written
 * file against it.
 *
 * @param options the options planned for
 * @param config the checkpoint's config.json
 * @param architecture what the model is, for people ({@code BitNetForCausalLM (transformers ...)})
 * @param tensors output tensors in file order
 * @param warnings what the user should know (activation the runtime computes, fork-only types, ...)
 * @param fallbacks one line per projection written in a fallback type instead of the packed one
 */
public record ConversionPlan(ConvertOptions options, ModelConfig config, String architecture,
        List<OutputTensor> tensors, List<String> warnings, List<String> fallbacks) {

    /**
     * One output tensor.
     *
     * @param name name in the output file
     * @param type GGUF: ggml type name ({@code TQ2_0}, {@code F32}, ...); HF: safetensors dtype ({@code U8}, ...)
     * @param shape row-major shape (outermost first; a GGUF {@code ne} is this reversed)
     * @param bytes data bytes (without alignment padding)
     * @param ternary true for packed projections and their scale tensors
     * @param source the input tensor it comes from
     * @param fallbackReason why a projection is not packed, or null
     */
    public record OutputTensor(String name, String type, long[] shape, long bytes, boolean ternary, String source,
            String fallbackReason) {
        public OutputTensor {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    public ConversionPlan {
        tensors = List.copyOf(tensors);
        warnings = List.copyOf(warnings);
        fallbacks = List.copyOf(fallbacks);
    }

    public long totalBytes() {
        return tensors.stream().mapToLong(OutputTensor::bytes).sum();
    }

    /** Bytes of packed projections and their scale tensors. */
    public long ternaryBytes() {
        return tensors.stream().filter(OutputTensor::ternary).mapToLong(OutputTensor::bytes).sum();
    }

    /** Bytes of everything else: embeddings, norms, fallback projections. */
    public long highPrecisionBytes() {
        return totalBytes() - ternaryBytes();
    }
}
