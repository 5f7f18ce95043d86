package io.vdq.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq stream-quantize}: an alias of {@code vdq quantize --stream} (the one streaming writer) whose recipe
 * defaults to {@code w4a4-dvd}: a sharded quantized checkpoint that {@code vdq generate --model OUT} runs, with
 * {@value QuantizeCommand#STREAM_REPORT} (for DVD-Quant, the per-layer MinMax / bounded-init / BGR weight errors)
 * and {@code --table}.
 */
@Command(name = "stream-quantize", mixinStandardHelpOptions = true,
        description = "Alias of vdq quantize --stream with recipe w4a4-dvd by default: any data-free recipe tensor by tensor from the mapped "
                + "checkpoint into a sharded quantized checkpoint (resumable), with quant_report.json (DVD-Quant: the per-layer BGR report).")
final class StreamQuantizeCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Diffusers transformer folder (config.json + safetensors, sharded or not).")
    String model;

    @Option(names = "--recipe", defaultValue = "w4a4-dvd", description = "A data-free preset or recipe JSON (default ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--out", required = true, description = "Output folder (an earlier output is resumed).")
    Path out;

    @Option(names = "--shard-size", defaultValue = "2000000000", description = "Largest output shard in bytes (default ${DEFAULT-VALUE}).")
    long shardSize;

    @Option(names = "--table", description = "Print the per-layer table (one line per layer).")
    boolean table;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public void run() {
        QuantizeCommand q = new QuantizeCommand();
        q.model = model;
        q.recipe = recipe;
        q.out = out;
        q.stream = true;
        q.shardSize = shardSize;
        q.table = table;
        q.quiet = quiet;
        q.commandName = "stream-quantize";
        q.run();
    }
}
