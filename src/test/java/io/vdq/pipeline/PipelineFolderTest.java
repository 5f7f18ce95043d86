package io.vdq.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The folder checks of a diffusers pipeline root, before any weights are read. */
class PipelineFolderTest {
    @TempDir Path root;

    private static final String INDEX = """
            {"_class_name": "WanPipeline", "scheduler": ["diffusers", "UniPCMultistepScheduler"],
             "text_encoder": ["transformers", "UMT5EncoderModel"], "tokenizer": ["transformers", "T5TokenizerFast"],
             "transformer": ["diffusers", "WanTransformer3DModel"], "transformer_2": [null, null],
             "vae": ["diffusers", "AutoencoderKLWan"]}""";

    private static final String UNIPC = """
            {"_class_name": "UniPCMultistepScheduler", "flow_shift": 5.0, "prediction_type": "flow_prediction",
             "solver_order": 2, "solver_type": "bh2", "use_flow_sigmas": true, "predict_x0": true,
             "final_sigmas_type": "zero", "num_train_timesteps": 1000}""";

    private void layout(String index, String scheduler) throws Exception {
        Files.writeString(root.resolve("model_index.json"), index);
        for (String d : new String[]{"transformer", "text_encoder", "vae"}) {
            Files.createDirectories(root.resolve(d));
            Files.writeString(root.resolve(d).resolve("config.json"), "{}");
        }
        Files.createDirectories(root.resolve("tokenizer"));
        Files.writeString(root.resolve("tokenizer/tokenizer.json"), "{}");
        Files.createDirectories(root.resolve("scheduler"));
        Files.writeString(root.resolve("scheduler/scheduler_config.json"), scheduler);
    }

    @Test
    void readsTheComponentsAndTheSchedulersShift() throws Exception {
        layout(INDEX, UNIPC);
        assertTrue(PipelineFolder.isPipeline(root));
        PipelineFolder p = PipelineFolder.read(root);
        assertEquals(root.resolve("transformer"), p.transformer());
        assertNull(p.transformer2(), "[null, null] means no second expert");
        assertFalse(p.twoExperts());
        assertEquals("unipc", p.scheduler().sampler());
        assertEquals(5.0, p.scheduler().shift());
        assertEquals(root.resolve("vae"), p.vae());
    }

    @Test
    void aMissingComponentFolderIsNamed() throws Exception {
        layout(INDEX, UNIPC);
        Files.delete(root.resolve("vae/config.json"));
        Files.delete(root.resolve("vae"));
        var e = assertThrows(ConfigException.class, () -> PipelineFolder.read(root));
        assertTrue(e.getMessage().contains("model_index.json") && e.getMessage().contains("'vae'"), e.getMessage());
    }

    @Test
    void aTokenizerFolderWithoutItsFileIsNamed() throws Exception {
        layout(INDEX, UNIPC);
        Files.delete(root.resolve("tokenizer/tokenizer.json"));
        var e = assertThrows(ConfigException.class, () -> PipelineFolder.read(root));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("spiece.model"), e.getMessage());
    }

    @Test
    void anUnlistedComponentIsRefused() throws Exception {
        layout(INDEX.replace("\"vae\": [\"diffusers\", \"AutoencoderKLWan\"]", "\"vae\": [null, null]"), UNIPC);
        var e = assertThrows(ConfigException.class, () -> PipelineFolder.read(root));
        assertTrue(e.getMessage().contains("'vae' is not listed"), e.getMessage());
    }

    @Test
    void twoExpertsNeedABoundaryRatio() throws Exception {
        layout(INDEX.replace("\"transformer_2\": [null, null]", "\"transformer_2\": [\"diffusers\", \"WanTransformer3DModel\"]"), UNIPC);
        Files.createDirectories(root.resolve("transformer_2"));
        Files.writeString(root.resolve("transformer_2/config.json"), "{}");
        var e = assertThrows(ConfigException.class, () -> PipelineFolder.read(root));
        assertTrue(e.getMessage().contains("boundary_ratio"), e.getMessage());
        Files.writeString(root.resolve("model_index.json"), INDEX.replace("\"transformer_2\": [null, null]",
                "\"transformer_2\": [\"diffusers\", \"WanTransformer3DModel\"], \"boundary_ratio\": 0.875"));
        PipelineFolder p = PipelineFolder.read(root);
        assertTrue(p.twoExperts());
        assertEquals(0.875, p.boundaryRatio());
    }

    @Test
    void aSchedulerVdqCannotSampleIsRefusedNamingTheField() throws Exception {
        layout(INDEX, UNIPC.replace("\"solver_order\": 2", "\"solver_order\": 3"));
        var e = assertThrows(ConfigException.class, () -> PipelineFolder.read(root));
        assertTrue(e.getMessage().contains("scheduler_config.json") && e.getMessage().contains("solver_order"), e.getMessage());
        layout(INDEX, UNIPC.replace("flow_prediction", "epsilon"));
        e = assertThrows(ConfigException.class, () -> PipelineFolder.read(root));
        assertTrue(e.getMessage().contains("prediction_type"), e.getMessage());
        layout(INDEX, "{\"_class_name\": \"DDIMScheduler\"}");
        e = assertThrows(ConfigException.class, () -> PipelineFolder.read(root));
        assertTrue(e.getMessage().contains("DDIMScheduler"), e.getMessage());
    }

    @Test
    void eulerTakesItsShiftField() throws Exception {
        layout(INDEX, "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 7.0}");
        SchedulerSettings s = PipelineFolder.read(root).scheduler();
        assertEquals("euler", s.sampler());
        assertEquals(7.0, s.shift());
    }

    @Test
    void vdqJsonStatesAModelsDefaultsAndIsValidated() throws Exception {
        Files.writeString(root.resolve("vdq.json"), """
                {"text_encoder": "vdq-synth", "pixel_space": true, "defaults": {"frames": 8, "height": 32, "steps": 10}}""");
        ModelDefaults d = ModelDefaults.read(root, ModelDefaults.wan(ModelDefaults.NONE));
        assertEquals(8, d.frames());
        assertEquals(32, d.height());
        assertEquals(832, d.width(), "an absent field keeps the fallback");
        assertEquals(10, d.steps());
        assertTrue(d.pixelSpace());
        assertEquals(ModelDefaults.SYNTH, d.textEncoder());
        Files.writeString(root.resolve("vdq.json"), "{\"text_encoder\": \"clip\"}");
        var e = assertThrows(ConfigException.class, () -> ModelDefaults.read(root, ModelDefaults.wan(ModelDefaults.NONE)));
        assertTrue(e.getMessage().contains("vdq.json") && e.getMessage().contains("text_encoder"), e.getMessage());
        Files.writeString(root.resolve("vdq.json"), "{\"text_encoder\": \"none\", \"defaults\": {\"steps\": 0}}");
        e = assertThrows(ConfigException.class, () -> ModelDefaults.read(root, ModelDefaults.wan(ModelDefaults.NONE)));
        assertTrue(e.getMessage().contains("vdq.json"), e.getMessage());
    }
}
