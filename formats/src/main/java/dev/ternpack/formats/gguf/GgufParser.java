package dev.ternpack.formats.gguf;

import dev.ternpack.formats.BadInputException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and checks everything of a GGUF file before its data section, reading from one segment that holds the
 * whole file (a mapping, or a heap segment). Every length and count is checked against the bytes that remain
 * before anything is allocated from it; the first broken rule throws a one-line {@link BadInputException}.
 *
 * <p>Which checks ggml itself makes ({@code ggml/src/gguf.cpp}, {@code gguf_init_from_file}): magic; version 0,
 * byte-swapped, 1 and above 3 refused; counts; string and array sizes against the file and 64 Mi limits (current
 * ggml only); empty and duplicate keys; unknown value types and arrays of arrays; {@code general.alignment} a UINT32
 * power of two at most 1 MiB (the upper bound in current ggml only); tensor name under 64 bytes; duplicate names;
 * n_dims at most 4; non-negative dimensions with a representable product; a known type; {@code ne0} a multiple of
 * the block size; offsets exactly sequential. ggml never decodes UTF-8; llama.cpp's loader then checks that each
 * tensor lies inside the file.
 *
 * <p>Where ternpack differs: keys, string values and tensor names must be valid UTF-8 (a Java string cannot hold
 * anything else), and a tensor name must not contain a NUL byte (ggml would cut the name there). Offsets need not
 * be sequential, as long as each is a multiple of the alignment, inside the file, and no two tensors share a byte:
 * the BitNet fork's older reader accepts such files, and {@link Result#sequential()} tells whether current ggml
 * would. Zero dimensions are read (the tensor is empty), though ggml divides by {@code ne1..ne3} and crashes on a
 * zero there. A BOOL byte other than 0 reads as true, as in ggml.
 */
final class GgufParser {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What the parser found; offsets are file offsets. */
    record Result(int version, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors, long alignment,
            long dataStart, boolean sequential) {
    }

    private final Path file;
    private final MemorySegment content;
    private final long size;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long pos;
    // Where the parser is, for messages: a key-value entry or a tensor info, by index and (once read) by name.
    private long kvIndex = -1;
    private String key;
    private long element = -1;
    private long tensorIndex = -1;
    private String tensorName;

    private GgufParser(Path file, MemorySegment content) {
        this.file = file;
        this.content = content;
        this.size = content.byteSize();
    }

    /** Parses the file held by {@code content}; {@code file} names it in messages. */
    static Result parse(Path file, MemorySegment content) {
        return new GgufParser(file, content).parse();
    }

    private Result parse() {
        if (size == 0) {
            throw bad("file is empty (0 bytes), not a GGUF file");
        }
        if (size < GgufFormat.MAGIC.length) {
            throw bad("file is " + size + " bytes, too short to be a GGUF file");
        }
        byte[] magic = content.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE); // u8[4] magic
        if (!Arrays.equals(magic, GgufFormat.MAGIC)) {
            throw bad("bad magic " + hex(magic) + " (\"" + printable(magic) + "\"), expected 47 47 55 46 (\"GGUF\");"
                    + " not a GGUF file");
        }
        if (size < GgufFormat.HEADER_BYTES) {
            throw bad("file is " + size + " bytes, shorter than the " + GgufFormat.HEADER_BYTES + "-byte GGUF header"
                    + " (magic, version, tensor_count, metadata_kv_count); the file is truncated");
        }
        pos = 4;
        int version = checkVersion(readU32()); // u32 version
        long tensorCount = readU64(); // u64 tensor_count
        long kvCount = readU64(); // u64 metadata_kv_count
        checkCounts(tensorCount, kvCount);

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        Map<String, Long> keyIndex = new HashMap<>();
        for (kvIndex = 0; kvIndex < kvCount; kvIndex++) {
            key = null;
            readEntry(metadata, keyIndex);
        }
        kvIndex = -1;
        key = null;
        long alignment = alignment(metadata);

        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        Map<String, Long> nameIndex = new HashMap<>();
        for (tensorIndex = 0; tensorIndex < tensorCount; tensorIndex++) {
            tensorName = null;
            tensors.add(readTensorInfo(nameIndex, alignment));
        }
        tensorIndex = -1;
        tensorName = null;

