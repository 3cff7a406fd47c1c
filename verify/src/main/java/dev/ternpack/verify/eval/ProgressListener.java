package dev.ternpack.verify.eval;

/** Receives progress of long evaluations; the command line draws it, libraries never print. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (done, total, what) -> { };

    void progress(long done, long total, String what);
}
