package dev.ternpack.formats.safetensors;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.TensorSource;
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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One safetensors file, mapped once in a shared arena so several threads may read its tensors. Each
 * {@link Tensor#data()} is a zero-copy slice of the mapping, addressed with long offsets (files far over
 * 2 GiB work); it stays valid until {@link #close()}, after which any access to it throws
 * {@link IllegalStateException}. The header is checked completely by {@link SafetensorsHeader} before any
 * tensor is exposed.
 */
public final class SafetensorsFile implements TensorSource {
    private final Path file;
    private final Arena arena;
    private final MemorySegment content;
    private final SafetensorsHeader header;
    private final Map<String, Tensor> tensors;
    private final List<String> names;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsFile(Path file, Arena arena, MemorySegment content, SafetensorsHeader header,
            Map<String, Tensor> tensors) {
        this.file = file;
        this.arena = arena;
        this.content = content;
        this.header = header;
        this.tensors = tensors;
        this.names = List.copyOf(tensors.keySet());
    }

    /** Maps and checks {@code file}; a {@link BadInputException} naming it when it is unreadable or malformed. */
    public static SafetensorsFile open(Path file) {
        if (Files.isDirectory(file)) {
            throw new BadInputException(file, "is a directory, expected a .safetensors file");
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
            SafetensorsHeader header = SafetensorsHeader.read(file, content);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafetensorsHeader.Entry e : header.entries()) {
                MemorySegment data = content.asSlice(header.dataStart() + e.begin(), e.byteSize());
                tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), data, file));
            }
            return new SafetensorsFile(file, arena, content, header, tensors);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The file. */
    @Override
    public Path location() {
        return file;
    }

    /** Tensor names ordered by data offset, the order in which the file stores them. */
    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new BadInputException(file, "no tensor named \"" + name + "\" (the file has " + tensors.size()
                    + " tensors)");
        }
        return t;
    }

    /**
     * The tensor, with its bytes mapped on their own into {@code arena} and unmapped when it closes. Reading a whole
     * checkpoint through {@link #tensor(String)} leaves every touched page of the file's single mapping counted in
     * the process's resident set until {@link #close()}; a converter streaming a multi-GB checkpoint maps each
     * tensor like this instead, so its footprint stays a few tensors.
     */
    public Tensor tensor(String name, Arena arena) {
        Tensor t = tensor(name);
        return t.rank() == 0 ? t : rows(name, 0, t.shape()[0], arena);
    }

    /**
     * Rows {@code first .. first+count-1} (along the first dimension) of a tensor of rank 1 or more, mapped on their
     * own into {@code arena}: lets a caller stream one tensor larger than memory through a bounded window.
     */
    public Tensor rows(String name, long first, long count, Arena arena) {
        Tensor t = tensor(name);
        long[] shape = t.shape();
        if (shape.length == 0 || first < 0 || count < 0 || first + count > shape[0]) {
            throw new IndexOutOfBoundsException("rows " + first + "+" + count + " of " + name + " "
                    + java.util.Arrays.toString(shape));
        }
        long rowBytes = shape[0] == 0 ? 0 : t.data().byteSize() / shape[0];
        long[] partShape = shape.clone();
        partShape[0] = count;
        if (rowBytes * count == 0) {
            return new Tensor(t.name(), t.dtype(), partShape, t.data().asSlice(0, 0), file);
        }
        long fileOffset = t.data().address() - content.address();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, fileOffset + first * rowBytes,
                    count * rowBytes, arena);
            return new Tensor(t.name(), t.dtype(), partShape, data, file);
        } catch (IOException ex) {
            throw new BadInputException(file, "cannot read the file: " + ex.getMessage(), ex);
        }
    }

    @Override
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** The parsed header: lengths, entries with their offsets, unclaimed bytes. */
    public SafetensorsHeader header() {
        return header;
    }

    /** Unmaps the file. Idempotent; must not race with threads still reading tensors. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors]";
    }
}
