package io.vdq.model.t5;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal is one line that names the file and the tensor or field at fault. */
class T5ErrorsTest {
    @TempDir Path tmp;
    private int edits;

    private static <T extends VdqException> String fails(Class<T> type, Executable body, String... mentions) {
        String m = assertThrows(type, body).getMessage();
        assertTrue(!m.contains("\n"), "one line: " + m);
        for (String s : mentions) assertTrue(m.contains(s), "'" + s + "' in: " + m);
        return m;
    }

    /** A copy of a fixture folder whose config.json has {@code from} replaced by {@code to}. */
    private Path withConfig(String fixture, String from, String to) throws IOException {
        Path d = tmp.resolve(fixture + "-edited-" + ++edits);
        Files.createDirectories(d);
        try (Stream<Path> s = Files.list(T5GoldenTest.resource(fixture))) {
            for (Path p : s.toList()) Files.copy(p, d.resolve(p.getFileName()));
        }
        Path cfg = d.resolve("config.json");
        String json = Files.readString(cfg);
        assertTrue(json.contains(from), from + " in " + cfg);
        Files.writeString(cfg, json.replace(from, to));
        return d;
    }

    @Test void missingConfigNamesTheFile() {
        fails(ConfigException.class, () -> T5Encoder.load(tmp), tmp.resolve("config.json").toString(), "no such file");
    }

    @Test void missingWeightsNameTheFolder() throws IOException {
        Files.writeString(tmp.resolve("config.json"), SyntheticT5.tiny().toJson());
        fails(CheckpointException.class, () -> T5Encoder.load(tmp), tmp.toString(), ".safetensors");
    }

    @Test void wrongTensorShapeNamesTensorAndFile() throws IOException {
        Path d = withConfig("umt5", "\"d_ff\": 48", "\"d_ff\": 50");
        fails(CheckpointException.class, () -> T5Encoder.load(d), d.resolve("model.safetensors").toString(),
                "encoder.block.0.layer.1.DenseReluDense.wi_0.weight", "[48, 32]", "[50, 32]");
    }

    @Test void shardedCheckpointErrorsNameTheIndex() throws IOException {
        Path d = withConfig("t5", "\"d_kv\": 8", "\"d_kv\": 16");
        fails(CheckpointException.class, () -> T5Encoder.load(d), "model.safetensors.index.json",
                "encoder.block.0.layer.0.SelfAttention.", "[32, 32]", "[64, 32]");
    }

    @Test void umt5CheckpointReadAsT5IsRefusedWithAHint() throws IOException {
        Path d = withConfig("umt5", "\"model_type\": \"umt5\"", "\"model_type\": \"t5\"");
        fails(CheckpointException.class, () -> T5Encoder.load(d), "encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight",
                "umt5 checkpoint");
    }

    @Test void fewerLayersInConfigThanInFileIsRefused() throws IOException {
        Path d = withConfig("umt5", "\"num_layers\": 3", "\"num_layers\": 2");
        fails(CheckpointException.class, () -> T5Encoder.load(d), "unexpected tensor", "encoder.block.2.");
    }

    @Test void moreLayersInConfigThanInFileIsRefused() throws IOException {
        Path d = withConfig("umt5", "\"num_layers\": 3", "\"num_layers\": 4");
        fails(CheckpointException.class, () -> T5Encoder.load(d), "missing tensor 'encoder.block.3.");
    }

    @Test void unsupportedModelTypeAndFeedForwardNameTheField() throws IOException {
        Path a = withConfig("umt5", "\"model_type\": \"umt5\"", "\"model_type\": \"bert\"");
        fails(ConfigException.class, () -> T5Encoder.load(a), a.resolve("config.json").toString(), "model_type", "bert");
        Path b = withConfig("t5", "\"feed_forward_proj\": \"gated-gelu\"", "\"feed_forward_proj\": \"relu\"");
        fails(ConfigException.class, () -> T5Encoder.load(b), b.resolve("config.json").toString(), "feed_forward_proj", "relu");
        Path c = withConfig("t5", "\"d_model\": 32", "\"d_model\": \"wide\"");
        fails(ConfigException.class, () -> T5Encoder.load(c), c.resolve("config.json").toString(), "d_model");
    }

    @Test void tokenIdOutOfRangeNamesIdPositionAndCheckpoint() {
        try (T5Encoder enc = T5Encoder.load(T5GoldenTest.resource("umt5"))) {
            fails(ConfigException.class, () -> enc.encode(new int[]{5, 300}), "token id 300", "position 1", "[0, 300)", "model.safetensors");
            fails(ConfigException.class, () -> enc.encode(new int[]{-1}), "token id -1", "position 0");
            fails(ConfigException.class, () -> enc.encode(new int[0]), "no token ids");
        }
    }

    @Test void unsupportedWeightDtypeNamesTheTensor() throws IOException {
        // SyntheticT5 writes F32, BF16 or F16 only: overwrite its weights with a file whose embedding is I8
        Path d = tmp.resolve("i8");
        SyntheticT5.write(d, SyntheticT5.tiny(), 1, DType.F16, Long.MAX_VALUE);
        try (T5Encoder enc = T5Encoder.load(d)) {
            assertTrue(enc.encode(new int[]{1, 2, 3}).toArray().length == 3 * 64);   // F16 weights load and run
        }
        var specs = java.util.List.of(new io.vdq.io.SafetensorsStreamWriter.Spec("shared.weight", DType.I8, new long[]{4096, 64}));
        Path w = d.resolve("model.safetensors");
        try (var sw = io.vdq.io.SafetensorsStreamWriter.create(w, specs, java.util.Map.of())) {
            sw.write("shared.weight", new byte[4096 * 64]);
            sw.commit();
        }
        fails(CheckpointException.class, () -> T5Encoder.load(d), w.toString(), "tensor 'shared.weight' is I8", "BF16, F16 or F32");
    }
}
