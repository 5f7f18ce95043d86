package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.eval.Fidelity;
import io.vdq.eval.GgufWeightError;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufValue;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.LoadedModel;
import io.vdq.pipeline.ModelLoader;
import io.vdq.tensor.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vdq bench gguf}: fidelity of GGUF exports against the float checkpoint they came from. For each file:
 * its size, the relative weight error ‖W − Ŵ‖/‖W‖ pooled over its quantized tensors ({@link GgufWeightError}), and
 * the relative L2 error of one transformer forward (the velocity) against the float model's, on the same random
 * latent, timestep and text embedding (seeded), with the GGUF loaded as a model through the GGUF loader. Prints a
 * Markdown table row per file.
 */
@Command(name = "gguf", mixinStandardHelpOptions = true,
        description = "GGUF files vs their float checkpoint: size, pooled weight error, one-forward output error.")
final class BenchGgufCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The float diffusers transformer the files were exported from.")
    Path model;

    @Option(names = "--frames", defaultValue = "1", description = "Latent frames (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--height", defaultValue = "32", description = "Latent height (default ${DEFAULT-VALUE}).")
    int height;

    @Option(names = "--width", defaultValue = "32", description = "Latent width (default ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--tokens", defaultValue = "16", description = "Text embedding tokens (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--timestep", defaultValue = "500", description = "Model timestep (default ${DEFAULT-VALUE}).")
    float timestep;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the latent (seed) and text embedding (seed + 1) (default ${DEFAULT-VALUE}).")
    long seed;

    @Parameters(arity = "1..*", paramLabel = "FILE.gguf", description = "GGUF files exported from --model.")
    List<Path> files;

    @Override public Integer call() {
        if (frames < 1 || height < 1 || width < 1 || tokens < 1)
            throw new ConfigException("--frames, --height, --width and --tokens must be >= 1");
        PrintWriter out = spec.commandLine().getOut();
        LoadedModel base = ModelLoader.load(model.toString(), null);
        if (base.quantized() != null) throw new ConfigException("--model " + model + ": a quantized checkpoint; give the float model");
        WanModel ref = base.model();
        WanConfig c = ref.config();
        Tensor x = Tensor.randn(seed, c.inChannels(), frames, height, width);
        Tensor text = Tensor.randn(seed + 1, tokens, c.textDim());
        long t0 = System.nanoTime();
        float[] y0 = ref.forward(x, timestep, text).toArray();
        double fwd = (System.nanoTime() - t0) / 1e9;
        ref = null;
        base = null;
        out.printf(Locale.ROOT, "# model %s: dim %d, %d layers; latent [%d, %d, %d, %d], %d text tokens, timestep %s, seed %d; float forward %.1f s%n",
                model, c.dim(), c.numLayers(), c.inChannels(), frames, height, width, tokens, timestep, seed, fwd);
        out.println("| file | type | method | MB | quantized values | weight rel. err | output rel. L2 | output cosine |");
        out.println("|---|---|---|---|---|---|---|---|");
        out.flush();
        try (TensorSource src = Checkpoints.open(model)) {
            for (Path f : files) {
                GgufWeightError.Result w;
                String type, method;
                long bytes;
                try (GgufFile g = GgufFile.open(f)) {
                    w = GgufWeightError.of(g, src);
                    type = key(g, "vdq.type");
                    method = key(g, "vdq.method");
                    bytes = g.fileSize();
                }
                float[] y = ModelLoader.load(f.toString(), null).model().forward(x, timestep, text).toArray();
                out.printf(Locale.ROOT, "| %s | %s | %s | %.1f | %d in %d tensors | %.5f | %.5f | %.6f |%n", f.getFileName(), type, method,
                        bytes / 1e6, w.values(), w.tensors(), w.relError(), Fidelity.relL2(y0, y), Fidelity.cosine(y0, y));
                out.flush();
            }
        }
        return 0;
    }

    private static String key(GgufFile g, String k) {
        GgufValue v = g.kv().get(k);
        return v == null ? "?" : v.display();
    }
}
