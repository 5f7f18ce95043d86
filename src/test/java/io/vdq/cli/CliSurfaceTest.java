package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The command-line surface as a new user meets it: help everywhere, every option described, one place per command. */
class CliSurfaceTest {
    /** Every command and subcommand, as the argument path that reaches it (the root is the empty path). */
    private static Map<List<String>, CommandLine> commands() {
        Map<List<String>, CommandLine> out = new HashMap<>();
        walk(new CommandLine(new Main()), new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, Map<List<String>, CommandLine> out) {
        out.put(List.copyOf(path), cl);
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getValue().getCommandSpec().userObject() instanceof CommandLine.HelpCommand) continue;
            path.add(e.getKey());
            walk(e.getValue(), path, out);
            path.removeLast();
        }
    }

    @Test
    void everyCommandAnswersHelpWithExitZero() {
        Map<List<String>, CommandLine> all = commands();
        assertTrue(all.size() >= 20, "expected the whole command tree, found " + all.keySet());
        for (List<String> path : all.keySet()) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            assertUsage(args, "vdq" + (path.isEmpty() ? "" : " " + String.join(" ", path)));
        }
    }

    /**
     * The command tree, written out by hand (README's "Other commands" and BenchCommand's list): a command added or
     * dropped without updating this list fails here, so the help test below provably covers every command and every
     * subcommand, bench's included.
     */
    private static final Set<List<String>> EXPECTED = Set.of(List.of(), List.of("inspect"), List.of("generate"), List.of("encode-prompt"),
            List.of("forward"), List.of("recipes"), List.of("demo"), List.of("sweep"), List.of("train-tiny"), List.of("score"),
            List.of("eval"), List.of("quantize"), List.of("make-checkpoint"), List.of("stream-quantize"), List.of("export-gguf"),
            List.of("bench"), List.of("bench", "gemm"), List.of("bench", "attention"), List.of("bench", "block"), List.of("bench", "int"),
            List.of("bench", "quant"), List.of("bench", "gguf"));

    @Test
    void theCommandTreeIsTheDocumentedOne() {
        assertEquals(new TreeSet<>(EXPECTED.stream().map(p -> String.join(" ", p)).toList()),
                new TreeSet<>(commands().keySet().stream().map(p -> String.join(" ", p)).toList()));
    }

    /** {@code -h} as well as {@code --help}, {@code vdq help CMD [SUB]} for every command, and bare {@code vdq bench}: usage, exit 0. */
    @Test
    void shortHelpHelpCommandAndBareGroupsPrintUsage() {
        for (List<String> path : EXPECTED) {
            List<String> args = new ArrayList<>(path);
            args.add("-h");
            assertUsage(args, "vdq" + (path.isEmpty() ? "" : " " + String.join(" ", path)));
            if (!path.isEmpty()) {   // vdq help CMD, and vdq help bench gemm for the nested ones
                List<String> help = new ArrayList<>(List.of("help"));
                help.addAll(path);
                assertUsage(help, "vdq " + String.join(" ", path));
            }
        }
        assertUsage(List.of("bench"), "vdq bench");
        assertUsage(List.of("help"), "vdq");
    }

    private static void assertUsage(List<String> args, String command) {
        CommandLine cl = new CommandLine(new Main());
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = Main.run(cl, args.toArray(String[]::new));
        assertEquals(0, rc, "vdq " + String.join(" ", args) + " exited " + rc + ": " + err);
        assertTrue(out.toString().startsWith("Usage: " + command + " "), "vdq " + String.join(" ", args) + " printed: " + out);
    }

    @Test
    void everyOptionHasADescription() {
        List<String> missing = new ArrayList<>();
        for (var e : commands().entrySet())
            for (OptionSpec o : e.getValue().getCommandSpec().options())
                if (o.description().length == 0 || o.description()[0].isBlank())
                    missing.add("vdq " + String.join(" ", e.getKey()) + " " + o.longestName());
        assertEquals(List.of(), missing);
    }

    @Test
    void eachCommandIsRegisteredOnce() {
        Map<String, List<String>> byClass = new HashMap<>();
        for (var e : commands().entrySet())
            byClass.computeIfAbsent(e.getValue().getCommandSpec().userObject().getClass().getName(), k -> new ArrayList<>())
                    .add(String.join(" ", e.getKey()));
        byClass.values().removeIf(l -> l.size() == 1);
        assertEquals(Map.of(), byClass);
    }
}
