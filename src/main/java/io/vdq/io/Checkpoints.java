package io.vdq.io;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One entry point for weights on disk: a {@code .safetensors} or {@code .gguf} file, a {@code *.safetensors.index.json}, a folder
 * holding either (a sharded checkpoint or a diffusers model folder), or a diffusers pipeline folder whose
 * {@code transformer/} subfolder holds them.
 */
public final class Checkpoints {
    /** Names tried first in a folder, in order (diffusers, then transformers). */
    static final List<String> PREFERRED = List.of(
            "diffusion_pytorch_model.safetensors.index.json", "model.safetensors.index.json",
            "diffusion_pytorch_model.safetensors", "model.safetensors");

    private Checkpoints() {}

    /** Opens {@code path} as a {@link TensorSource} (a {@code .gguf} file as {@link GgufFile}); the caller closes it. */
    public static TensorSource open(Path path) {
        Path f = resolve(path);
        if (isGguf(f)) return GgufFile.open(f);
        return isIndex(f) ? ShardedCheckpoint.open(f) : SafetensorsFile.open(f);
    }

    /** Whether {@code f} is read as a GGUF file (by its {@code .gguf} extension). */
    public static boolean isGguf(Path f) { return f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf"); }

    /** Whether {@code f} is read as a sharded-checkpoint index (any {@code .json} file) rather than a safetensors file. */
    public static boolean isIndex(Path f) { return f.getFileName().toString().endsWith(".json"); }

    /** The file {@link #open} reads for {@code path}: a safetensors file or an index json. */
    public static Path resolve(Path path) {
        if (Files.isRegularFile(path)) return path;
        if (!Files.isDirectory(path)) throw new CheckpointException(path + ": no such file or folder");
        for (String name : PREFERRED) {
            Path p = path.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        List<Path> indexes = list(path, ".json").stream()   // also diffusers variants: NAME.safetensors.index.fp16.json
                .filter(p -> p.getFileName().toString().contains(".safetensors.index")).toList();
        if (indexes.size() == 1) return indexes.getFirst();
        if (indexes.size() > 1)
            throw new CheckpointException(path + ": several index files " + names(indexes) + "; name one of them (e.g. a variant)");
        List<Path> files = list(path, ".safetensors");
        if (files.size() == 1) return files.getFirst();
        if (files.size() > 1)
            throw new CheckpointException(path + ": several safetensors files " + names(files)
                    + " and no *.safetensors.index.json; name one of them");
        Path sub = path.resolve("transformer");
        if (Files.isDirectory(sub)) return resolve(sub);
        throw new CheckpointException(path + ": no .safetensors file, *.safetensors.index.json or transformer/ folder");
    }

    /** The {@code config.json} beside the weights that {@code path} resolves to, if there is one. */
    public static Optional<Path> configFile(Path path) {
        Path dir = resolve(path).toAbsolutePath().getParent();
        Path c = dir.resolve("config.json");
        return Files.isRegularFile(c) ? Optional.of(c) : Optional.empty();
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix) && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot list folder: " + e.getMessage(), e);
        }
    }

    private static String names(List<Path> ps) {
        return ps.stream().map(p -> p.getFileName().toString()).toList().toString();
    }
}
