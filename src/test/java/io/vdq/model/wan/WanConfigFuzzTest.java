package io.vdq.model.wan;

import io.vdq.VdqException.ConfigException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The config parser fails only with {@link ConfigException}, whatever the keys' values are. */
class WanConfigFuzzTest {
    private static final String[] KEYS = {"patch_size", "num_attention_heads", "attention_head_dim", "in_channels",
            "out_channels", "text_dim", "freq_dim", "ffn_dim", "num_layers", "cross_attn_norm", "qk_norm", "eps",
            "image_dim", "added_kv_proj_dim", "rope_max_seq_len", "dim", "num_heads", "model_type"};

    @Provide
    Arbitrary<String> configs() {
        Arbitrary<String> value = Arbitraries.oneOf(
                Arbitraries.integers().between(-3, 300).map(String::valueOf),
                Arbitraries.of("null", "true", "false", "\"t2v\"", "\"i2v\"", "\"rms_norm_across_heads\"", "[1, 2, 2]",
                        "[1, 2]", "[\"a\", 2, 2]", "1e-6", "2.5", "{}", "\"x\"", "99999999999"));
        Arbitrary<String> entry = Arbitraries.of(KEYS).flatMap(k -> value.map(v -> "\"" + k + "\": " + v));
        return entry.list().ofMaxSize(8).map(l -> "{" + String.join(", ", l) + "}");
    }

    @Property(tries = 300, seed = "2026112401")
    void parsesOrRefusesWithAConfigError(@ForAll("configs") String json) {
        try {
            WanConfig c = WanConfig.parse(json, "fuzz.json");
            if (c.dim() <= 0) throw new AssertionError("accepted a config with dim " + c.dim());
        } catch (ConfigException expected) {
            // the only acceptable failure
        }
    }

    @Property(tries = 100, seed = "2026112402")
    void malformedJsonIsAConfigError(@ForAll String junk) {
        try {
            WanConfig.parse(junk, "junk.json");
        } catch (ConfigException expected) {
            // fine
        }
    }
}
