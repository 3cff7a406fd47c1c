package dev.ternpack.formats.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Builds GGUF bytes field by field in little-endian order, without the code under test, so tests control every
 * field (including wrong ones).
 */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic "GGUF", then u32 version, u64 tensor_count, u64 metadata_kv_count. */
    static RawGguf header(long version, long tensorCount, long kvCount) {
        return new RawGguf().hex("47475546").u32(version).u64(tensorCount).u64(kvCount);
    }

    RawGguf hex(String hex) {
        return raw(HexFormat.of().parseHex(hex.replace(" ", "")));
    }

    RawGguf raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    RawGguf u8(int v) {
        out.write(v);
        return this;
    }

    RawGguf u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    RawGguf u32(long v) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    RawGguf u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
        return this;
    }

    RawGguf f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    /** gguf_string: u64 byte length, UTF-8 bytes. */
    RawGguf str(String s) {
        return str(s.getBytes(StandardCharsets.UTF_8));
    }

    RawGguf str(byte[] bytes) {
        return u64(bytes.length).raw(bytes);
    }

    /** A key-value entry whose value is a string (value type 8). */
    RawGguf kvString(String key, String value) {
        return str(key).u32(8).str(value);
    }

    /** A key-value entry whose value is a UINT32 (value type 4). */
    RawGguf kvU32(String key, long value) {
        return str(key).u32(4).u32(value);
    }

    /** A tensor info: name, u32 n_dims, u64 ne[], u32 type, u64 offset. */
    RawGguf tensor(String name, int typeId, long offset, long... ne) {
        str(name).u32(ne.length);
        for (long d : ne) {
            u64(d);
        }
        return u32(typeId).u64(offset);
    }

    /** Zeros up to the next multiple of {@code alignment}. */
    RawGguf padTo(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    RawGguf zeros(int n) {
        return raw(new byte[n]);
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    Path write(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }
}
