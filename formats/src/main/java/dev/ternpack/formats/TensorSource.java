package dev.ternpack.formats;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A set of named tensors read from disk: one safetensors file or a sharded checkpoint. Tensors stay valid
 * until {@link #close()}.
 */
public interface TensorSource extends AutoCloseable {

    /** Where the tensors come from (a file or a checkpoint directory). */
    Path location();

    /** Tensor names in a stable order: the order of the header(s), shard by shard. */
    List<String> names();

    boolean contains(String name);

    /** The tensor of that name; a {@link BadInputException} naming the source when it is absent. */
    Tensor tensor(String name);

    /** The {@code __metadata__} string map (merged over shards; empty when absent). */
    Map<String, String> metadata();

    @Override
    void close();
}
