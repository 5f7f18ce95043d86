package io.vdq.cli;

import io.vdq.VdqException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point: {@code vdq [--verbose] COMMAND ...}. Errors print one line; --verbose adds the stack trace. */
@Command(name = "vdq", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Post-training quantization of video diffusion transformers.",
        subcommands = {
                CommandLine.HelpCommand.class,
                InspectCommand.class,
                BenchCommand.class,
                GenerateCommand.class,
                EncodePromptCommand.class,
                ForwardCommand.class,
                RecipesCommand.class,
                DemoCommand.class, SweepCommand.class,
                BenchIntCommand.class,
                TrainTinyCommand.class,
                ScoreCommand.class,
                EvalCommand.class,
                QuantizeCommand.class,
                MakeCheckpointCommand.class, StreamQuantizeCommand.class,
                ExportGgufCommand.class,
        })
public final class Main implements Runnable {
    @Option(names = "--verbose", description = "Print stack traces on errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @Override public void run() { new CommandLine(this).usage(System.out); }

    public static void main(String[] args) { System.exit(run(args)); }

    /** Runs the CLI and returns the exit code (used by tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            String msg = ex instanceof VdqException || ex instanceof java.io.UncheckedIOException
                    ? ex.getMessage() : ex.getClass().getSimpleName() + ": " + ex.getMessage();
            cmd.getErr().println("vdq: " + io.vdq.io.Printable.line(msg));   // names read from files may hold newlines
            if (verbose) ex.printStackTrace(cmd.getErr());
            return 2;
        });
        String threads = System.getProperty("vdq.threads");
        if (threads != null && !threads.strip().matches("0*[1-9]\\d{0,5}")) {   // Parallel would silently use all cores
            cl.getErr().println("vdq: -Dvdq.threads=" + threads + ": expected a whole number >= 1");
            return 2;
        }
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"vdq " + (v == null ? "0.1.0-dev" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
