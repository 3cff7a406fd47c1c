package dev.ternpack.cli;

import dev.ternpack.formats.BadInputException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Exit codes of every command, and the one place that turns exceptions into them.
 * Errors print one line {@code error: FILE: what is wrong}; the stack trace only with {@code --stacktrace}.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int INTERNAL = 1;
    public static final int USAGE = 2;
    public static final int BAD_INPUT = 3;
    public static final int VERIFY_FAILED = 4;
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }

    static void configure(CommandLine cl) {
        cl.setExitCodeExceptionMapper(ExitCodes::exitCodeOf);
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            PrintWriter err = line.getErr();
            boolean trace = parseResult.originalArgs().contains("--stacktrace");
            err.println("error: " + message(ex));
            if (trace) {
                ex.printStackTrace(err);
            } else if (exitCodeOf(ex) == INTERNAL) {
                err.println("(this is a bug in ternpack; rerun with --stacktrace and report the trace)");
            }
            err.flush();
            return exitCodeOf(ex);
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String message = ex.getMessage();
            // picocli starts some messages (argument groups) with its own "Error: ".
            err.println("error: " + (message.startsWith("Error: ") ? message.substring("Error: ".length()) : message));
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                err.println("Did you mean " + u.getSuggestions().get(0) + "?"); // the closest; the rest are loose
            }
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more.");
            err.flush();
            return USAGE;
        });
    }

    static int exitCodeOf(Throwable ex) {
        Throwable t = unwrap(ex);
        if (t instanceof BadInputException || t instanceof NoSuchFileException
                || t instanceof AccessDeniedException || t instanceof FileAlreadyExistsException
                || t instanceof FileSystemException) {
            return BAD_INPUT;
        }
        if (t instanceof InterruptedException) {
            return INTERRUPTED;
        }
        return INTERNAL;
    }

    static String message(Throwable ex) {
        Throwable t = unwrap(ex);
        return switch (t) {
            case BadInputException b -> b.getMessage();
            case NoSuchFileException n -> n.getFile() + ": no such file";
            case AccessDeniedException a -> a.getFile() + ": permission denied";
            case FileAlreadyExistsException f -> f.getFile() + ": already exists (another run wrote it first,"
                    + " or pass --force to replace it)";
            // e.g. a full disk while writing OUT (OutputFiles.writeFailure): the file and the system's reason
            case FileSystemException f -> f.getFile() + ": " + (f.getReason() != null ? f.getReason()
                    : f.getClass().getSimpleName());
            default -> t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        };
    }

    private static Throwable unwrap(Throwable ex) {
        Throwable t = ex;
        while ((t instanceof UncheckedIOException || t instanceof CommandLine.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
