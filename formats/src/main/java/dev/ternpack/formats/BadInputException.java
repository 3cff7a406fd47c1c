package dev.ternpack.formats;

import java.nio.file.Path;

/**
 * Input that ternpack cannot use: a malformed or inconsistent file, or a request that contradicts the input.
 * The message is one line, {@code FILE: what is wrong}, so a user sees which file to fix and why.
 * The command line maps this exception to exit code 3.
 */
public class BadInputException extends RuntimeException {
    private final Path file;
    private final String problem;

    public BadInputException(Path file, String problem) {
        this(file, problem, null);
    }

    public BadInputException(Path file, String problem, Throwable cause) {
        super(file == null ? problem : file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /** The file at fault, or null when the problem is not tied to one file. */
    public Path file() {
        return file;
    }

    /** What is wrong, without the file name. */
    public String problem() {
        return problem;
    }
}
