package dev.ternpack.convert;

/** What a conversion reports while it runs; the library never prints, the caller decides what to show. */
public interface ConvertListener {
    /** Called after each output tensor is written; {@code bytesDone} counts output tensor bytes. */
    void progress(long bytesDone, long bytesTotal, String tensorName);

    /** Something the user should know that does not stop the conversion. */
    void warning(String message);

    /** A listener that drops everything. */
    ConvertListener NONE = new ConvertListener() {
        @Override
        public void progress(long bytesDone, long bytesTotal, String tensorName) {
        }

        @Override
        public void warning(String message) {
        }
    };
}
