package dev.ternpack.formats.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import dev.ternpack.formats.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The index of a sharded checkpoint, {@code model.safetensors.index.json}:
 * <pre>
 *   {"metadata": {"total_size": ...},          optional, not used (writers disagree on what total_size counts)
 *    "weight_map": {tensor name: shard file}}  required, non-empty; shard files relative to the index's directory
 * </pre>
 * Shard names must stay inside the checkpoint directory as written: no absolute path and no {@code ..}
 * segment. Symbolic links are followed wherever they point, because the Hugging Face cache stores every
 * shard as a link into {@code ../../blobs/}.
 *
 * @param file the index file
 * @param weightMap tensor name to shard name, in index order
 * @param shardNames the distinct shard names, in the order they first appear in the weight map
 */
public record SafetensorsIndex(Path file, Map<String, String> weightMap, List<String> shardNames) {
    public static final String FILE_NAME = "model.safetensors.index.json";
    /** Real indexes are kilobytes; this only keeps a wrong file from being read whole. */
    static final long MAX_INDEX_BYTES = 100_000_000L;

    public SafetensorsIndex {
        Objects.requireNonNull(file, "file");
        weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
        shardNames = List.copyOf(shardNames);
    }

    /** The directory shard names are relative to. */
    public Path directory() {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? file.toAbsolutePath() : parent;
    }

    /** Where a shard named in the weight map lives. */
    public Path shardPath(String shardName) {
        return directory().resolve(shardName);
    }

    /** Reads and checks an index file; a {@link BadInputException} naming it on the first broken rule. */
    public static SafetensorsIndex read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_INDEX_BYTES) {
                throw new BadInputException(file, "index is " + size + " bytes, more than the " + MAX_INDEX_BYTES
                        + " an index of tensor names can need");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file, "file not found", e);
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read the index: " + e.getMessage(), e);
        }
        String text = StrictJson.decodeUtf8(file, bytes, 0, "index");
        JsonElement root = StrictJson.parse(file, text, "index");
        if (!root.isJsonObject()) {
            throw new BadInputException(file, "index is " + StrictJson.describe(root)
                    + ", expected a JSON object with a \"weight_map\"");
        }
        StrictJson.DuplicateKey duplicate = StrictJson.findDuplicateKey(text);
        if (duplicate != null) {
            boolean inWeightMap = duplicate.depth() == 2 && duplicate.path().startsWith("$.weight_map");
            throw new BadInputException(file, inWeightMap
                    ? "tensor \"" + duplicate.key() + "\" is listed twice in weight_map"
                    : "key \"" + duplicate.key() + "\" appears twice in the index at " + duplicate.path());
        }
        JsonElement weightMapValue = root.getAsJsonObject().get("weight_map");
        if (weightMapValue == null) {
            throw new BadInputException(file, "index has no \"weight_map\" saying which shard holds each tensor");
        }
        if (!weightMapValue.isJsonObject()) {
            throw new BadInputException(file, "weight_map is " + StrictJson.describe(weightMapValue)
                    + ", expected an object mapping tensor names to shard files");
        }
        if (weightMapValue.getAsJsonObject().isEmpty()) {
            throw new BadInputException(file, "weight_map is empty: the index lists no tensor");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        Set<String> shards = new LinkedHashSet<>();
        for (Map.Entry<String, JsonElement> m : weightMapValue.getAsJsonObject().entrySet()) {
            if (!(m.getValue() instanceof JsonPrimitive p) || !p.isString()) {
                throw new BadInputException(file, "weight_map maps \"" + m.getKey() + "\" to "
                        + StrictJson.describe(m.getValue()) + ", expected a shard file name");
            }
            String shard = p.getAsString();
            checkShardName(file, m.getKey(), shard);
            weightMap.put(m.getKey(), shard);
            shards.add(shard);
        }
        return new SafetensorsIndex(file, weightMap, new ArrayList<>(shards));
    }

    private static void checkShardName(Path file, String tensor, String shard) {
        String problem = null;
        Path path = null;
        try {
            path = Path.of(shard);
        } catch (InvalidPathException e) {
            problem = "is not a valid file name";
        }
        if (problem == null) {
            if (shard.isEmpty()) {
                problem = "is empty";
            } else if (path.isAbsolute() || path.getRoot() != null) {
                problem = "is an absolute path; shards must be files inside the checkpoint directory";
            } else {
                for (Path segment : path) {
                    if (segment.toString().equals("..")) {
                        problem = "leaves the checkpoint directory (\"..\"); shards must be files inside it";
                        break;
                    }
                }
            }
        }
        if (problem != null) {
            throw new BadInputException(file, "weight_map puts \"" + tensor + "\" in shard \""
                    + StrictJson.shorten(shard) + "\", which " + problem);
        }
    }
}
