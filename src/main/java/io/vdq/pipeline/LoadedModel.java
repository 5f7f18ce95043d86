package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.diffusion.Denoiser;
import io.vdq.diffusion.Scheduler;
import io.vdq.model.vae.WanVae;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model as {@link ModelLoader} found it: the transformer (float or quantized), for Wan2.2-A14B pipelines the
 * low-noise expert and the switch point, the sampling defaults, and for a pipeline folder its components, whose
 * text encoder and VAE are only opened when asked for.
 *
 * @param spec          the {@code --model} argument as given
 * @param quantized     the quantized checkpoint the transformer came from, or null (float)
 * @param model2        the low-noise expert of a two-expert pipeline, or null
 * @param boundaryRatio timesteps ≥ boundaryRatio·1000 run {@code model}, the rest {@code model2}; NaN with one expert
 * @param pipeline      the diffusers pipeline folder, or null
 * @param folder        the transformer folder, or null for random models
 */
public record LoadedModel(String spec, WanModel model, QuantizedCheckpoint.Loaded quantized, WanModel model2,
                          QuantizedCheckpoint.Loaded quantized2, double boundaryRatio, ModelDefaults defaults,
                          PipelineFolder pipeline, Path folder) {

    static LoadedModel of(String spec, WanModel m, QuantizedCheckpoint.Loaded q, ModelDefaults d, PipelineFolder p) {
        return new LoadedModel(spec, m, q, null, null, Double.NaN, d, p, p == null ? null : p.transformer());
    }

    LoadedModel withSecondExpert(WanModel m2, QuantizedCheckpoint.Loaded q2, double boundary) {
        if (!m2.config().equals(model.config()) && m2.config().inChannels() != model.config().inChannels())
            throw new ConfigException(pipeline.transformer2().resolve("config.json") + ": in_channels " + m2.config().inChannels()
                    + " differs from transformer/'s " + model.config().inChannels());
        return new LoadedModel(spec, model, quantized, m2, q2, boundary, defaults, pipeline, folder);
    }

    LoadedModel withFolder(Path f) {
        return new LoadedModel(spec, model, quantized, model2, quantized2, boundaryRatio, defaults, pipeline, f);
    }

    public boolean random() { return defaults.textEncoder().equals(ModelDefaults.RANDOM); }

    public boolean twoExperts() { return model2 != null; }

    /** The model the sampler calls: with two experts, the high-noise one for t ≥ boundary·1000, as WanPipeline switches. */
    public Denoiser denoiser() {
        if (model2 == null) return model::forward;
        float boundary = (float) (boundaryRatio * Scheduler.TRAIN_TIMESTEPS);
        return (x, t, text) -> t >= boundary ? model.forward(x, t, text) : model2.forward(x, t, text);
    }

    /**
     * The model's own prompt encoder: UMT5 + tokenizer for a pipeline, the synthetic world's encoder for vdq-tiny
     * and random models; a model without one is refused naming what to pass instead.
     */
    public PromptEncoder promptEncoder(int maxSequenceLength, String flag) {
        return PromptEncoders.of(defaults.textEncoder(), model.config().textDim(), pipeline, folder, spec, maxSequenceLength, flag);
    }

    /** The pipeline's VAE, checked against the transformer's channels; empty without a pipeline. */
    public Optional<WanVae> vae() {
        if (pipeline == null) return Optional.empty();
        WanVae v = WanVae.load(pipeline.vae());
        if (v.config().zDim() != model.config().inChannels()) {
            v.close();
            throw new ConfigException(pipeline.vae().resolve("config.json") + ": z_dim " + v.config().zDim()
                    + " does not match the transformer's in_channels " + model.config().inChannels()
                    + " (" + pipeline.transformer().resolve("config.json") + ")");
        }
        return Optional.of(v);
    }

    /** The text embedding width the transformer expects. */
    public int textDim() { return model.config().textDim(); }
}
