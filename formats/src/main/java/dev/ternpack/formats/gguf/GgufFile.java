package dev.ternpack.formats.gguf;

import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One GGUF file (version 3, or 2, which has the same little-endian layout), mapped once in a shared arena. The
 * whole header is parsed and checked on {@link #open} (see {@link GgufParser} for every rule and where ternpack
 * is stricter or more lenient than ggml); afterwards each tensor's {@link #data} is a zero-copy slice of the
 * mapping, addressed with long offsets, so files over 2 GiB work. Slices stay valid until {@link #close()}.
 *
 * <p>Metadata getters check the stored type exactly, as llama.cpp does: a problem is a {@link BadInputException}
 * such as {@code model.gguf: metadata key "bitnet.block_count" has type UINT64, expected UINT32}.
 */
public final class GgufFile implements AutoCloseable {
    private final Path file;
    private final Arena arena;
    private final MemorySegment content;
    private final GgufParser.Result header;
    private final Map<String, GgufTensorInfo> byName;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GgufFile(Path file, Arena arena, MemorySegment content, GgufParser.Result header) {
        this.file = file;
        this.arena = arena;
        this.content = content;
        this.header = header;
        Map<String, GgufTensorInfo> names = new LinkedHashMap<>();
        for (GgufTensorInfo t : header.tensors()) {
            names.put(t.name(), t);
        }
        this.byName = names;
    }

    /** Maps and checks {@code file}; a {@link BadInputException} naming it when it is unreadable or malformed. */
    public static GgufFile open(Path file) {
        if (Files.isDirectory(file)) {
            throw new BadInputException(file, "is a directory, expected a .gguf file");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment content;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                // The mapping outlives the channel; it is released when the arena closes.
                content = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            } catch (NoSuchFileException e) {
                throw new BadInputException(file, "file not found", e);
            } catch (AccessDeniedException e) {
                throw new BadInputException(file, "cannot read the file: permission denied", e);
            } catch (IOException e) {
                throw new BadInputException(file, "cannot read the file: " + e.getMessage(), e);
            }
            return new GgufFile(file, arena, content, GgufParser.parse(file, content));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return file;
    }

    /** The {@code u32 version}: 3, or 2 for older files. */
    public int version() {
        return header.version();
    }

    /** Size of the file in bytes. */
    public long fileSize() {
        return content.byteSize();
    }

    /** The alignment of the data section and of each tensor: {@code general.alignment}, or 32. */
    public long alignment() {
        return header.alignment();
    }

    /** File offset of the data section: the end of the tensor infos padded to {@link #alignment()}. */
    public long dataStart() {
        return header.dataStart();
    }

    /**
     * True when each tensor's offset is the sum of the padded sizes of the tensors before it in info order, the
     * only layout current ggml (llama.cpp) loads. Files with other, non-overlapping aligned layouts are read.
     */
    public boolean sequentialLayout() {
        return header.sequential();
    }

    // ---- metadata ----

    /** All key-value pairs in file order; unmodifiable. */
    public Map<String, GgufValue> metadata() {
        return header.metadata();
    }

    /** The value of {@code key}, of any type, or empty when the file has no such key. */
    public Optional<GgufValue> get(String key) {
        return Optional.ofNullable(header.metadata().get(key));
    }

    /**
     * The value of {@code key} if present; then it must have exactly {@code type} (for {@code ARRAY}, any element
     * type), or a {@link BadInputException} says which type it has.
     */
    public Optional<GgufValue> get(String key, GgufValueType type) {
        GgufValue value = header.metadata().get(key);
        if (value != null && value.type() != type) {
            throw wrongType(key, value, type.name());
        }
        return Optional.ofNullable(value);
    }

    /** The value of {@code key}, of any type; a {@link BadInputException} when the key is missing. */
    public GgufValue require(String key) {
        GgufValue value = header.metadata().get(key);
        if (value == null) {
            throw new BadInputException(file, "metadata key " + GgufParser.quote(key) + " is missing");
        }
        return value;
    }

    /** The value of {@code key}, which must be present with exactly {@code type} (for {@code ARRAY}, any array). */
    public GgufValue require(String key, GgufValueType type) {
        GgufValue value = require(key);
        if (value.type() != type) {
            throw wrongType(key, value, type.name());
        }
        return value;
    }

    /** The value of {@code key}, which must be an array with elements of exactly {@code elementType}. */
    public GgufValue requireArray(String key, GgufValueType elementType) {
        GgufValue value = require(key);
        if (value.elementType() != elementType) {
            throw wrongType(key, value, "ARRAY[" + elementType + "]");
        }
        return value;
    }

    public String requireString(String key) {
        return require(key, GgufValueType.STRING).asString();
    }

    /** A UINT32 value, 0 to 2^32-1. */
    public long requireU32(String key) {
        return require(key, GgufValueType.UINT32).asLong();
    }

    public int requireI32(String key) {
        return (int) require(key, GgufValueType.INT32).asLong();
    }

    /** A UINT64 value as its 64 bits (values of 2^63 and more come back negative; see Long.toUnsignedString). */
    public long requireU64(String key) {
        return require(key, GgufValueType.UINT64).asLong();
    }

    public long requireI64(String key) {
        return require(key, GgufValueType.INT64).asLong();
    }

    public float requireF32(String key) {
        return (float) require(key, GgufValueType.FLOAT32).asDouble();
    }

    public boolean requireBool(String key) {
        return require(key, GgufValueType.BOOL).asBoolean();
    }

    public List<String> requireStrings(String key) {
        return requireArray(key, GgufValueType.STRING).asStrings();
    }

    // Optional keys (llama.cpp's defaults apply when absent, e.g. rope.freq_base): empty when the key is missing,
    // but a present key of another type is still an error, as llama.cpp's "key has wrong type".

    /** The STRING value of {@code key}, or empty when absent; a {@link BadInputException} for another type. */
    public Optional<String> getString(String key) {
        return get(key, GgufValueType.STRING).map(GgufValue::asString);
    }

    /** The UINT32 value of {@code key} (0 to 2^32-1), or empty when absent; a {@link BadInputException} otherwise. */
    public OptionalLong getU32(String key) {
        Optional<GgufValue> value = get(key, GgufValueType.UINT32);
        return value.isPresent() ? OptionalLong.of(value.get().asLong()) : OptionalLong.empty();
    }

    /** The FLOAT32 value of {@code key}, or empty when absent; a {@link BadInputException} for another type. */
    public Optional<Float> getF32(String key) {
        return get(key, GgufValueType.FLOAT32).map(v -> (float) v.asDouble());
    }

    /** The BOOL value of {@code key}, or empty when absent; a {@link BadInputException} for another type. */
    public Optional<Boolean> getBool(String key) {
        return get(key, GgufValueType.BOOL).map(GgufValue::asBoolean);
    }

    /** The exception for a value of the wrong type: {@code metadata key "k" has type X, expected Y}. */
    public BadInputException wrongType(String key, GgufValue actual, String expected) {
        return new BadInputException(file, "metadata key " + GgufParser.quote(key) + " has type " + actual.typeName()
                + ", expected " + expected);
    }

    // ---- tensors ----

    /** The tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The tensor info of that name; a {@link BadInputException} naming the file when there is none. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) {
            throw new BadInputException(file, "no tensor named " + GgufParser.quote(name) + " (the file has "
                    + byName.size() + " tensors)");
        }
        return t;
    }

    /** The {@link GgufTensorInfo#nbytes()} bytes of a tensor of this file, as a slice of the mapping. */
    public MemorySegment data(GgufTensorInfo tensor) {
        Objects.requireNonNull(tensor, "tensor");
        if (!tensor.equals(byName.get(tensor.name()))) {
            throw new IllegalArgumentException(tensor + " is not a tensor of " + file);
        }
        return content.asSlice(header.dataStart() + tensor.offset(), tensor.nbytes());
    }

    /** Unmaps the file. Idempotent; must not race with threads still reading tensor data. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + file + ", v" + version() + ", " + metadata().size() + " keys, " + tensors().size()
                + " tensors]";
    }
}
