package dev.ternpack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * The {@code --help} of {@code ternpack} and of every subcommand (hidden ones too), word for word against reviewed
 * files in {@code cli/src/test/resources/help/<command>.txt} ({@code ternpack.txt} for the top level).
 *
 * <p>After changing a help text on purpose, or adding a command, write the current texts to those files and
 * review them like code:
 * <pre>
 *   ./mvnw -B -ntp -o test -pl cli -Dtest=HelpTextTest -Dternpack.help.write=true
 *   git diff cli/src/test/resources/help/      (and git add any new file)
 * </pre>
 * In that mode the comparison is skipped (reported as aborted, not passed).
 */
class HelpTextTest {
    static final Path GOLDEN = CliRun.ROOT.resolve("cli/src/test/resources/help");
    static final String HOW_TO_UPDATE = "if the change is intended, write the current help texts with\n"
            + "  ./mvnw -B -ntp -o test -pl cli -Dtest=HelpTextTest -Dternpack.help.write=true\n"
            + "and review them with: git diff cli/src/test/resources/help/";
    /** Commands whose run has a result, which must be available as JSON and as one quiet line. */
    static final Set<String> PRODUCE_RESULTS = Set.of("demo", "convert", "verify", "inspect", "pack", "formats",
            "bench");
    /** System properties through which picocli would let the environment change the help. */
    private static final List<String> PICOCLI_PROPERTIES = List.of("picocli.usage.width", "picocli.ansi");
    private static final Map<String, String> saved = new LinkedHashMap<>();

    @BeforeAll
    static void isolateFromTheEnvironment() {
        for (String p : PICOCLI_PROPERTIES) {
            String v = System.clearProperty(p);
            if (v != null) {
                saved.put(p, v);
            }
        }
    }

    @AfterAll
    static void restore() {
        saved.forEach(System::setProperty);
    }

    /** File name (without .txt) to the arguments that print its help. */
    static Map<String, List<String>> commands() {
        Map<String, List<String>> all = new LinkedHashMap<>();
        all.put("ternpack", List.of("--help"));
        for (CommandLine sub : new TreeSet<>(Ternpack.commandLine().getSubcommands().keySet()).stream()
                .map(name -> Ternpack.commandLine().getSubcommands().get(name)).toList()) {
            String name = sub.getCommandName(); // aliases map to the same command: keep its own name once
            all.putIfAbsent(name, List.of(name, "--help"));
        }
        return all;
    }

