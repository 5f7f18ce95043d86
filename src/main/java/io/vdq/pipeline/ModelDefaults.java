package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.JsonConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * What a model folder says about how it is sampled, so that {@code vdq generate --model DIR --prompt …} needs no
 * other flag: video size, steps, flow shift, guidance, frame rate, sampler, and which text encoder its embeddings
 * come from. A diffusers Wan pipeline gets WanPipeline's defaults (81 frames of 480×832, 50 UniPC steps, CFG 5.0,
 * 16 fps) with the shift and solver of its {@code scheduler/scheduler_config.json}; a vdq model folder states its
 * own in {@code vdq.json} ({@link #FILE}); a bare transformer folder gets the Wan defaults and no encoder.
 *
 * @param textEncoder {@link #UMT5} (the pipeline's text_encoder/ and tokenizer/), {@link #SYNTH} (the synthetic
 *                    world's encoder, {@code io.vdq.synth.TextEncoder}, which vdq-tiny was trained with),
 *                    {@link #RANDOM} (a seeded random model: any embedding is as good as another) or {@link #NONE}
 * @param pixelSpace  the model samples RGB frames in [−1, 1] directly (no VAE; vdq-tiny)
 */
public record ModelDefaults(int frames, int height, int width, int steps, double shift, float guidance, int fps,
                            String sampler, String textEncoder, boolean pixelSpace) {
    public static final String FILE = "vdq.json";
    public static final String UMT5 = "umt5", SYNTH = "vdq-synth", RANDOM = "random", NONE = "none";

    /** WanPipeline's defaults for Wan2.1 T2V (81×480×832, 50 steps, CFG 5, flow shift 3, 16 fps). */
    public static ModelDefaults wan(String textEncoder) {
        return new ModelDefaults(81, 480, 832, 50, 3.0, 5.0f, 16, "unipc", textEncoder, false);
    }

    /** A seeded random latent model (random:tiny, random:1.3b): small videos, random text from the seed. */
    public static ModelDefaults random(boolean small) {
        return small ? new ModelDefaults(5, 64, 64, 50, 3.0, 5.0f, 16, "unipc", RANDOM, false) : wan(RANDOM);
    }

    public ModelDefaults withScheduler(SchedulerSettings s) {
        return new ModelDefaults(frames, height, width, steps, s.shift(), guidance, fps, s.sampler(), textEncoder, pixelSpace);
    }

    /**
     * {@code dir/vdq.json} if present, else {@code fallback}. Its fields: {@code text_encoder} (required: one of
     * the names above), {@code pixel_space} (default false) and {@code defaults}: {@code frames, height, width,
     * steps, shift, guidance, fps, sampler}, each optional (missing ones come from {@code fallback}).
     */
    public static ModelDefaults read(Path dir, ModelDefaults fallback) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) return fallback;
        return from(JsonConfig.read(file), fallback);
    }

    /** The same from JSON text (e.g. the {@link #GGUF_KEY} string of a GGUF file); {@code source} names it in errors. */
    public static ModelDefaults parse(String source, String json, ModelDefaults fallback) {
        return from(JsonConfig.parse(source, json), fallback);
    }

    /** GGUF metadata key under which {@code vdq export-gguf} stores the model folder's {@link #FILE}. */
    public static final String GGUF_KEY = "vdq.model_defaults";

    private static ModelDefaults from(JsonConfig root, ModelDefaults fallback) {
        String src = root.source();
        if (!root.has("text_encoder"))
            throw new ConfigException(src + ": field 'text_encoder' is required (" + UMT5 + ", " + SYNTH + ", " + RANDOM + " or " + NONE + ")");
        String enc = root.getString("text_encoder");
        if (!Set.of(UMT5, SYNTH, RANDOM, NONE).contains(enc))
            throw new ConfigException(src + ": field 'text_encoder' is '" + enc + "', expected " + UMT5 + ", " + SYNTH + ", " + RANDOM + " or " + NONE);
        boolean pixel = root.getBoolean("pixel_space", false);
        ModelDefaults f = fallback;
        JsonConfig d = root.has("defaults") ? root.getObject("defaults") : JsonConfig.parse(src + ": defaults", "{}");
        ModelDefaults m = new ModelDefaults(d.getInt("frames", f.frames()), d.getInt("height", f.height()), d.getInt("width", f.width()),
                d.getInt("steps", f.steps()), d.getDouble("shift", f.shift()), (float) d.getDouble("guidance", f.guidance()),
                d.getInt("fps", f.fps()), d.getString("sampler", f.sampler()), enc, pixel);
        if (m.frames() < 1 || m.height() < 1 || m.width() < 1 || m.steps() < 1 || m.fps() < 1 || !(m.shift() > 0) || !Float.isFinite(m.guidance()))
            throw new ConfigException(src + ": 'defaults' must hold positive frames, height, width, steps, fps and shift, and a finite guidance");
        return m;
    }
}
