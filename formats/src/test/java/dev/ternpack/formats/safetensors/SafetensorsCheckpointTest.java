package dev.ternpack.formats.safetensors;

import static dev.ternpack.formats.safetensors.RawFiles.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.TensorSource;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Single and sharded checkpoints through one interface, and one test per rule of the sharded layout. */
class SafetensorsCheckpointTest {
    @TempDir
    Path dir;

    /** A shard holding U8[1] tensors with the given names, each byte = its position + {@code first}. */
    private Path shard(Path file, int first, String... names) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\",\"shard\":\""
                + file.getFileName() + "\"}");
        byte[] data = new byte[names.length];
        for (int i = 0; i < names.length; i++) {
            header.append(',').append(entry(names[i], "U8", "[1]", i, i + 1));
            data[i] = (byte) (first + i);
        }
        Files.createDirectories(file.getParent());
        return RawFiles.safetensors(file, header.append('}').toString(), data);
    }

    private Path index(String weightMapJson) throws IOException {
        return Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME),
                "{\"metadata\":{\"total_size\":3},\"weight_map\":" + weightMapJson + "}");
    }

    private static BadInputException rejected(Path path, Path blamed, String... phrases) {
        BadInputException e = assertThrows(BadInputException.class, () -> SafetensorsCheckpoint.open(path).close());
        assertEquals(blamed, e.file());
        assertTrue(e.getMessage().startsWith(blamed + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String phrase : phrases) {
            assertTrue(e.problem().contains(phrase), "expected \"" + phrase + "\" in: " + e.problem());
        }
        return e;
    }

    private static byte value(TensorSource s, String name) {
        return s.tensor(name).data().get(ValueLayout.JAVA_BYTE, 0);
    }

    // ---- layouts that open ----

    @Test
    void shardedNamesFollowTheIndexShardOrderThenEachHeader() throws IOException {
        // The index names shard b first, so b's tensors come first; within a shard, data order.
        shard(dir.resolve("a.safetensors"), 10, "a1", "a2");
        shard(dir.resolve("b.safetensors"), 20, "b1", "b2");
        index("{\"b2\":\"b.safetensors\",\"a1\":\"a.safetensors\",\"b1\":\"b.safetensors\",\"a2\":\"a.safetensors\"}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("b1", "b2", "a1", "a2"), c.names());
            assertEquals(dir, c.location());
            assertEquals(2, c.shards().size());
            assertEquals(21, value(c, "b2"));
            assertEquals(10, value(c, "a1"));
            assertEquals(dir.resolve("a.safetensors").toAbsolutePath(), c.tensor("a2").file());
            // Merged __metadata__: "shard" differs, the first shard in index order wins.
            assertEquals(Map.of("format", "pt", "shard", "b.safetensors"), c.metadata());
            assertTrue(c.contains("a2"));
            assertThrows(BadInputException.class, () -> c.tensor("c"));
        }
    }

    @Test
    void indexFileCanBePassedDirectly() throws IOException {
        shard(dir.resolve("a.safetensors"), 1, "x");
        Path index = index("{\"x\":\"a.safetensors\"}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(index)) {
            assertEquals(List.of("x"), c.names());
        }
    }

    @Test
    void eachShardIsMappedOnceEvenWhenSpelledTwoWays() throws IOException {
        shard(dir.resolve("a.safetensors"), 1, "x", "y");
        index("{\"x\":\"a.safetensors\",\"y\":\"./a.safetensors\"}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(1, c.shards().size());
            assertSame(c.shards().get(0).location(), c.tensor("y").file());
            assertEquals(List.of("x", "y"), c.names());
        }
    }

    @Test
    void shardsInSubdirectoriesAreAllowed() throws IOException {
        shard(dir.resolve("sub/a.safetensors"), 1, "x");
        index("{\"x\":\"sub/a.safetensors\"}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(1, value(c, "x"));
        }
    }

    @Test
    void singleFileAndDirectoryWithOneFileAreOneShard() throws IOException {
        Path file = shard(dir.resolve("model.safetensors"), 5, "p", "q");
        for (Path path : List.of(file, dir)) {
            try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(path)) {
                assertEquals(path, c.location());
                assertEquals(List.of("p", "q"), c.names());
                assertEquals(6, value(c, "q"));
                assertEquals(List.of(), c.unlistedTensors());
            }
        }
    }

    @Test
    void indexWinsOverAStraySingleFile() throws IOException {
        // HF's loaders look for the index first; a leftover model.safetensors beside it is not read.
        shard(dir.resolve("model.safetensors"), 1, "old");
        shard(dir.resolve("model-00001-of-00001.safetensors"), 2, "new");
        index("{\"new\":\"model-00001-of-00001.safetensors\"}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("new"), c.names());
        }
    }

    @Test
    void unlistedTensorsAreIgnoredAndReported() throws IOException {
        // Decision: the index is the table of contents (as in HF's loaders); extra tensors are not exposed.
        shard(dir.resolve("a.safetensors"), 1, "listed", "extra");
        index("{\"listed\":\"a.safetensors\"}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("listed"), c.names());
            assertEquals(List.of("extra"), c.unlistedTensors());
            assertFalse(c.contains("extra"));
            assertThrows(BadInputException.class, () -> c.tensor("extra"));
        }
    }

    @Test
    void symlinkedShardsAreFollowedAsInTheHuggingFaceCache() throws IOException {
        // Decision: the HF cache stores snapshots/<rev>/<shard> as links to ../../blobs/<hash>, which lie outside
        // the checkpoint directory; links are followed, only the names in the index must stay inside.
        Path blob = shard(dir.resolve("blobs/0123abcd"), 7, "w");
        Path snapshot = Files.createDirectories(dir.resolve("snapshots/rev1"));
        try {
            Files.createSymbolicLink(snapshot.resolve("model-00001-of-00001.safetensors"),
                    Path.of("../../blobs/0123abcd"));
        } catch (UnsupportedOperationException | IOException e) {
            Assumptions.abort("this file system has no symbolic links: " + e);
        }
        Files.writeString(snapshot.resolve(SafetensorsIndex.FILE_NAME),
                "{\"weight_map\":{\"w\":\"model-00001-of-00001.safetensors\"}}");
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(snapshot)) {
            assertEquals(7, value(c, "w"));
            assertEquals(blob.toRealPath(), c.tensor("w").file().toRealPath());
        }
    }

    // ---- one test per rule ----

    @Test
    void missingPath() {
        Path absent = dir.resolve("nothing-here");
        rejected(absent, absent, "no such file or directory");
    }

    @Test
    void directoryWithNothingToRead() {
        rejected(dir, dir, "no model.safetensors.index.json and no .safetensors file");
    }

    @Test
    void severalFilesWithoutAnIndexAreListed() throws IOException {
        shard(dir.resolve("b.safetensors"), 1, "x");
        shard(dir.resolve("a.safetensors"), 1, "y");
        rejected(dir, dir, "2 .safetensors files (a.safetensors, b.safetensors)", "no model.safetensors.index.json");
    }

    @Test
    void indexNotJson() throws IOException {
        Path index = Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"weight_map\": {");
        rejected(dir, index, "index is not valid JSON");
    }

    @Test
    void indexNotAnObject() throws IOException {
        Path index = Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "[\"a.safetensors\"]");
        rejected(dir, index, "index is a JSON array", "expected a JSON object");
    }

    @Test
    void indexWithoutWeightMap() throws IOException {
        Path index = Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"metadata\":{}}");
        rejected(dir, index, "no \"weight_map\"");
    }

    @Test
    void weightMapNotAnObject() throws IOException {
        rejected(dir, index("[\"a.safetensors\"]"), "weight_map is a JSON array");
    }

    @Test
    void weightMapEmpty() throws IOException {
        rejected(dir, index("{}"), "weight_map is empty");
    }

    @Test
    void weightMapValueNotAString() throws IOException {
        rejected(dir, index("{\"x\":1}"), "weight_map maps \"x\" to a JSON number 1");
    }

    @Test
    void tensorListedTwiceInTheWeightMap() throws IOException {
        shard(dir.resolve("a.safetensors"), 1, "x");
        shard(dir.resolve("b.safetensors"), 1, "y");
        rejected(dir, index("{\"x\":\"a.safetensors\",\"x\":\"b.safetensors\"}"), "tensor \"x\" is listed twice");
    }

    @Test
    void shardNameWithParentSegment() throws IOException {
        shard(dir.resolve("outside.safetensors"), 1, "x");
        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        Path index = Files.writeString(ckpt.resolve(SafetensorsIndex.FILE_NAME),
                "{\"weight_map\":{\"x\":\"../outside.safetensors\"}}");
        rejected(ckpt, index, "shard \"../outside.safetensors\"", "leaves the checkpoint directory");
    }

    @Test
    void shardNameAbsolute() throws IOException {
        Path outside = shard(dir.resolve("outside.safetensors"), 1, "x");
        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        Path index = Files.writeString(ckpt.resolve(SafetensorsIndex.FILE_NAME),
                "{\"weight_map\":{\"x\":\"" + outside.toAbsolutePath().toString().replace("\\", "\\\\") + "\"}}");
        rejected(ckpt, index, "is an absolute path");
    }

    @Test
    void shardNameEmpty() throws IOException {
        rejected(dir, index("{\"x\":\"\"}"), "shard \"\", which is empty");
    }

    @Test
    void missingShardFile() throws IOException {
        shard(dir.resolve("a.safetensors"), 1, "x");
        rejected(dir, index("{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\"}"), "shard \"b.safetensors\"",
                "is missing");
    }

    @Test
    void listedTensorAbsentFromItsShard() throws IOException {
        shard(dir.resolve("a.safetensors"), 1, "x");
        rejected(dir, index("{\"x\":\"a.safetensors\",\"ghost\":\"a.safetensors\"}"),
                "puts tensor \"ghost\" in shard \"a.safetensors\", which does not hold it (no shard does)");
    }

    @Test
    void listedTensorInTheWrongShard() throws IOException {
        shard(dir.resolve("a.safetensors"), 1, "x");
        shard(dir.resolve("b.safetensors"), 1, "y");
        rejected(dir, index("{\"x\":\"b.safetensors\",\"y\":\"b.safetensors\",\"z\":\"a.safetensors\"}"),
                "puts tensor \"x\" in shard \"b.safetensors\", which does not hold it (it is in \"a.safetensors\")");
    }

    @Test
    void tensorInTwoShards() throws IOException {
        shard(dir.resolve("a.safetensors"), 1, "x", "dup");
        shard(dir.resolve("b.safetensors"), 1, "dup", "y");
        rejected(dir, index("{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\",\"dup\":\"a.safetensors\"}"),
                "tensor \"dup\" is in two shards, \"a.safetensors\" and \"b.safetensors\"");
    }

    @Test
    void malformedShardIsBlamedOnTheShard() throws IOException {
        Path bad = RawFiles.bytes(dir.resolve("a.safetensors"), new byte[3]);
        index("{\"x\":\"a.safetensors\"}");
        BadInputException e = assertThrows(BadInputException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(bad.toAbsolutePath(), e.file());
        assertTrue(e.problem().contains("3 bytes"), e.problem());
    }
}
