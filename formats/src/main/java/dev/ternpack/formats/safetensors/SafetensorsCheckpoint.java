package dev.ternpack.formats.safetensors;

import dev.ternpack.formats.BadInputException;
import dev.ternpack.formats.Tensor;
import dev.ternpack.formats.TensorSource;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A Hugging Face checkpoint read through one interface whether it is one {@code .safetensors} file or
 * several shards with a {@code model.safetensors.index.json}. Each shard is mapped once.
 *
 * <p>Rules for a sharded checkpoint: every tensor the index names must be in the shard it names; no tensor
 * may be in two shards (which one a loader got would depend on load order). A tensor that a shard holds but
 * the index does not list is not exposed, as Hugging Face's loaders use the index as the table of
 * contents; {@link #unlistedTensors()} names such tensors so a caller can warn.
 */
public final class SafetensorsCheckpoint implements TensorSource {
    private final Path location;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> owner;
    private final List<String> names;
    private final List<String> unlisted;
    private final Map<String, String> metadata;

    private SafetensorsCheckpoint(Path location, List<SafetensorsFile> shards, Map<String, SafetensorsFile> owner,
            List<String> names, List<String> unlisted) {
        this.location = location;
        this.shards = List.copyOf(shards);
        this.owner = owner;
        this.names = List.copyOf(names);
        this.unlisted = List.copyOf(unlisted);
        Map<String, String> merged = new LinkedHashMap<>();
        for (SafetensorsFile shard : shards) {
            // First shard wins; real shards all carry the same {"format": "pt"}.
            shard.metadata().forEach(merged::putIfAbsent);
        }
        this.metadata = Collections.unmodifiableMap(merged);
    }

    /**
     * Opens {@code path}: a {@code .safetensors} file; an index {@code .json} file; or a directory holding
     * {@code model.safetensors.index.json} (used when present) or else exactly one {@code *.safetensors} file.
     */
    public static SafetensorsCheckpoint open(Path path) {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(SafetensorsIndex.FILE_NAME);
            if (Files.exists(index)) {
                return openSharded(path, SafetensorsIndex.read(index));
            }
            List<Path> files = safetensorsFilesIn(path);
            if (files.isEmpty()) {
                throw new BadInputException(path, "no " + SafetensorsIndex.FILE_NAME
                        + " and no .safetensors file in this directory");
            }
            if (files.size() > 1) {
                throw new BadInputException(path, files.size() + " .safetensors files ("
                        + files.stream().map(f -> f.getFileName().toString()).collect(Collectors.joining(", "))
                        + ") and no " + SafetensorsIndex.FILE_NAME + " saying which tensors each holds;"
                        + " add the index or pass one file");
            }
            return openSingle(path, files.get(0));
        }
        if (!Files.exists(path)) {
            throw new BadInputException(path, "no such file or directory");
        }
        if (path.getFileName().toString().endsWith(".json")) {
            SafetensorsIndex index = SafetensorsIndex.read(path);
            return openSharded(index.directory(), index);
        }
        return openSingle(path, path);
    }

    private static List<Path> safetensorsFilesIn(Path dir) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path p : stream) {
                if (Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            throw new BadInputException(dir, "cannot list the directory: " + e.getMessage(), e);
        }
        files.sort(null);
        return files;
    }

    private static SafetensorsCheckpoint openSingle(Path location, Path file) {
        SafetensorsFile single = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> owner = new HashMap<>();
        for (String name : single.names()) {
            owner.put(name, single);
        }
        return new SafetensorsCheckpoint(location, List.of(single), owner, single.names(), List.of());
    }

    private static SafetensorsCheckpoint openSharded(Path location, SafetensorsIndex index) {
        Path indexFile = index.file();
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            // Two spellings of one file ("a.safetensors", "./a.safetensors") share one mapping.
            Map<Path, SafetensorsFile> byPath = new HashMap<>();
            Map<SafetensorsFile, String> shardNameOf = new HashMap<>();
            Map<String, SafetensorsFile> byShardName = new HashMap<>();
            for (String shardName : index.shardNames()) {
                Path shardPath = index.shardPath(shardName).normalize();
                SafetensorsFile shard = byPath.get(shardPath);
                if (shard == null) {
                    if (!Files.isRegularFile(shardPath)) {
                        throw new BadInputException(indexFile, "shard \"" + shardName + "\" named in weight_map is"
                                + " missing (expected at " + shardPath + ")");
                    }
                    shard = SafetensorsFile.open(shardPath);
                    shards.add(shard);
                    byPath.put(shardPath, shard);
                    shardNameOf.put(shard, shardName);
                }
                byShardName.put(shardName, shard);
            }
            Map<String, String> heldBy = new HashMap<>();
            for (SafetensorsFile shard : shards) {
                String shardName = shardNameOf.get(shard);
                for (String name : shard.names()) {
                    String other = heldBy.putIfAbsent(name, shardName);
                    if (other != null) {
                        throw new BadInputException(indexFile, "tensor \"" + name + "\" is in two shards, \"" + other
                                + "\" and \"" + shardName + "\"");
                    }
                }
            }
            Map<String, SafetensorsFile> owner = new HashMap<>();
            for (Map.Entry<String, String> listed : index.weightMap().entrySet()) {
                String name = listed.getKey();
                SafetensorsFile shard = byShardName.get(listed.getValue());
                if (!shard.contains(name)) {
                    String actual = heldBy.get(name);
                    throw new BadInputException(indexFile, "weight_map puts tensor \"" + name + "\" in shard \""
                            + listed.getValue() + "\", which does not hold it"
                            + (actual == null ? " (no shard does)" : " (it is in \"" + actual + "\")"));
                }
                owner.put(name, shard);
            }
            List<String> names = new ArrayList<>();
            List<String> unlisted = new ArrayList<>();
            for (SafetensorsFile shard : shards) {
                for (String name : shard.names()) {
                    (owner.containsKey(name) ? names : unlisted).add(name);
                }
            }
            return new SafetensorsCheckpoint(location, shards, owner, names, unlisted);
        } catch (RuntimeException | Error e) {
            shards.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** The path the checkpoint was opened from (file or directory). */
    @Override
    public Path location() {
        return location;
    }

    /** Shard by shard in index order (a single file is one shard), each in its file's data order. */
    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return owner.containsKey(name);
    }

    @Override
    public Tensor tensor(String name) {
        SafetensorsFile shard = owner.get(name);
        if (shard == null) {
            throw new BadInputException(location, "no tensor named \"" + name + "\" (the checkpoint has "
                    + names.size() + " tensors)");
        }
        return shard.tensor(name);
    }

    /** As {@link SafetensorsFile#tensor(String, Arena)}: the tensor mapped on its own, unmapped with the arena. */
    public Tensor tensor(String name, java.lang.foreign.Arena arena) {
        tensor(name); // the same error for an unknown name
        return owner.get(name).tensor(name, arena);
    }

    /** As {@link SafetensorsFile#rows}: some rows of a tensor mapped on their own, unmapped with the arena. */
    public Tensor rows(String name, long first, long count, java.lang.foreign.Arena arena) {
        tensor(name); // the same error for an unknown name
        return owner.get(name).rows(name, first, count, arena);
    }

    /** The shards' {@code __metadata__} merged; on a key that differs, the first shard's value. */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The mapped files, in index order; one for an unsharded checkpoint. */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** Tensors present in a shard but absent from the index, in shard order; not exposed by {@link #tensor}. */
    public List<String> unlistedTensors() {
        return unlisted;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (SafetensorsFile shard : shards) {
            try {
                shard.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "SafetensorsCheckpoint[" + location + ", " + shards.size() + " shard(s), " + names.size() + " tensors]";
    }
}