        long dataStart = GgufFormat.pad(pos, alignment);
        checkData(tensors, dataStart);
        return new Result(version, Collections.unmodifiableMap(metadata), List.copyOf(tensors), alignment, dataStart,
                sequential(tensors, alignment));
    }

    private int checkVersion(int version) {
        if (version == 0) {
            throw bad("GGUF version 0 is invalid");
        }
        if ((version & 0xFFFF) == 0) {
            // A big-endian file's version 3 reads as 0x03000000 here; ggml and gguf-py use the same test.
            throw bad(String.format("version field reads 0x%08x: this is a big-endian (byte-swapped) GGUF file;"
                    + " ternpack reads only little-endian GGUF", version));
        }
        if (version == 1) {
            throw bad("GGUF version 1 is no longer supported (ggml refuses it too); convert the model again with a"
                    + " current tool");
        }
        if (Integer.compareUnsigned(version, GgufFormat.VERSION) > 0) {
            throw bad("GGUF version " + Integer.toUnsignedString(version) + " is newer than version "
                    + GgufFormat.VERSION + ", the newest ternpack reads");
        }
        // Version 2 is read: it differs from 3 only in that 3 allows big-endian files, which are refused above.
        return version;
    }

    private void checkCounts(long tensorCount, long kvCount) {
        long remaining = size - pos;
        if (Long.compareUnsigned(tensorCount, remaining / GgufFormat.MIN_TENSOR_INFO_BYTES) > 0) {
            throw bad("tensor_count " + Long.toUnsignedString(tensorCount) + " cannot be right: each tensor info takes"
                    + " at least " + GgufFormat.MIN_TENSOR_INFO_BYTES + " bytes and only " + remaining
                    + " bytes follow the header");
        }
        if (Long.compareUnsigned(kvCount, remaining / GgufFormat.MIN_KV_BYTES) > 0) {
            throw bad("metadata_kv_count " + Long.toUnsignedString(kvCount) + " cannot be right: each key-value entry"
                    + " takes at least " + GgufFormat.MIN_KV_BYTES + " bytes and only " + remaining
                    + " bytes follow the header");
        }
        long least = tensorCount * GgufFormat.MIN_TENSOR_INFO_BYTES + kvCount * GgufFormat.MIN_KV_BYTES;
        if (least > remaining) {
            throw bad("tensor_count " + tensorCount + " and metadata_kv_count " + kvCount + " cannot both be right:"
                    + " they need at least " + least + " bytes and only " + remaining + " bytes follow the header");
        }
    }

    // ---- key-value entries ----

    private void readEntry(Map<String, GgufValue> metadata, Map<String, Long> keyIndex) {
        long at = pos;
        String k = readString("key"); // gguf_string key
        if (k.isEmpty()) {
            throw bad("key-value entry #" + kvIndex + " at offset " + at + " has an empty key; ggml refuses empty"
                    + " keys");
        }
        Long previous = keyIndex.putIfAbsent(k, kvIndex);
        if (previous != null) {
            throw bad("key " + quote(k) + " appears twice (key-value entries #" + previous + " and #" + kvIndex + ")");
        }
        key = k;
        long typeAt = pos;
        GgufValueType type = valueType(readU32(), typeAt, "value type"); // u32 value_type
        GgufValue value;
        if (type == GgufValueType.ARRAY) {
            long elementAt = pos;
            GgufValueType elementType = valueType(readU32(), elementAt, "array element type"); // u32 element_type
            if (elementType == GgufValueType.ARRAY) {
                throw bad(where() + " is an array of arrays, which ggml refuses");
            }
            long count = readU64(); // u64 count
            value = new GgufValue(GgufValueType.ARRAY, elementType, readArray(elementType, count));
        } else {
            value = new GgufValue(type, null, readScalar(type));
        }
        metadata.put(k, value);
    }

    private GgufValueType valueType(int id, long at, String what) {
        GgufValueType type = GgufValueType.fromId(Integer.toUnsignedLong(id));
        if (type == null) {
            throw bad(where() + " has unknown " + what + " " + Integer.toUnsignedString(id) + " at offset " + at
                    + " (GGUF value types are 0 to 12)");
        }
        return type;
    }

    private Object readScalar(GgufValueType type) {
        return switch (type) {
            case UINT8 -> (long) (readU8() & 0xFF);
            case INT8 -> (long) readU8();
            case UINT16 -> (long) (readU16() & 0xFFFF);
            case INT16 -> (long) readU16();
            case UINT32 -> Integer.toUnsignedLong(readU32());
            case INT32 -> (long) readU32();
            case FLOAT32 -> {
                need(4, "FLOAT32 value");
                float v = content.get(F32, pos);
                pos += 4;
                yield v;
            }
            case BOOL -> readU8() != 0;
            case STRING -> readString("STRING value");
            case UINT64, INT64 -> readU64();
            case FLOAT64 -> {
                need(8, "FLOAT64 value");
                double v = content.get(F64, pos);
                pos += 8;
                yield v;
            }
            case ARRAY -> throw new IllegalArgumentException("not a scalar type");
        };
    }

    private Object readArray(GgufValueType elementType, long count) {
        if (Long.compareUnsigned(count, GgufFormat.MAX_ARRAY_ELEMENTS) > 0) {
            throw bad(where() + ": array of " + Long.toUnsignedString(count) + " " + elementType + " elements exceeds"
                    + " the limit of " + GgufFormat.MAX_ARRAY_ELEMENTS + " elements (ggml's GGUF_MAX_ARRAY_ELEMENTS)");
        }
        // A string element takes at least its u64 length.
        int least = elementType == GgufValueType.STRING ? 8 : elementType.size();
        if (count * least > size - pos) {
            throw bad(where() + ": array of " + count + " " + elementType + " elements needs at least "
                    + count * least + " bytes at offset " + pos + ", but only " + (size - pos)
                    + " bytes remain in the file");
        }
        int n = (int) count;
        long bytes = count * least;
        Object elements = switch (elementType) {
            case UINT8, INT8 -> content.asSlice(pos, bytes).toArray(ValueLayout.JAVA_BYTE);
            case BOOL -> {
                byte[] b = content.asSlice(pos, bytes).toArray(ValueLayout.JAVA_BYTE);
                for (int i = 0; i < n; i++) {
                    // ggml reads a bool as "byte != 0"; stored normalised so a rewrite writes 0 or 1.
                    b[i] = (byte) (b[i] != 0 ? 1 : 0);
                }
                yield b;
            }
            case UINT16, INT16 -> {
                short[] a = new short[n];
                MemorySegment.copy(content, U16, pos, a, 0, n);
                yield a;
            }
            case UINT32, INT32 -> {
                int[] a = new int[n];
                MemorySegment.copy(content, U32, pos, a, 0, n);
                yield a;
            }
            case UINT64, INT64 -> {
                long[] a = new long[n];
                MemorySegment.copy(content, U64, pos, a, 0, n);
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                MemorySegment.copy(content, F32, pos, a, 0, n);
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                MemorySegment.copy(content, F64, pos, a, 0, n);
                yield a;
            }
            case STRING -> {
                List<String> strings = new ArrayList<>(n);
                for (element = 0; element < n; element++) {
                    strings.add(readString("string"));
                }
                element = -1;
                yield Collections.unmodifiableList(strings);
            }
            case ARRAY -> throw new IllegalArgumentException("nested array");
        };
        if (elementType != GgufValueType.STRING) {
            pos += bytes;
        }
        return elements;
    }

    private long alignment(Map<String, GgufValue> metadata) {
        GgufValue value = metadata.get(GgufFormat.ALIGNMENT_KEY);
        if (value == null) {
            return GgufFormat.DEFAULT_ALIGNMENT;
        }
        if (value.type() != GgufValueType.UINT32) {
            throw bad(GgufFormat.ALIGNMENT_KEY + " has type " + value.typeName() + ", expected UINT32");
        }
        long alignment = value.asLong();
        if (!GgufFormat.isValidAlignment(alignment)) {
            throw bad(GgufFormat.ALIGNMENT_KEY + " is " + alignment + ", expected a power of two from 1 to "
                    + GgufFormat.MAX_ALIGNMENT);
        }
        return alignment;
    }

    // ---- tensor infos ----

    private GgufTensorInfo readTensorInfo(Map<String, Long> nameIndex, long alignment) {
        long at = pos;
        String name = readString("name"); // gguf_string name
        tensorName = name;
        long nameBytes = pos - at - 8;
        if (nameBytes >= GgufFormat.MAX_NAME_BYTES) {
            throw bad(where() + ": the name is " + nameBytes + " bytes long; ggml allows at most "
                    + (GgufFormat.MAX_NAME_BYTES - 1) + " (GGML_MAX_NAME)");
        }
        if (name.indexOf('\0') >= 0) {
            throw bad(where() + ": the name contains a NUL byte; ggml would cut the name there");
        }
        Long previous = nameIndex.putIfAbsent(name, tensorIndex);
        if (previous != null) {
            throw bad("tensor name " + quote(name) + " appears twice (tensor infos #" + previous + " and #"
                    + tensorIndex + ")");
        }
        int nDims = readU32(); // u32 n_dims
        if (Integer.compareUnsigned(nDims, GgufFormat.MAX_DIMS) > 0) {
            throw bad(where() + " has n_dims " + Integer.toUnsignedString(nDims) + "; ggml allows at most "
                    + GgufFormat.MAX_DIMS);
        }
        long[] ne = new long[nDims];
        for (int j = 0; j < nDims; j++) {
            ne[j] = readU64(); // u64 ne[j]
            if (ne[j] < 0) {
                throw bad(where() + ": dimension " + j + " is " + Long.toUnsignedString(ne[j])
                        + ", more than 2^63-1");
            }
        }
        if (GgufTensorInfo.numelOrMinusOne(ne) < 0) {
            throw bad(where() + ": dimensions " + Arrays.toString(ne) + " have more than 2^63-1 elements together");
        }
        int typeId = readU32(); // u32 ggml_type
        GgmlType type = GgmlType.fromId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw bad(where() + " has unknown ggml type id " + Integer.toUnsignedString(typeId) + " (ternpack reads"
                    + " the upstream ggml types and the BitNet fork's I2_S, id 36)");
        }
        long ne0 = nDims == 0 ? 1 : ne[0];
        if (ne0 % type.blockSize() != 0) {
            throw bad(where() + ": type " + type.displayName() + " needs a row length (ne0) that is a multiple of "
                    + type.blockSize() + ", got " + ne0);
        }
        if (GgufTensorInfo.nbytesOrMinusOne(type, ne) < 0) {
            throw bad(where() + ": " + type.displayName() + Arrays.toString(ne) + " needs more than 2^63-1 bytes");
        }
        long offset = readU64(); // u64 offset
        if (offset < 0 || offset > size) {
            throw bad(where() + ": offset " + Long.toUnsignedString(offset) + " lies past the end of the file ("
                    + size + " bytes)");
        }
        if (offset % alignment != 0) {
            throw bad(where() + ": offset " + offset + " is not a multiple of the alignment " + alignment);
        }
        return new GgufTensorInfo(name, ne, type, offset);
    }

    private void checkData(List<GgufTensorInfo> tensors, long dataStart) {
        if (tensors.isEmpty()) {
            return; // ggml does not look for a data section then; the padding may be missing.
        }
        if (dataStart > size) {
            throw bad("the data section would start at byte " + dataStart + " but the file is only " + size
                    + " bytes; the file is truncated");
        }
        long room = size - dataStart;
        for (GgufTensorInfo t : tensors) {
            long nbytes = t.nbytes();
            if (t.offset() > room || nbytes > room - t.offset()) {
                throw bad("tensor " + quote(t.name()) + ": its " + nbytes + " bytes at offset " + t.offset()
                        + " (file byte " + (dataStart + t.offset()) + ") run past the end of the file (" + size
                        + " bytes); the file is truncated or the offset is wrong");
            }
        }
        List<GgufTensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset).thenComparingLong(GgufTensorInfo::nbytes));
        GgufTensorInfo reach = null; // the non-empty tensor reaching furthest so far
        for (GgufTensorInfo t : sorted) {
            if (t.nbytes() == 0) {
                continue; // an empty tensor owns no byte
            }
            if (reach != null && t.offset() < reach.offset() + reach.nbytes()) {
                throw bad("tensors " + quote(reach.name()) + " [" + reach.offset() + ", "
                        + (reach.offset() + reach.nbytes()) + ") and " + quote(t.name()) + " [" + t.offset() + ", "
                        + (t.offset() + t.nbytes()) + ") overlap in the data section");
            }
            if (reach == null || t.offset() + t.nbytes() > reach.offset() + reach.nbytes()) {
                reach = t;
            }
        }
    }

    /** True when offset[i] is the sum of the earlier tensors' padded sizes, the one layout current ggml accepts. */
    private static boolean sequential(List<GgufTensorInfo> tensors, long alignment) {
        long expected = 0;
        for (GgufTensorInfo t : tensors) {
            if (t.offset() != expected) {
                return false;
            }
            expected += GgufFormat.pad(t.nbytes(), alignment);
        }
        return true;
    }

    // ---- primitive reads ----

    private void need(long n, String what) {
        if (n > size - pos) {
            throw bad("truncated: the file ends at byte " + size + ", inside the " + what + " of " + where()
                    + " (" + n + " bytes needed at offset " + pos + ")");
        }
    }

    private byte readU8() {
        need(1, "1-byte value");
        return content.get(ValueLayout.JAVA_BYTE, pos++);
    }

    private short readU16() {
        need(2, "2-byte value");
        short v = content.get(U16, pos);
        pos += 2;
        return v;
    }

    private int readU32() {
        need(4, "u32 field");
        int v = content.get(U32, pos);
        pos += 4;
        return v;
    }

    private long readU64() {
        need(8, "u64 field");
        long v = content.get(U64, pos);
        pos += 8;
        return v;
    }

    /** A gguf_string: u64 byte length, then that many bytes of strict UTF-8. */
    private String readString(String what) {
        long at = pos;
        if (size - pos < 8) {
            throw bad("truncated: the file ends at byte " + size + ", inside the u64 length of the " + what + " of "
                    + where() + " (offset " + pos + ")");
        }
        long length = readU64(); // u64 len
        if (Long.compareUnsigned(length, GgufFormat.MAX_STRING_BYTES) > 0) {
            throw bad("the " + what + " of " + where() + " at offset " + at + " claims " + Long.toUnsignedString(length)
                    + " bytes, over the limit of " + GgufFormat.MAX_STRING_BYTES + " (ggml's GGUF_MAX_STRING_LENGTH)");
        }
        if (length > size - pos) {
            throw bad("the " + what + " of " + where() + " at offset " + at + " claims " + length
                    + " bytes, but only " + (size - pos) + " bytes remain in the file; the file is truncated");
        }
        String s;
        try {
            s = utf8.decode(content.asSlice(pos, length).asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw bad("the " + what + " of " + where() + " at offset " + at + " is not valid UTF-8");
        }
        pos += length;
        return s;
    }

    // ---- messages ----

    private String where() {
        if (kvIndex >= 0) {
            if (key == null) {
                return "key-value entry #" + kvIndex;
            }
            return "key " + quote(key) + (element >= 0 ? " element " + element : "");
        }
        if (tensorIndex >= 0) {
            return tensorName == null ? "tensor info #" + tensorIndex : "tensor " + quote(tensorName);
        }
        return "the header";
    }

    private BadInputException bad(String problem) {
        return new BadInputException(file, problem);
    }

    /** A name from the file in quotes, shortened and with control characters escaped, so messages stay one line. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        int limit = 80;
        for (int i = 0; i < s.length(); i++) {
            if (i == limit) {
                out.append("...(").append(s.length()).append(" chars)");
                break;
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(out.isEmpty() ? "" : " ").append(String.format("%02x", b & 0xFF));
        }
        return out.toString();
    }

    private static String printable(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(b >= 0x20 && b < 0x7F && b != '"' ? (char) b : '.');
        }
        return out.toString();
    }
}
