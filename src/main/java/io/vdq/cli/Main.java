package io.vdq.cli;

import io.vdq.VdqException;
import io.vdq.io.Printable;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

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

    /**
     * Exit code of a command that was understood but failed (a bad file or value, out of memory); a command line
     * picocli cannot parse (unknown flag, missing option, a value of the wrong type) exits with its usage code 2.
     */
    static final int FAILED = 1;

    /** Runs the CLI and returns the exit code (used by tests): 0, {@link #FAILED}, or 2 for a usage error. */
    public static int run(String... args) { return run(new CommandLine(new Main()), args); }

    /** Runs {@code cl} with vdq's error handling (tests pass a command line of their own). */
    static int run(CommandLine cl, String... args) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            for (Throwable t = ex; t != null; t = t.getCause()) {
                if (t instanceof OutOfMemoryError) {   // thrown in a worker thread and wrapped on the way back
                    cmd.getErr().println("vdq: " + outOfMemory(Runtime.getRuntime().maxMemory()));
                    if (verbose) ex.printStackTrace(cmd.getErr());
                    return FAILED;
                }
            }
            String msg = ex instanceof VdqException || ex instanceof UncheckedIOException
                    ? ex.getMessage() : ex.getClass().getSimpleName() + ": " + ex.getMessage();
            cmd.getErr().println("vdq: " + Printable.line(msg));   // names read from files may hold newlines
            if (verbose) ex.printStackTrace(cmd.getErr());
            return FAILED;
        });
        String threads = System.getProperty("vdq.threads");
        if (threads != null && !threads.strip().matches("0*[1-9]\\d{0,5}")) {   // Parallel would silently use all cores
            cl.getErr().println("vdq: -Dvdq.threads=" + threads + ": expected a whole number >= 1");
            return 2;
        }
        // picocli's help command resolves one level: 'vdq help bench gemm' is run as 'vdq bench gemm --help'
        if (args.length >= 3 && args[0].equals("help")) {
            CommandLine sub = cl;
            for (int i = 1; i < args.length && sub != null; i++) sub = sub.getSubcommands().get(args[i]);
            if (sub != null) {
                String[] rewritten = Arrays.copyOf(Arrays.copyOfRange(args, 1, args.length), args.length);
                rewritten[args.length - 1] = "--help";
                args = rewritten;
            }
        }
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {   // picocli's handler sees Exceptions only; an Error propagates to here
            cl.getErr().println("vdq: " + outOfMemory(Runtime.getRuntime().maxMemory()));
            if (verbose) e.printStackTrace(cl.getErr());
            return FAILED;
        }
    }

    /**
     * The one line printed when the heap runs out: what to reduce, and the {@code -Xmx} to pass through
     * {@code VDQ_JAVA_OPTS} (twice the present limit, in whole GiB).
     */
    static String outOfMemory(long maxHeapBytes) {
        long gib = 1L << 30;
        long now = Math.max(1, Math.round((double) maxHeapBytes / gib));
        return "out of memory (Java heap limit " + String.format(Locale.ROOT, "%.1f", (double) maxHeapBytes / gib)
                + " GiB): reduce --frames, --height/--width or the model size, or give Java more heap, e.g. "
                + "VDQ_JAVA_OPTS=-Xmx" + 2 * now + "g ./vdq ... (the launcher already allows 75 % of RAM)";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"vdq " + (v == null ? "0.1.0-dev" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
