package dev.ternpack.cli;

import java.util.Locale;
import java.util.Map;
import java.util.Stack;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Parses {@code --json [FILE]} the same way in every command: a following argument is taken as FILE only when it
 * ends in {@code .json} (or is {@code -}), so {@code ternpack inspect --json model.gguf} still means "JSON on stdout
 * for model.gguf". Any other file name is given as {@code --json=FILE}.
 */
final class JsonFileArg implements CommandLine.IParameterPreprocessor {
    /** What a bare {@code --json} stands for: stdout. */
    static final String STDOUT = "-";
    /** The sentence every --json description ends with. */
    static final String NOTE = " Unless written --json=FILE, FILE must end in .json.";

    @Override
    public boolean preprocess(Stack<String> args, CommandSpec commandSpec, ArgSpec argSpec, Map<String, Object> info) {
        if (!" ".equals(info.get("separator"))) { // --json=FILE: picocli takes the attached value
            if (!args.isEmpty() && args.peek().isBlank()) {
                throw new CommandLine.ParameterException(commandSpec.commandLine(),
                        "--json= names no file: write --json=FILE, or --json alone for stdout");
            }
            return false;
        }
        String next = args.isEmpty() ? null : args.peek();
        boolean isFile = next != null && (next.equals(STDOUT)
                || (!next.startsWith("-") && next.toLowerCase(Locale.ROOT).endsWith(".json")));
        if (!isFile) {
            argSpec.setValue(STDOUT);
            return true;
        }
        return false;
    }
}
