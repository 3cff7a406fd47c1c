/**
 * The safetensors container: {@link dev.ternpack.formats.safetensors.SafetensorsFile} maps one file,
 * {@link dev.ternpack.formats.safetensors.SafetensorsCheckpoint} reads a single file or a sharded checkpoint
 * through one interface, {@link dev.ternpack.formats.safetensors.SafetensorsWriter} streams a new file.
 *
 * <p>Decisions where the format leaves room (each is tested):
 * <ul>
 *   <li>Gaps between tensors and bytes after the last one are read, not refused (the reference reader refuses
 *       them); {@link dev.ternpack.formats.safetensors.SafetensorsHeader#unclaimedBytes()} counts them.
 *       Overlapping tensors are refused.</li>
 *   <li>A sharded index is the table of contents: tensors a shard holds but the index does not list are not
 *       exposed and are named by {@link dev.ternpack.formats.safetensors.SafetensorsCheckpoint#unlistedTensors()}.
 *       A tensor in two shards is an error.</li>
 *   <li>Shard names must be relative and free of {@code ..}; symbolic links are followed (the Hugging Face cache
 *       links every shard to {@code ../../blobs/}).</li>
 *   <li>The writer puts {@code __metadata__} first with sorted keys, omits it when empty, and pads the header
 *       with spaces to a multiple of 8, as the reference writer does.</li>
 * </ul>
 */
package dev.ternpack.formats.safetensors;
