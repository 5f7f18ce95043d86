package io.vdq.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.VdqException.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A diffusers pipeline root as downloaded (e.g. {@code Wan-AI/Wan2.1-T2V-1.3B-Diffusers}): {@code model_index.json}
 * naming the components, each in its own folder — {@code transformer/}, {@code text_encoder/}, {@code tokenizer/},
 * {@code vae/}, {@code scheduler/}, and for Wan2.2-A14B a second expert {@code transformer_2/} with the
 * {@code boundary_ratio} at which sampling switches from the high-noise expert ({@code transformer}) to the
 * low-noise one. Every listed component is checked here, before any weight is read: a missing folder or key file
 * is refused naming {@code model_index.json} and the path.
 *
 * @param transformer2  the low-noise expert, or null (Wan2.1)
 * @param boundaryRatio with two experts: timesteps ≥ boundaryRatio·1000 run {@code transformer}, the rest
 *                      {@code transformer_2}; NaN with one expert
 */
public record PipelineFolder(Path root, String className, Path transformer, Path transformer2, double boundaryRatio,
                             Path textEncoder, Path tokenizer, Path vae, SchedulerSettings scheduler) {
    public static final String INDEX = "model_index.json";

    public static boolean isPipeline(Path dir) { return Files.isRegularFile(dir.resolve(INDEX)); }

    public static PipelineFolder read(Path root) {
        Path index = root.resolve(INDEX);
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new ConfigException(index + ": cannot read: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (j == null || !j.isObject()) throw new ConfigException(index + ": expected a JSON object");
        String cls = j.path("_class_name").asText("");
        Path transformer = component(root, j, "transformer", "config.json", true);
        Path transformer2 = component(root, j, "transformer_2", "config.json", false);
        double boundary = Double.NaN;
        if (transformer2 != null) {
            JsonNode b = j.get("boundary_ratio");
            if (b == null || !b.isNumber() || !(b.asDouble() > 0 && b.asDouble() < 1))
                throw new ConfigException(index + ": two experts (transformer, transformer_2) need a boundary_ratio in (0, 1), got " + b);
            boundary = b.asDouble();
        }
        Path textEncoder = component(root, j, "text_encoder", "config.json", true);
        Path tokenizer = component(root, j, "tokenizer", null, true);
        if (!Files.isRegularFile(tokenizer.resolve("tokenizer.json")) && !Files.isRegularFile(tokenizer.resolve("spiece.model")))
            throw new ConfigException(index + ": component 'tokenizer': " + tokenizer + " holds neither tokenizer.json nor spiece.model");
        Path vae = component(root, j, "vae", "config.json", true);
        Path sched = component(root, j, "scheduler", "scheduler_config.json", true);
        return new PipelineFolder(root, cls, transformer, transformer2, boundary, textEncoder, tokenizer, vae,
                SchedulerSettings.read(sched.resolve("scheduler_config.json")));
    }

    /** The component's folder; a component listed as [null, null] (diffusers' way of saying "none") is absent. */
    private static Path component(Path root, JsonNode j, String name, String keyFile, boolean required) {
        Path index = root.resolve(INDEX);
        JsonNode e = j.get(name);
        boolean listed = e != null && e.isArray() && e.size() == 2 && !e.get(0).isNull() && !e.get(1).isNull();
        if (!listed) {
            if (required) throw new ConfigException(index + ": component '" + name + "' is not listed (a text-to-video Wan "
                    + "pipeline needs transformer, text_encoder, tokenizer, vae and scheduler)");
            return null;
        }
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) throw new ConfigException(index + ": component '" + name + "' has no folder " + dir);
        if (keyFile != null && !Files.isRegularFile(dir.resolve(keyFile)))
            throw new ConfigException(index + ": component '" + name + "': missing " + dir.resolve(keyFile));
        return dir;
    }

    public boolean twoExperts() { return transformer2 != null; }
}
