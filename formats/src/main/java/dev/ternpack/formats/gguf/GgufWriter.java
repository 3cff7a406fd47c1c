package dev.ternpack.formats.gguf;

import dev.ternpack.formats.OutputFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Streams a GGUF v3 file to disk, one tensor at a time, never holding more than the caller's chunk of data.
 *
 * <p>Calls come in the file's order, and a call out of order is refused with {@link IllegalStateException}
 * (the writer stays usable):
 * <ol>
 *   <li>{@link #put} metadata, any number of keys, kept in call order;</li>
 *   <li>{@link #addTensor} tensor infos: offsets are assigned sequentially, each tensor padded to the alignment,
 *       the one layout current ggml loads;</li>
 *   <li>tensor data, in tensor-info order, each tensor whole ({@link #writeTensorData}) or in pieces
 *       ({@link #beginTensor}), with its exact length; the header, metadata and tensor infos are written just
 *       before the first tensor's data;</li>
 *   <li>optionally {@link #seal()}: writes the final header and hands out a read channel on the finished bytes,
 *       so a caller can read them (say, to hash them) while the commit forces them to disk;</li>
 *   <li>{@link #commit()}: pads the last tensor, forces the file to disk and renames the temp file onto the
 *       target atomically.</li>
 * </ol>
 * {@link #close()} without a commit deletes the temp file, so the target never holds a partial file. Arguments
 * ggml would refuse or misread (empty or duplicate keys, integers out of range, names of 64 bytes or more, rows
 * that are not a multiple of the block size, ...) are refused with {@link IllegalArgumentException}. After an
 * I/O error the writer only accepts {@link #close()}.
 *
 * <p>The alignment is {@code general.alignment} if the caller puts one (a UINT32 power of two up to 1 MiB), else
 * 32. The output depends only on the calls and the data: no timestamps, no randomness.
 */
public final class GgufWriter implements AutoCloseable {
    /**
     * Largest slice handed to the channel at once. Several-MB write(2) calls cost the 2B-4T convert 3.2 s of system
     * time in 399 calls against 1.3 s in 1406 calls of 1 MiB (the kernel copies a smaller slice while it is still in
     * cache); it also keeps slices far below the 2 GiB where {@link MemorySegment#asByteBuffer()} stops.
     */
    private static final long MAX_WRITE = 1L << 20;
    private static final int STAGING_BYTES = 1 << 20;

    private enum State { METADATA, TENSOR_INFOS, DATA, IN_TENSOR, SEALED, FAILED, COMMITTED, CLOSED }

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<byte[]> encodedEntries = new ArrayList<>();
    private final List<GgufTensorInfo> tensors = new ArrayList<>();
    private final List<byte[]> tensorNames = new ArrayList<>();
    private final Map<String, Integer> tensorIndex = new HashMap<>();
    private long alignment = GgufFormat.DEFAULT_ALIGNMENT;
    private long headerBytes = GgufFormat.HEADER_BYTES;
    private long dataBytes; // padded sizes of the tensors so far; also the next offset
    private State state = State.METADATA;
    private int next;
    private long written;
    private TensorSink sink;
    private ByteBuffer staging;
    private boolean headerDirty; // a metadata value was replaced after the header was written

    private GgufWriter(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /** Starts writing {@code target} through a new temp file in the target's directory. */
    public static GgufWriter create(Path target) throws IOException {
        Objects.requireNonNull(target, "target");
        Path absolute = target.toAbsolutePath();
        Path temp = null;
        FileChannel channel = null;
        for (int attempt = 0; channel == null; attempt++) {
            temp = absolute.resolveSibling("." + absolute.getFileName() + "."
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
        OutputFiles.register(temp);
        return new GgufWriter(absolute, temp, channel);
    }

    // ---- plan ----

    /**
     * Adds a metadata entry. Keys must be non-empty and unique; {@code general.alignment} must be a UINT32 power
     * of two up to 1 MiB and sets the alignment. Refused once a tensor has been added.
     */
    public void put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (state != State.METADATA) {
            throw refused("put metadata " + GgufParser.quote(key),
                    state == State.TENSOR_INFOS || state == State.DATA ? "metadata must come before the tensor infos"
                            : null);
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("a metadata key cannot be empty (ggml refuses it)");
        }
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key " + GgufParser.quote(key) + " is already set");
        }
        String what = "metadata key " + GgufParser.quote(key);
        long newAlignment = alignment;
        if (key.equals(GgufFormat.ALIGNMENT_KEY)) {
            if (value.type() != GgufValueType.UINT32 || !GgufFormat.isValidAlignment(value.asLong())) {
                throw new IllegalArgumentException(key + " must be a UINT32 power of two from 1 to "
                        + GgufFormat.MAX_ALIGNMENT + ", got " + value.typeName() + " " + value);
            }
            newAlignment = value.asLong();
        }
        byte[] entry = GgufEncoder.keyValue(GgufEncoder.utf8(key, what), value, what);
        metadata.put(key, value);
        encodedEntries.add(entry);
        headerBytes += entry.length;
        alignment = newAlignment;
    }

    /**
     * Replaces the value of an existing metadata entry with one of exactly the same encoded size, also after
     * tensor data has started: the offsets stay valid and {@link #commit()} rewrites the header in place. This lets a
     * caller write the data while a value (say, a digest of the input computed on another thread) is still being
     * worked out, reserving it with a placeholder of the same length. {@code general.alignment} cannot be replaced.
     */
    public void replace(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (state == State.FAILED || state == State.SEALED || state == State.COMMITTED || state == State.CLOSED) {
            throw refused("replace metadata " + GgufParser.quote(key), null);
        }
        if (!metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key " + GgufParser.quote(key) + " is not set");
        }
        if (key.equals(GgufFormat.ALIGNMENT_KEY)) {
            throw new IllegalArgumentException(key + " cannot be replaced");
        }
        String what = "metadata key " + GgufParser.quote(key);
        byte[] entry = GgufEncoder.keyValue(GgufEncoder.utf8(key, what), value, what);
        int index = new ArrayList<>(metadata.keySet()).indexOf(key);
        if (entry.length != encodedEntries.get(index).length) {
            throw new IllegalArgumentException("the new value of " + what + " takes " + entry.length
                    + " bytes, the old one " + encodedEntries.get(index).length + "; a replacement must keep the size");
        }
        metadata.put(key, value);
        encodedEntries.set(index, entry);
        headerDirty |= state == State.DATA || state == State.IN_TENSOR;
    }

    /**
     * Adds a tensor info with dimensions in ggml order ({@code ne0}, the row length, first) and returns it with its
     * offset: the padded sizes of the tensors added before it. Refused once tensor data has been written.
     */
    public GgufTensorInfo addTensor(String name, GgmlType type, long... ne) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (state != State.METADATA && state != State.TENSOR_INFOS) {
            throw refused("add tensor " + GgufParser.quote(name),
                    state == State.DATA ? "tensor infos must come before tensor data" : null);
        }
        byte[] encodedName = GgufEncoder.utf8(name, "tensor name " + GgufParser.quote(name));
        if (encodedName.length >= GgufFormat.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name " + GgufParser.quote(name) + " is " + encodedName.length
                    + " bytes of UTF-8; ggml allows at most " + (GgufFormat.MAX_NAME_BYTES - 1));
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("tensor name " + GgufParser.quote(name) + " contains a NUL character");
        }
        if (tensorIndex.containsKey(name)) {
            throw new IllegalArgumentException("tensor " + GgufParser.quote(name) + " is already added");
        }
        for (int j = 1; j < ne.length; j++) {
            if (ne[j] == 0) {
                // gguf_init_from_file divides INT64_MAX by ne[1..3] and dies on a zero.
                throw new IllegalArgumentException("tensor " + GgufParser.quote(name) + ": dimension " + j
                        + " of " + Arrays.toString(ne) + " is 0, which crashes ggml's reader");
            }
        }
        GgufTensorInfo info = new GgufTensorInfo(name, ne, type, dataBytes);
        long padded = GgufFormat.pad(info.nbytes(), alignment);
        long infoBytes = GgufEncoder.tensorInfoBytes(encodedName, ne.length);
        try {
            Math.addExact(GgufFormat.pad(Math.addExact(headerBytes, infoBytes), alignment),
                    Math.addExact(dataBytes, padded));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor " + GgufParser.quote(name) + " would make the file larger"
                    + " than 2^63-1 bytes", e);
        }
        tensorIndex.put(name, tensors.size());
        tensors.add(info);
        tensorNames.add(encodedName);
        headerBytes += infoBytes;
        dataBytes += padded;
        state = State.TENSOR_INFOS;
        return info;
    }

    /** The metadata put so far, in order. */
    public Map<String, GgufValue> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** The tensor infos added so far, with their offsets. */
    public List<GgufTensorInfo> tensors() {
        return Collections.unmodifiableList(tensors);
    }

    /** The alignment in force: {@code general.alignment} if put, else 32. */
    public long alignment() {
        return alignment;
    }

    /** File offset where the data section will start, given the metadata and tensor infos so far. */
    public long dataStart() {
        return GgufFormat.pad(headerBytes, alignment);
    }

    /**
     * The size {@link #commit()} will give the file if no more tensors are added: the padded header, then every
     * tensor padded to the alignment. Final once data writing has begun; a caller can audit the result with it.
     */
    public long plannedFileSize() {
        return dataStart() + dataBytes;
    }

    /** The tensor whose data comes next, or null when all are written. */
    public GgufTensorInfo nextTensor() {
        return next < tensors.size() ? tensors.get(next) : null;
    }

    // ---- data ----

    /** Writes the whole data of the next tensor, which must be {@code name} and exactly its nbytes long. */
    public void writeTensorData(String name, MemorySegment bytes) throws IOException {
        GgufTensorInfo t = expectNext(name);
        if (bytes.byteSize() != t.nbytes()) {
            throw new IllegalStateException("tensor " + GgufParser.quote(name) + " needs " + t.nbytes()
                    + " bytes, got " + bytes.byteSize());
        }
        writeHeaderOnce();
        writeFully(bytes);
        writePadding(t.nbytes());
        next++;
    }

    /** Starts the data of the next tensor, which must be {@code name}; its bytes then go through the sink. */
    public TensorSink beginTensor(String name) throws IOException {
        GgufTensorInfo t = expectNext(name);
        writeHeaderOnce();
        sink = new TensorSink(t);
        state = State.IN_TENSOR;
        return sink;
    }

    /**
     * Writes the header if no tensor did, checks the size, forces the data to disk and renames the temp file onto
     * the target (replacing it) atomically. Refused while a tensor's data is unwritten.
     */
    public void commit() throws IOException {
        commit(true);
    }

    /**
     * Like {@link #commit()}; with {@code replaceExisting} false it fails with
     * {@link java.nio.file.FileAlreadyExistsException} if the target exists by then (a concurrent run won).
     */
    public void commit(boolean replaceExisting) throws IOException {
        if (state != State.SEALED) {
            finishContent("commit");
        }
        try {
            OutputFiles.forceAndPublish(channel, temp, target, replaceExisting);
        } catch (IOException | RuntimeException e) {
            state = State.FAILED;
            throw e;
        }
        state = State.COMMITTED;
    }

    /**
     * Writes the final header (with any {@link #replace}d values) and checks the size, so the file's bytes are
     * final, and returns a new read-only channel on them, positioned at 0; the caller closes it. The channel stays
     * valid across {@link #commit()}'s rename (it reads the same file), so the caller can read the content while the
     * commit forces it to disk. Refused while a tensor's data is unwritten; afterwards only {@link #commit()} and
     * {@link #close()} are accepted, and a {@link #close()} without commit still deletes the file.
     */
    public FileChannel seal() throws IOException {
        finishContent("seal");
        try {
            return FileChannel.open(temp, StandardOpenOption.READ);
        } catch (IOException e) {
            state = State.FAILED;
            throw e;
        }
    }

    private void finishContent(String action) throws IOException {
        if (state != State.METADATA && state != State.TENSOR_INFOS && state != State.DATA) {
            throw refused(action, null);
        }
        if (next < tensors.size()) {
            throw new IllegalStateException("cannot " + action + ": the data of " + (tensors.size() - next)
                    + " tensor(s) is not written, next is " + GgufParser.quote(tensors.get(next).name()));
        }
        writeHeaderOnce();
        if (headerDirty) {
            rewriteHeader();
        }
        if (written != plannedFileSize()) {
            state = State.FAILED;
            throw new IllegalStateException("wrote " + written + " bytes but planned " + plannedFileSize());
        }
        state = State.SEALED;
    }

    /** Deletes the temp file unless {@link #commit()} succeeded. Idempotent. */
    @Override
    public void close() {
        if (state == State.COMMITTED || state == State.CLOSED) {
            state = State.CLOSED;
            return;
        }
        state = State.CLOSED;
        try {
            channel.close();
            Files.deleteIfExists(temp);
            OutputFiles.unregister(temp);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the unfinished " + temp, e);
        }
    }

    private GgufTensorInfo expectNext(String name) {
        if (state != State.TENSOR_INFOS && state != State.DATA) {
            throw refused("write the data of tensor " + GgufParser.quote(name),
                    state == State.METADATA ? "no tensor has been added" : null);
        }
        if (next >= tensors.size()) {
            throw new IllegalStateException("cannot write the data of tensor " + GgufParser.quote(name) + ": the data"
                    + " of all " + tensors.size() + " tensors is written");
        }
        GgufTensorInfo t = tensors.get(next);
        if (!t.name().equals(name)) {
            throw new IllegalStateException("tensor data must come in tensor-info order: expected "
                    + GgufParser.quote(t.name()) + " (#" + next + "), got " + GgufParser.quote(name));
        }
        return t;
    }

    private IllegalStateException refused(String action, String reason) {
        return new IllegalStateException("cannot " + action + ": " + (reason != null ? reason : switch (state) {
            case METADATA, TENSOR_INFOS -> "tensor data has not started";
            case DATA -> "tensor data has started";
            case IN_TENSOR -> "the data of tensor " + GgufParser.quote(sink.tensor.name()) + " is not finished";
            case SEALED -> "the file is sealed";
            case FAILED -> "an earlier write failed";
            case COMMITTED -> "the file is already committed";
            case CLOSED -> "the writer is closed";
        }));
    }

    /** Header, key-value entries, tensor infos and the padding up to the data section, once. */
    private void writeHeaderOnce() throws IOException {
        if (state == State.DATA) {
            return;
        }
        long start = dataStart();
        if (start > Integer.MAX_VALUE - 16) {
            state = State.FAILED;
            throw new IllegalStateException("the GGUF header would be " + start + " bytes, over 2 GiB");
        }
        state = State.DATA;
        writeFully(MemorySegment.ofArray(encodeHeader(start)));
    }

    /** Writes the header again at offset 0 after {@link #replace}; its size did not change. */
    private void rewriteHeader() throws IOException {
        ByteBuffer header = ByteBuffer.wrap(encodeHeader(dataStart()));
        try {
            for (long at = 0; header.hasRemaining(); ) {
                at += channel.write(header, at);
            }
        } catch (IOException | RuntimeException e) {
            state = State.FAILED;
            throw e;
        }
        headerDirty = false;
    }

    private byte[] encodeHeader(long start) {
        GgufEncoder out = new GgufEncoder((int) start);
        out.bytes(GgufFormat.MAGIC); // u8[4] magic
        out.u32(GgufFormat.VERSION); // u32 version
        out.u64(tensors.size()); // u64 tensor_count
        out.u64(metadata.size()); // u64 metadata_kv_count
        for (byte[] entry : encodedEntries) {
            out.bytes(entry); // gguf_string key | u32 value_type | value
        }
        for (int i = 0; i < tensors.size(); i++) {
            GgufEncoder.tensorInfo(out, tensorNames.get(i), tensors.get(i));
        }
        out.zeros(start - out.length()); // padding to the data section
        return out.toByteArray();
    }

    private void writePadding(long nbytes) throws IOException {
        long padding = GgufFormat.pad(nbytes, alignment) - nbytes;
        if (padding > 0) {
            writeFully(MemorySegment.ofArray(new byte[(int) padding]));
        }
    }

    private void writeFully(MemorySegment bytes) throws IOException {
        try {
            for (long at = 0; at < bytes.byteSize(); ) {
                long n = Math.min(MAX_WRITE, bytes.byteSize() - at);
                MemorySegment slice = bytes.asSlice(at, n);
                if (bytes.isNative()) {
                    writeBuffer(slice.asByteBuffer());
                } else {
                    // A heap buffer would make the channel copy it into a fresh temporary direct buffer as large
                    // as the write (new zeroed pages for every tensor); copy through one small reused buffer.
                    writeStaged(slice);
                }
                at += n;
            }
        } catch (IOException | RuntimeException e) {
            state = State.FAILED;
            throw e;
        }
        written += bytes.byteSize();
    }

    private void writeBuffer(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private void writeStaged(MemorySegment slice) throws IOException {
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(STAGING_BYTES);
        }
        MemorySegment stage = MemorySegment.ofBuffer(staging.clear()); // the whole buffer, whatever its last limit
        for (long at = 0; at < slice.byteSize(); ) {
            int n = (int) Math.min(STAGING_BYTES, slice.byteSize() - at);
            MemorySegment.copy(slice, at, stage, 0, n);
            writeBuffer(staging.clear().limit(n));
            at += n;
        }
    }

    /** Receives one tensor's data in several pieces; {@link #finish()} checks the total and pads. */
    public final class TensorSink {
        private final GgufTensorInfo tensor;
        private long received;

        private TensorSink(GgufTensorInfo tensor) {
            this.tensor = tensor;
        }

        public GgufTensorInfo tensor() {
            return tensor;
        }

        /** Bytes still expected. */
        public long remaining() {
            return tensor.nbytes() - received;
        }

        /** Writes the next piece; refused before anything is written if it would exceed the tensor's nbytes. */
        public void write(MemorySegment bytes) throws IOException {
            requireOpen();
            if (bytes.byteSize() > remaining()) {
                throw new IllegalStateException("tensor " + GgufParser.quote(tensor.name()) + " needs "
                        + tensor.nbytes() + " bytes; " + received + " written, " + bytes.byteSize()
                        + " more would exceed it");
            }
            writeFully(bytes);
            received += bytes.byteSize();
        }

        /** Ends the tensor and pads it; refused (and the sink stays open) until all its bytes are written. */
        public void finish() throws IOException {
            requireOpen();
            if (received != tensor.nbytes()) {
                throw new IllegalStateException("tensor " + GgufParser.quote(tensor.name()) + " needs "
                        + tensor.nbytes() + " bytes, only " + received + " written");
            }
            state = State.DATA;
            sink = null;
            writePadding(tensor.nbytes());
            next++;
        }

        private void requireOpen() {
            if (sink != this || state != State.IN_TENSOR) {
                throw new IllegalStateException("the sink of tensor " + GgufParser.quote(tensor.name())
                        + " is no longer open" + (state == State.FAILED ? " (an earlier write failed)" : ""));
            }
        }
    }
}
