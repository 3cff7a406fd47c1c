/**
 * The GGUF container (v3): {@link dev.ternpack.formats.gguf.GgufFile} maps and checks one file,
 * {@link dev.ternpack.formats.gguf.GgufWriter} streams a new one; {@link dev.ternpack.formats.gguf.GgufFormat}
 * holds the layout and ggml's limits, {@link dev.ternpack.formats.gguf.GgmlType} the tensor types.
 *
 * <p>Decisions where the format or ggml leaves room (each is tested):
 * <ul>
 *   <li>Version 2 is read as well as 3: their little-endian layouts are identical, and ggml and gguf-py read both.
 *       Version 0, 1, above 3, and byte-swapped (big-endian) files are refused. The writer writes 3.</li>
 *   <li>The reader accepts what current llama.cpp loads, plus tensors at non-sequential offsets (which the BitNet
 *       fork's older reader loads) as long as each offset is aligned, inside the file and shares no byte with
 *       another tensor; {@link dev.ternpack.formats.gguf.GgufFile#sequentialLayout()} tells the two apart. The
 *       writer only produces the sequential layout.</li>
 *   <li>Tensor names of 64 UTF-8 bytes or more are refused by both reader and writer, as ggml refuses them. Keys,
 *       tensor names and string values must be valid UTF-8 (ggml does not check; a Java string cannot hold
 *       anything else).</li>
 *   <li>Strings over 64 MiB, arrays over 64 Mi elements and alignments over 1 MiB are refused, as current ggml
 *       refuses them.</li>
 *   <li>A zero in {@code ne1..ne3} is read (an empty tensor), but the writer refuses it: ggml's reader divides by
 *       those dimensions ({@code INT64_MAX/ne[1]} in {@code gguf_init_from_file}) and would crash.</li>
 *   <li>The writer pads the end of the header to the alignment even without tensors (as gguf-py and ggml's own
 *       writer do); the reader accepts a tensor-less file that ends without that padding.</li>
 *   <li>The reader accepts a last tensor that is not followed by its padding, as llama.cpp does (it reads the
 *       header with {@code no_alloc} and then only checks that each tensor's bytes lie inside the file); ggml's
 *       own {@code gguf_init_from_file} without {@code no_alloc} would refuse such a file.</li>
 * </ul>
 */
package dev.ternpack.formats.gguf;
