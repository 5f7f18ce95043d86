package io.vdq.cli;

import io.vdq.VdqException.ShapeException;
import io.vdq.io.SafetensorsWriter;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq forward}: one transformer evaluation on given latents, timestep and text embeddings, for parity
 * checks against other implementations (e.g. diffusers on the same inputs). Writes {@code [1, C, F, H, W]}.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run the Wan transformer once on latents + timestep + text embeddings (parity checks).")
final class ForwardCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Diffusers transformer folder, or random:tiny / random:1.3b.")
    String model;

    @Option(names = "--latents", required = true, description = "Safetensors holding one tensor [C, F, H, W] or [1, C, F, H, W].")
    Path latents;

    @Option(names = "--timestep", required = true, description = "Model timestep input (σ·1000 for flow matching).")
    float timestep;

    @Option(names = {"--text-emb", "--prompt-embeds"}, required = true, description = "Text embeddings [L, text_dim] or [1, L, text_dim].")
    Path textEmb;

    @Option(names = "--out", required = true, description = "Output safetensors file (tensor 'sample').")
    Path out;

    @Override
    public void run() {
        GenerateCommand g = new GenerateCommand();
        g.model = model;
        WanModel wan = g.loadModel();
        Tensor x = GenerateCommand.readSingle(latents, "the latents");
        if (x.rank() == 5 && x.dim(0) == 1) x = x.row(0);
        if (x.rank() != 4) throw new ShapeException(latents + ": latents " + x.shape() + ", expected [C, F, H, W] or [1, C, F, H, W]");
        Tensor text = GenerateCommand.readEmbeds(textEmb, wan.config());
        Tensor y = wan.forward(x, timestep, text);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", model);
        meta.put("timestep", Float.toString(timestep));
        meta.put("latents", latents.toString());
        meta.put("text_emb", textEmb.toString());
        int[] d = y.shape().dims();
        new SafetensorsWriter().metadata(meta).add("sample", y.reshape(1, d[0], d[1], d[2], d[3])).write(out);
    }
}