    /** What {@code ternpack ARGS} prints, as a user sees it with colours off. */
    static String render(List<String> args) {
        CommandLine cl = Ternpack.commandLine();
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args.toArray(String[]::new));
        assertEquals(0, code, "exit code of " + args + "; stderr: " + err);
        assertEquals("", err.toString(), "stderr of " + args);
        return out.toString();
    }

    static boolean writeMode() {
        return Boolean.getBoolean("ternpack.help.write");
    }

    @TestFactory
    Stream<DynamicTest> helpMatchesItsReviewedFile() throws IOException {
        if (writeMode()) {
            Files.createDirectories(GOLDEN);
            List<String> written = new ArrayList<>();
            for (var e : commands().entrySet()) {
                Path file = GOLDEN.resolve(e.getKey() + ".txt");
                String now = render(e.getValue());
                if (!Files.exists(file) || !Files.readString(file).equals(now)) {
                    Files.writeString(file, now, StandardCharsets.UTF_8);
                    written.add(file.getFileName().toString());
                }
            }
            Assumptions.abort("ternpack.help.write: wrote " + (written.isEmpty() ? "nothing (all up to date)"
                    : written) + " in " + GOLDEN + "; review with git diff before committing");
        }
        return commands().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey() + " --help", () -> {
            Path file = GOLDEN.resolve(e.getKey() + ".txt");
            if (!Files.exists(file)) {
                fail("no reviewed help text for '" + String.join(" ", e.getValue()) + "': " + file
                        + " is missing.\nEvery command needs one; " + HOW_TO_UPDATE);
            }
            String expected = Files.readString(file);
            String actual = render(e.getValue());
            if (!expected.equals(actual)) {
                fail("'ternpack " + String.join(" ", e.getValue()) + "' differs from " + file + ":\n"
                        + LineDiff.unified(expected, actual) + "\n" + HOW_TO_UPDATE);
            }
        }));
    }

    @Test
    void everyReviewedFileBelongsToACommand() throws IOException {
        Set<String> expected = new TreeSet<>();
        commands().keySet().forEach(c -> expected.add(c + ".txt"));
        Set<String> present = new TreeSet<>();
        try (Stream<Path> s = Files.list(GOLDEN)) {
            s.forEach(p -> present.add(p.getFileName().toString()));
        }
        present.removeAll(expected);
        assertTrue(present.isEmpty(), "help files for commands that do not exist (delete them): " + present);
    }

    @Test
    void helpIgnoresTheTerminal() {
        CommandLine root = Ternpack.commandLine();
        List<CommandLine> all = new ArrayList<>(List.of(root));
        all.addAll(root.getSubcommands().values());
        for (CommandLine c : all) {
            assertFalse(c.isUsageHelpAutoWidth(), c.getCommandName() + ": help width follows the terminal");
            assertEquals(Ternpack.HELP_WIDTH, c.getUsageHelpWidth(), c.getCommandName());
        }
    }

    @TestFactory
    Stream<DynamicTest> helpReadsWell() {
        return commands().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            String help = render(e.getValue());
            List<String> lines = help.lines().toList();
            for (String line : lines) {
                assertTrue(line.length() <= Ternpack.HELP_WIDTH, "longer than the help width: '" + line + "'");
                assertEquals(line.stripTrailing(), line, "trailing blanks: '" + line + "'");
            }
            // picocli wraps after a dot inside a word ("llama.\ncpp"): reword the sentence when it does.
            for (int i = 0; i + 1 < lines.size(); i++) {
                String next = lines.get(i + 1).strip();
                boolean entry = next.matches("[a-z][\\w-]* {2,}.*"); // the next command in the list
                if (lines.get(i).matches(".*[A-Za-z0-9_]\\.$") && !next.isEmpty()
                        && Character.isLowerCase(next.charAt(0)) && !entry) {
                    fail("a word is broken after its dot at line " + (i + 1) + ":\n" + lines.get(i) + "\n"
                            + lines.get(i + 1));
                }
            }
            int usage = help.indexOf("Usage: ");
            assertEquals(0, usage, "help starts with the synopsis");
            String[] paragraphs = help.split("\n\n");
            assertTrue(paragraphs.length >= 4, "synopsis and summary, a description paragraph, options, examples");
            assertTrue(paragraphs[1].strip().length() > 80, "a description paragraph after the one-line summary:\n"
                    + paragraphs[1]);
            Matcher examples = Pattern.compile("\nExamples:\n((?:  .*\n)+)").matcher(help);
            assertTrue(examples.find(), "an Examples: section");
            assertTrue(examples.group(1).contains("  ternpack "), "an example runs ternpack");
            assertTrue(Pattern.compile("\n\nExit codes: 0 ").matcher(help).find(), "an 'Exit codes:' paragraph");
            assertTrue(help.endsWith(".\n"), "ends with the exit codes sentence");
            Matcher testdata = Pattern.compile("testdata/[\\w./-]+").matcher(examples.group(1));
            while (testdata.find()) {
                Path p = CliRun.ROOT.resolve(testdata.group().replaceAll("[.]$", ""));
                assertTrue(Files.exists(p), "the example names " + p + ", which is not in the repository");
            }
            String name = e.getKey();
            if (PRODUCE_RESULTS.contains(name)) {
                assertTrue(help.contains("      --json[=FILE]  "), name + " has --json[=FILE]");
                assertTrue(help.contains("  -q, --quiet  "), name + " has -q, --quiet");
                assertTrue(help.contains("      --stacktrace  "), name + " has --stacktrace");
            }
            if (help.contains("--threads")) {
                assertTrue(help.contains("  -t, --threads=N  "), name + ": threads are -t, --threads=N");
            }
            if (help.contains("--out")) {
                assertTrue(help.contains("  -o, --output="), name + ": the output option is -o, --output");
            }
        }));
    }

    /** A line diff in the unified style, with two lines of context around each change. */
    static final class LineDiff {
        private LineDiff() {
        }

        static String unified(String expected, String actual) {
            List<String> a = expected.lines().toList();
            List<String> b = actual.lines().toList();
            int[][] lcs = new int[a.size() + 1][b.size() + 1];
            for (int i = a.size() - 1; i >= 0; i--) {
                for (int j = b.size() - 1; j >= 0; j--) {
                    lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1
                            : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
                }
            }
            List<String> ops = new ArrayList<>(); // each line prefixed with ' ', '-' or '+'
            int i = 0;
            int j = 0;
            while (i < a.size() || j < b.size()) {
                if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                    ops.add(" " + a.get(i++));
                    j++;
                } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
                    ops.add("-" + a.get(i++));
                } else {
                    ops.add("+" + b.get(j++));
                }
            }
            StringBuilder sb = new StringBuilder("--- expected (reviewed file)\n+++ actual (current help)\n");
            int lastShown = -1;
            for (int k = 0; k < ops.size(); k++) {
                boolean near = false;
                for (int d = Math.max(0, k - 2); d <= Math.min(ops.size() - 1, k + 2) && !near; d++) {
                    near = ops.get(d).charAt(0) != ' ';
                }
                if (near) {
                    if (k > lastShown + 1) {
                        sb.append("@@ line ").append(k + 1).append(" @@\n");
                    }
                    sb.append(ops.get(k)).append('\n');
                    lastShown = k;
                }
            }
            if (expected.endsWith("\n") != actual.endsWith("\n")) {
                sb.append("(the files differ in the newline at the end)\n");
            }
            return sb.toString();
        }
    }

    @Test
    void theDiffShowsWhatChanged() {
        String d = LineDiff.unified("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\nh\n");
        assertEquals("--- expected (reviewed file)\n+++ actual (current help)\n@@ line 2 @@\n b\n c\n-d\n+D\n e\n f\n"
                + " g\n+h\n", d);
    }
}
