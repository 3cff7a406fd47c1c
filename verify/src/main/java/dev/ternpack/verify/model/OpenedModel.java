package dev.ternpack.verify.model;

/**
 * A loaded model together with the mapped file(s) its embedding, head and dense tensors still read from; the
 * model is usable until {@link #close()}.
 */
public record OpenedModel(LoadedModel model, AutoCloseable resource) implements AutoCloseable {

    @Override
    public void close() {
        try {
            resource.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
