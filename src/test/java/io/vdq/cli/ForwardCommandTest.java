package io.vdq.cli;

import static io.vdq.cli.TestFiles.read;
import static io.vdq.cli.TestFiles.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.model.wan.GoldenFixture;
import io.vdq.model.wan.WanConfig;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vdq forward} on a diffusers folder written from the numpy golden fixture reproduces its output. */
class ForwardCommandTest {
    @TempDir Path dir;

    @Test
    void forwardFromADiffusersFolderMatchesTheNumpyReference() throws Exception {
        GoldenFixture fx = GoldenFixture.load("/wan/tiny_golden.safetensors");
        Path model = Files.createDirectories(dir.resolve("tiny/transformer"));
        Files.writeString(model.resolve("config.json"), WanConfig.tiny().toJson());
        write(model.resolve("diffusion_pytorch_model.safetensors"), fx.weights);
        write(dir.resolve("lat.safetensors"), Map.of("x", fx.get("input.latents")));
        write(dir.resolve("txt.safetensors"), Map.of("t", fx.get("input.text")));
        int rc = Main.run("forward", "--model", dir.resolve("tiny").toString(), "--latents", dir.resolve("lat.safetensors").toString(),
                "--timestep", "500", "--text-emb", dir.resolve("txt.safetensors").toString(), "--out", dir.resolve("y.safetensors").toString());
        assertEquals(0, rc);
        Tensor y = read(dir.resolve("y.safetensors")).readFloat("sample");
        double err = GoldenFixture.maxAbsDiff(fx.get("expected.forward_t500"), y);
        assertTrue(err < 1e-4, "max abs error " + err);
    }

    @Test
    void checkpointWithAMissingTensorFailsNamingIt() throws Exception {
        GoldenFixture fx = GoldenFixture.load("/wan/tiny_golden.safetensors");
        Path model = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(model.resolve("config.json"), WanConfig.tiny().toJson());
        var w = new java.util.LinkedHashMap<>(fx.weights);
        w.remove("blocks.0.ffn.net.2.bias");
        write(model.resolve("diffusion_pytorch_model.safetensors"), w);
        write(dir.resolve("lat.safetensors"), Map.of("x", fx.get("input.latents")));
        write(dir.resolve("txt.safetensors"), Map.of("t", fx.get("input.text")));
        var err = new java.io.StringWriter();
        var cl = new picocli.CommandLine(new Main());
        cl.setErr(new java.io.PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> { cmd.getErr().println(ex.getMessage()); return 2; });
        int rc = cl.execute("forward", "--model", model.toString(), "--latents", dir.resolve("lat.safetensors").toString(),
                "--timestep", "1", "--text-emb", dir.resolve("txt.safetensors").toString(), "--out", dir.resolve("y.safetensors").toString());
        assertEquals(2, rc);
        assertTrue(err.toString().contains("missing tensor 'blocks.0.ffn.net.2.bias' of shape [24]"), err.toString());
        assertTrue(err.toString().contains("diffusion_pytorch_model.safetensors"), err.toString());
    }
}
