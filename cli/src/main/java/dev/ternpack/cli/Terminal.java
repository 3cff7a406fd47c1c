package dev.ternpack.cli;

import dev.ternpack.verify.eval.ProgressListener;
import java.io.Console;
import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What a command may show while it works: a progress bar on stderr when the user sits at a terminal, nothing
 * otherwise (CI logs, pipes, tests, {@code --quiet}). Status lines go to stderr too, so stdout carries only
 * results.
 */
final class Terminal {
    private final PrintWriter err;
    private final boolean quiet;
    private final boolean interactive;

    Terminal(PrintWriter err, boolean quiet) {
        this.err = err;
        this.quiet = quiet;
        Console c = System.console();
        this.interactive = !quiet && c != null && c.isTerminal() && System.getenv("CI") == null;
    }

    /** A status line on stderr, unless quiet. */
    void status(String line) {
        if (!quiet) {
            err.println(line);
            err.flush();
        }
    }

    /** A progress reporter for a task of {@code total} steps; close it when done. */
    Progress progress(String task, long total, String unit) {
        if (!interactive) {
            return new Progress(null);
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).continuousUpdate()
                .setConsumer(new me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer(System.err))
                .build();
        return new Progress(bar);
    }

    /** Forwards progress to a bar, or drops it. */
    static final class Progress implements AutoCloseable, ProgressListener {
        private final ProgressBar bar;

        Progress(ProgressBar bar) {
            this.bar = bar;
        }

        @Override
        public void progress(long done, long total, String what) {
            if (bar != null) {
                if (bar.getMax() != total) {
                    bar.maxHint(total);
                }
                bar.stepTo(done);
            }
        }

        void extra(String message) {
            if (bar != null) {
                bar.setExtraMessage(message);
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}
