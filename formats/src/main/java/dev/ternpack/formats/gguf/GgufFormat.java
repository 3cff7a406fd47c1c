package dev.ternpack.formats.gguf;

/**
 * The GGUF container layout and the limits ggml enforces, shared by {@link GgufFile} and {@link GgufWriter}.
 *
 * <p>Layout (ggml {@code docs/gguf.md}; everything little-endian):
 * <pre>
 *   u8[4]  magic                 "GGUF" = 47 47 55 46
 *   u32    version               3 (2 has the same layout; 1 used u32 counts and is gone)
 *   u64    tensor_count
 *   u64    metadata_kv_count
 *   kv[metadata_kv_count]        gguf_string key | u32 value_type | value
 *                                  value: fixed-size scalar, or gguf_string, or
 *                                         u32 element_type | u64 count | elements (no arrays of arrays)
 *   tinfo[tensor_count]          gguf_string name | u32 n_dims | u64 ne[n_dims] (ne0 first) | u32 ggml_type
 *                                  | u64 offset (relative to the data section)
 *   u8[]   padding               zeros up to a multiple of the alignment
 *   data                         tensor blobs; each starts at data_start + offset and is padded to the alignment
 *   gguf_string = u64 byte length | UTF-8 bytes (no terminating NUL)
 * </pre>
 * The alignment is the {@code general.alignment} UINT32 if present, else 32.
 */
public final class GgufFormat {
    /** The four bytes every GGUF file starts with. */
    public static final byte[] MAGIC = {'G', 'G', 'U', 'F'};
    /** The version ternpack writes and the newest it reads ({@code GGUF_VERSION}). */
    public static final int VERSION = 3;
    /** Bytes of magic, version, tensor_count and metadata_kv_count. */
    public static final int HEADER_BYTES = 4 + 4 + 8 + 8;
    /** Alignment of the data section and of every tensor when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** The metadata key that overrides the alignment; its value must be a UINT32 power of two. */
    public static final String ALIGNMENT_KEY = "general.alignment";
    /**
     * Largest alignment accepted. Current ggml refuses more (GGUF_MAX_ALIGNMENT, 1 MiB) so that a file cannot
     * force huge padding.
     */
    public static final long MAX_ALIGNMENT = 1L << 20;
    /** ggml's GGML_MAX_NAME: a tensor name needs at most 63 UTF-8 bytes (the C buffer holds a NUL too). */
    public static final int MAX_NAME_BYTES = 64;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    /** Longest string accepted, in bytes: current ggml's GGUF_MAX_STRING_LENGTH (64 MiB). */
    public static final long MAX_STRING_BYTES = 64L << 20;
    /** Most elements accepted in one metadata array: current ggml's GGUF_MAX_ARRAY_ELEMENTS (64 Mi). */
    public static final long MAX_ARRAY_ELEMENTS = 64L << 20;

    /** Smallest possible encoded metadata entry: u64 key length, u32 value type, a 1-byte value. */
    static final int MIN_KV_BYTES = 8 + 4 + 1;
    /** Smallest possible encoded tensor info: u64 name length, u32 n_dims = 0, u32 ggml_type, u64 offset. */
    static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

    private GgufFormat() {
    }

    /** {@code x} rounded up to a multiple of {@code alignment} (a power of two), as ggml's GGML_PAD. */
    public static long pad(long x, long alignment) {
        return Math.addExact(x, alignment - 1) & -alignment;
    }

    /** True when {@code alignment} is usable: a power of two from 1 to {@link #MAX_ALIGNMENT}. */
    public static boolean isValidAlignment(long alignment) {
        return alignment > 0 && (alignment & (alignment - 1)) == 0 && alignment <= MAX_ALIGNMENT;
    }
}
