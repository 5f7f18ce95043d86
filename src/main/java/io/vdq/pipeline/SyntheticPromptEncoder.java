package io.vdq.pipeline;

import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Tensor;

/**
 * The synthetic world's fixed text encoder ({@link TextEncoder}, 16 token rows, the default seed), which vdq-tiny
 * was trained with and which conditions random models. The empty prompt encodes to all zeros.
 */
public final class SyntheticPromptEncoder implements PromptEncoder {
    private final TextEncoder enc;

    public SyntheticPromptEncoder(int textDim) {
        this.enc = new TextEncoder(textDim, TextEncoder.DEFAULT_LENGTH, TextEncoder.DEFAULT_SEED);
    }

    @Override public Tensor encode(String prompt) {
        return prompt.isBlank() ? Tensor.zeros(enc.length(), enc.textDim()) : enc.encode(prompt);
    }

    @Override public String describe() {
        return "vdq synthetic-world encoder (text_dim " + enc.textDim() + ", " + enc.length() + " tokens)";
    }
}
