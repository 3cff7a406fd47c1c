package dev.ternpack.formats.safetensors;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The header of a safetensors file, parsed and checked, apart from any mapping of the data.
 *
 * <p>Layout (huggingface/safetensors, the format's reference implementation):
 * <pre>
 *   u64 N                 little-endian length of the JSON header, at most 100,000,000
 *   u8[N] header          UTF-8 JSON object:
 *                           "__metadata__": {string: string}            (optional)
 *                           name: {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}
 *                         writers pad it with spaces to a multiple of 8 so the data is 8-byte aligned
 *   u8[...] data          tensor bytes, little-endian, row-major; offsets are relative to byte 8 + N
 * </pre>
 *
 * <p>Every rule below is checked, each with its own message, before anything is sized from the file: length
 * field within the file and the 100 MB limit, strict UTF-8, strict JSON, a top-level object, no key twice,
 * well-formed entries with a known dtype, non-negative integer dims and offsets, {@code begin <= end <= data
 * size}, {@code end - begin == numel * dtype size}, and no two tensors sharing a byte.
 *
 * <p>Decided leniency: gaps between tensors and bytes after the last one are accepted (the reference reader
 * refuses both, its writer never produces them). Each tensor is still exactly located by its own offsets and
 * overlaps are refused, so a gap cannot change what a tensor holds; {@link #unclaimedBytes()} reports how
 * many data bytes no tensor covers, for a caller that wants to warn.
 */
public final class SafetensorsHeader {
    /** The reference implementation's MAX_HEADER_SIZE. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Bytes of the {@code u64} header length that opens the file. */
    public static final int LENGTH_FIELD_BYTES = 8;
    static final String METADATA_KEY = "__metadata__";

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String KNOWN_DTYPES = "F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL";

    /**
     * One tensor as the header describes it; {@code begin} and {@code end} are byte offsets into the data
     * section ({@code data_offsets}), end exclusive.
     */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {

        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException("bad data_offsets [" + begin + ", " + end + "] for " + name);
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long byteSize() {
            return end - begin;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && name.equals(e.name) && dtype == e.dtype && Arrays.equals(shape, e.shape)
                    && begin == e.begin && end == e.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    private final long headerLength;
    private final long dataSize;
    private final List<Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsHeader(long headerLength, long dataSize, List<Entry> entries, Map<String, String> metadata) {
        this.headerLength = headerLength;
        this.dataSize = dataSize;
        this.entries = List.copyOf(entries);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The {@code N} of the {@code u64} length field: JSON bytes including any padding. */
    public long headerLength() {
        return headerLength;
    }

    /** File offset where the data section starts: {@code 8 + N}. */
    public long dataStart() {
        return LENGTH_FIELD_BYTES + headerLength;
    }

    /** Bytes from {@link #dataStart()} to the end of the file. */
    public long dataSize() {
        return dataSize;
    }

    /** The tensors ordered by data offset (begin, then end), ties in header order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} map in header order; empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Data-section bytes covered by no tensor (gaps and trailing bytes); 0 for files the HF library writes. */
    public long unclaimedBytes() {
        long claimed = 0;
        for (Entry e : entries) {
            claimed += e.byteSize();
        }
        return dataSize - claimed;
    }

    /**
     * Parses and checks the header of a whole safetensors file given as one segment (a mapping, or a heap
     * segment in tests). Throws {@link BadInputException} naming {@code file} on the first broken rule.
     */
    public static SafetensorsHeader read(Path file, MemorySegment content) {
        long fileSize = content.byteSize();
        if (fileSize == 0) {
            throw new BadInputException(file, "file is empty (0 bytes), not a safetensors file");
        }
        if (fileSize < LENGTH_FIELD_BYTES) {
            throw new BadInputException(file, "file is " + fileSize + " bytes, shorter than the 8-byte header"
                    + " length that starts a safetensors file");
        }
        long headerLength = content.get(U64_LE, 0); // u64 header length (unsigned)
        long room = fileSize - LENGTH_FIELD_BYTES;
        if (Long.compareUnsigned(headerLength, room) > 0) {
            throw new BadInputException(file, "header length " + Long.toUnsignedString(headerLength)
                    + " runs past the end of the file (" + room + " bytes follow the length field);"
                    + " the file is truncated or not safetensors");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new BadInputException(file, "header length " + headerLength + " exceeds the safetensors limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        byte[] json = content.asSlice(LENGTH_FIELD_BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
        String text = StrictJson.decodeUtf8(file, json, LENGTH_FIELD_BYTES, "header");
        return parse(file, text, headerLength, room - headerLength);
    }

    private static SafetensorsHeader parse(Path file, String text, long headerLength, long dataSize) {
        JsonElement root = StrictJson.parse(file, text, "header");
        if (!root.isJsonObject()) {
            throw new BadInputException(file, "header is " + StrictJson.describe(root)
                    + ", expected a JSON object mapping tensor names to entries");
        }
        StrictJson.DuplicateKey duplicate = StrictJson.findDuplicateKey(text);
        if (duplicate != null) {
            throw new BadInputException(file, duplicate.depth() == 1
                    ? "tensor name \"" + duplicate.key() + "\" appears twice in the header"
                    : "key \"" + duplicate.key() + "\" appears twice in the header at " + duplicate.path());
        }
        Map<String, String> metadata = Map.of();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> member : root.getAsJsonObject().entrySet()) {
            if (member.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(file, member.getValue());
            } else {
                entries.add(parseEntry(file, member.getKey(), member.getValue(), dataSize));
            }
        }
        // List.sort is stable: equal offsets keep header order.
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        checkNoOverlap(file, entries);
        return new SafetensorsHeader(headerLength, dataSize, entries, metadata);
    }

    private static Map<String, String> parseMetadata(Path file, JsonElement value) {
        // The reference reader types this Option<HashMap<String, String>>, so null means absent.
        if (value.isJsonNull()) {
            return Map.of();
        }
        if (!value.isJsonObject()) {
            throw new BadInputException(file, METADATA_KEY + " is " + StrictJson.describe(value)
                    + ", expected an object mapping strings to strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
            if (!(m.getValue() instanceof JsonPrimitive p) || !p.isString()) {
                throw new BadInputException(file, METADATA_KEY + " must map strings to strings, but \"" + m.getKey()
                        + "\" maps to " + StrictJson.describe(m.getValue()));
            }
            metadata.put(m.getKey(), p.getAsString());
        }
        return metadata;
    }

    private static Entry parseEntry(Path file, String name, JsonElement value, long dataSize) {
        String tensor = "tensor \"" + name + "\"";
        if (!value.isJsonObject()) {
            throw new BadInputException(file, tensor + " is " + StrictJson.describe(value)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        JsonObject o = value.getAsJsonObject();
        DType dtype = parseDtype(file, tensor, required(file, tensor, o, "dtype"));
        long[] shape = parseShape(file, tensor, required(file, tensor, o, "shape"));
        JsonElement offsetsValue = required(file, tensor, o, "data_offsets");
        if (!(offsetsValue instanceof JsonArray offsets) || offsets.size() != 2) {
            throw new BadInputException(file, tensor + ": data_offsets is " + StrictJson.describe(offsetsValue)
                    + ", expected two non-negative integers [begin, end]");
        }
        long begin = StrictJson.nonNegativeInteger(offsets.get(0), file, tensor + ": data_offsets begin");
        long end = StrictJson.nonNegativeInteger(offsets.get(1), file, tensor + ": data_offsets end");
        if (begin > end) {
            throw new BadInputException(file, tensor + ": data_offsets [" + begin + ", " + end + "] begin after end");
        }
        if (end > dataSize) {
            throw new BadInputException(file, tensor + ": data_offsets [" + begin + ", " + end + "] run past the end"
                    + " of the data section (" + dataSize + " bytes); the file is truncated or the header is wrong");
        }
        long expected = byteSizeOrMinusOne(dtype, shape);
        if (expected < 0) {
            throw new BadInputException(file, tensor + ": " + dtype.safetensorsName() + Arrays.toString(shape)
                    + " is more than 2^63-1 bytes");
        }
        if (end - begin != expected) {
            throw new BadInputException(file, tensor + ": data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin) + " bytes, but " + dtype.safetensorsName() + Arrays.toString(shape) + " needs "
                    + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static JsonElement required(Path file, String tensor, JsonObject o, String key) {
        JsonElement v = o.get(key);
        if (v == null) {
            throw new BadInputException(file, tensor + " has no \"" + key + "\"");
        }
        return v;
    }

    private static DType parseDtype(Path file, String tensor, JsonElement value) {
        if (!(value instanceof JsonPrimitive p) || !p.isString()) {
            throw new BadInputException(file, tensor + ": dtype is " + StrictJson.describe(value)
                    + ", expected a string such as \"F32\"");
        }
        DType dtype = DType.fromSafetensorsName(p.getAsString());
        if (dtype == null) {
            throw new BadInputException(file, tensor + ": unknown dtype \"" + StrictJson.shorten(p.getAsString())
                    + "\"; ternpack reads " + KNOWN_DTYPES);
        }
        return dtype;
    }

    private static long[] parseShape(Path file, String tensor, JsonElement value) {
        if (!(value instanceof JsonArray dims)) {
            throw new BadInputException(file, tensor + ": shape is " + StrictJson.describe(value)
                    + ", expected an array of non-negative integers");
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = StrictJson.nonNegativeInteger(dims.get(i), file, tensor + ": shape[" + i + "]");
        }
        return shape;
    }

    private static void checkNoOverlap(Path file, List<Entry> sorted) {
        Entry reach = null; // the non-empty tensor reaching furthest so far
        for (Entry e : sorted) {
            if (e.byteSize() == 0) {
                continue; // an empty tensor owns no byte
            }
            if (reach != null && e.begin() < reach.end()) {
                throw new BadInputException(file, "tensors \"" + reach.name() + "\" [" + reach.begin() + ", "
                        + reach.end() + ") and \"" + e.name() + "\" [" + e.begin() + ", " + e.end()
                        + ") overlap in the data section");
            }
            if (reach == null || e.end() > reach.end()) {
                reach = e;
            }
        }
    }

    /** {@code numel(shape) * dtype size}, or -1 when that exceeds a long. */
    static long byteSizeOrMinusOne(DType dtype, long[] shape) {
        for (long d : shape) {
            if (d == 0) {
                return 0;
            }
        }
        try {
            long n = dtype.byteSize();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /**
     * The bytes before the data of a file holding {@code plan} contiguously in plan order: {@code u64 N}, then
     * compact JSON with {@code __metadata__} first (keys sorted; omitted when empty, as the reference writer
     * omits an absent map), then the tensors in plan order, each {@code {"dtype","shape","data_offsets"}},
     * padded with spaces so that {@code 8 + N} is a multiple of 8 (the reference writer's alignment rule).
     */
    static byte[] encode(List<PlannedTensor> plan, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            appendString(json, METADATA_KEY).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> m : new TreeMap<>(metadata).entrySet()) {
                if (!first) {
                    json.append(',');
                }
                first = false;
                appendString(json, m.getKey()).append(':');
                appendString(json, m.getValue());
            }
            json.append('}');
        }
        long offset = 0;
        for (PlannedTensor t : plan) {
            if (json.length() > 1) {
                json.append(',');
            }
            appendString(json, t.name()).append(":{\"dtype\":");
            appendString(json, t.dtype().safetensorsName()).append(",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                json.append(i == 0 ? "" : ",").append(shape[i]);
            }
            long end = offset + t.byteSize();
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] text;
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(json));
            text = new byte[encoded.remaining()];
            encoded.get(text);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a tensor name or metadata string is not valid Unicode"
                    + " (unpaired surrogate)", e);
        }
        int padded = (text.length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the header would be " + padded
                    + " bytes, over the safetensors limit of " + MAX_HEADER_BYTES);
        }
        byte[] out = new byte[LENGTH_FIELD_BYTES + padded];
        MemorySegment.ofArray(out).set(U64_LE, 0, padded); // u64 header length
        System.arraycopy(text, 0, out, LENGTH_FIELD_BYTES, text.length);
        Arrays.fill(out, LENGTH_FIELD_BYTES + text.length, out.length, (byte) ' ');
        return out;
    }

    /** A JSON string literal escaped as serde_json (the reference writer) does: only quote, backslash, controls. */
    private static StringBuilder appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }
}
