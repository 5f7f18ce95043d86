package io.vdq.model.vae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.JsonConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code config.json} of a diffusers {@code AutoencoderKLWan} (the Wan2.1 VAE). Missing keys take diffusers'
 * defaults (those of Wan2.1). Options no Wan2.1-style VAE uses are refused rather than ignored: a non-empty
 * {@code attn_scales}, {@code is_residual} (the Wan2.2-5B VAE), {@code patch_size} > 1, a {@code decoder_base_dim}
 * other than {@code base_dim}, and image channels other than 3. Arrays are held as given; do not mutate them.
 *
 * @param temperalDownsample per down stage (length {@code dimMult.length - 1}), whether it halves the frames
 *                           (diffusers' spelling is kept in the JSON key); the decoder uses it reversed
 */
public record WanVaeConfig(int zDim, int baseDim, int[] dimMult, int numResBlocks, boolean[] temperalDownsample,
                           float[] latentsMean, float[] latentsStd) {

    /** Wan2.1's latent statistics (diffusers' defaults), per channel. */
    static final float[] WAN21_MEAN = {-0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f,
            0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f};
    static final float[] WAN21_STD = {2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
            3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f};

    public WanVaeConfig {
        String where = "Wan VAE config";
        if (zDim <= 0) throw new ConfigException(where + ": z_dim must be > 0, got " + zDim);
        if (baseDim <= 0) throw new ConfigException(where + ": base_dim must be > 0, got " + baseDim);
        if (numResBlocks <= 0) throw new ConfigException(where + ": num_res_blocks must be > 0, got " + numResBlocks);
        if (dimMult == null || dimMult.length < 1)
            throw new ConfigException(where + ": dim_mult must have at least one entry");
        for (int m : dimMult) if (m <= 0) throw new ConfigException(where + ": dim_mult entries must be > 0, got " + Arrays.toString(dimMult));
        if (temperalDownsample == null || temperalDownsample.length != dimMult.length - 1)
            throw new ConfigException(where + ": temperal_downsample must have " + (dimMult.length - 1)
                    + " entries (one per down stage of dim_mult " + Arrays.toString(dimMult) + "), got "
                    + (temperalDownsample == null ? "none" : temperalDownsample.length));
        // the decoder's 2-D upsampling halves the channels: dims[i]·dim_mult must be even where it upsamples
        for (int i = 1; i < dimMult.length; i++)
            if ((baseDim * dimMult[i]) % 2 != 0)
                throw new ConfigException(where + ": base_dim·dim_mult[" + i + "] = " + baseDim * dimMult[i]
                        + " must be even (the decoder's upsamplers halve the channels)");
        if (latentsMean == null || latentsMean.length != zDim)
            throw new ConfigException(where + ": latents_mean must have z_dim = " + zDim + " entries, got "
                    + (latentsMean == null ? "none" : latentsMean.length));
        if (latentsStd == null || latentsStd.length != zDim)
            throw new ConfigException(where + ": latents_std must have z_dim = " + zDim + " entries, got "
                    + (latentsStd == null ? "none" : latentsStd.length));
    }

    /** Wan2.1's VAE (diffusers' defaults): base 96, z 16, dim_mult [1, 2, 4, 4], 2 res blocks, time down [F, T, T]. */
    public static WanVaeConfig wan21() {
        return new WanVaeConfig(16, 96, new int[]{1, 2, 4, 4}, 2, new boolean[]{false, true, true},
                WAN21_MEAN.clone(), WAN21_STD.clone());
    }

    /** A small VAE of the same shape family for tests: base 8, z 16 (the Wan transformer's in_channels), 1 res block. */
    public static WanVaeConfig tiny() {
        return new WanVaeConfig(16, 8, new int[]{1, 2, 2, 2}, 1, new boolean[]{false, true, true},
                WAN21_MEAN.clone(), WAN21_STD.clone());
    }

    /** Pixels per latent along H and W: 2^(number of down stages). */
    public int spatialFactor() { return 1 << (dimMult.length - 1); }

    /** Video frames per latent frame after the first: 2^(number of temporal down stages). */
    public int temporalFactor() {
        int n = 0;
        for (boolean b : temperalDownsample) if (b) n++;
        return 1 << n;
    }

    /** The decoder's per-stage temporal upsampling: {@code temperalDownsample} reversed. */
    boolean[] temperalUpsample() {
        boolean[] u = new boolean[temperalDownsample.length];
        for (int i = 0; i < u.length; i++) u[i] = temperalDownsample[u.length - 1 - i];
        return u;
    }

    /** Reads a diffusers VAE {@code config.json}; errors name the file and key. */
    public static WanVaeConfig read(Path configJson) {
        JsonConfig j = JsonConfig.read(configJson);
        String f = j.source();
        String cls = j.getString("_class_name", "AutoencoderKLWan");
        if (!cls.equals("AutoencoderKLWan"))
            throw new ConfigException(f + ": _class_name is '" + cls + "', expected 'AutoencoderKLWan'");
        if (j.getBoolean("is_residual", false))
            throw new ConfigException(f + ": is_residual true (the Wan2.2-5B VAE) is not supported; expected a Wan2.1-style VAE");
        if (j.has("patch_size") && j.getInt("patch_size") != 1)
            throw new ConfigException(f + ": patch_size " + j.getInt("patch_size") + " is not supported; expected null");
        if (j.getInt("in_channels", 3) != 3 || j.getInt("out_channels", 3) != 3)
            throw new ConfigException(f + ": in_channels/out_channels must be 3");
        int base = j.getInt("base_dim", 96);
        if (j.has("decoder_base_dim") && j.getInt("decoder_base_dim") != base)
            throw new ConfigException(f + ": decoder_base_dim " + j.getInt("decoder_base_dim") + " differs from base_dim "
                    + base + "; not supported");
        if (j.has("attn_scales") && !floats(j, "attn_scales", new float[0]).isEmpty())
            throw new ConfigException(f + ": attn_scales " + floats(j, "attn_scales", new float[0])
                    + " is not supported; expected [] (as every released Wan VAE)");
        int z = j.getInt("z_dim", 16);
        int[] mult = j.has("dim_mult") ? j.getIntList("dim_mult").stream().mapToInt(Integer::intValue).toArray() : new int[]{1, 2, 4, 4};
        boolean[] td = j.has("temperal_downsample") ? bools(j, "temperal_downsample") : new boolean[]{false, true, true};
        float[] mean = toArray(floats(j, "latents_mean", z == 16 ? WAN21_MEAN : null));
        float[] std = toArray(floats(j, "latents_std", z == 16 ? WAN21_STD : null));
        try {
            return new WanVaeConfig(z, base, mult, j.getInt("num_res_blocks", 2), td, mean, std);
        } catch (ConfigException e) {
            throw new ConfigException(f + ": " + e.getMessage(), e);
        }
    }

    private static List<Float> floats(JsonConfig j, String key, float[] dflt) {
        if (!j.has(key)) {
            if (dflt == null) throw new ConfigException(j.source() + ": missing key '" + key + "' (no default for this z_dim)");
            Float[] b = new Float[dflt.length];
            for (int i = 0; i < b.length; i++) b[i] = dflt[i];
            return List.of(b);
        }
        Object v = j.raw().get(key);
        if (!(v instanceof List<?> l)) throw new ConfigException(j.source() + ": key '" + key + "' must be an array of numbers");
        Float[] out = new Float[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Number n))
                throw new ConfigException(j.source() + ": key '" + key + "' must be an array of numbers, found " + l.get(i));
            out[i] = n.floatValue();
        }
        return List.of(out);
    }

    private static boolean[] bools(JsonConfig j, String key) {
        Object v = j.raw().get(key);
        if (!(v instanceof List<?> l)) throw new ConfigException(j.source() + ": key '" + key + "' must be an array of booleans");
        boolean[] out = new boolean[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Boolean b))
                throw new ConfigException(j.source() + ": key '" + key + "' must be an array of booleans, found " + l.get(i));
            out[i] = b;
        }
        return out;
    }

    private static float[] toArray(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    /** This config as diffusers writes it ({@code _class_name} AutoencoderKLWan), pretty-printed JSON. */
    public String toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.put("_class_name", "AutoencoderKLWan");
        o.put("_diffusers_version", "0.33.0");
        o.putArray("attn_scales");
        o.put("base_dim", baseDim);
        o.putNull("decoder_base_dim");
        ArrayNode dm = o.putArray("dim_mult");
        for (int d : dimMult) dm.add(d);
        o.put("dropout", 0.0);
        o.put("in_channels", 3);
        o.put("is_residual", false);
        ArrayNode mean = o.putArray("latents_mean");
        for (float x : latentsMean) mean.add(x);
        ArrayNode std = o.putArray("latents_std");
        for (float x : latentsStd) std.add(x);
        o.put("num_res_blocks", numResBlocks);
        o.put("out_channels", 3);
        o.putNull("patch_size");
        o.put("scale_factor_spatial", spatialFactor());
        o.put("scale_factor_temporal", temporalFactor());
        ArrayNode td = o.putArray("temperal_downsample");
        for (boolean b : temperalDownsample) td.add(b);
        o.put("z_dim", zDim);
        return o.toPrettyString();
    }

    @Override public String toString() {
        return "WanVaeConfig[z_dim=" + zDim + ", base_dim=" + baseDim + ", dim_mult=" + Arrays.toString(dimMult)
                + ", num_res_blocks=" + numResBlocks + ", temperal_downsample=" + Arrays.toString(temperalDownsample) + "]";
    }
}
