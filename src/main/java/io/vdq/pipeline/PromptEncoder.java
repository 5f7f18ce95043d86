package io.vdq.pipeline;

import io.vdq.tensor.Tensor;

/**
 * Prompt text to the embeddings a model is conditioned on, {@code [L, text_dim]}, exactly as the model's own
 * pipeline produces them: for a Wan pipeline the UMT5 encoder's output for the real tokens zero-padded to
 * {@code max_sequence_length} ({@link T5PromptEncoder}); for vdq-tiny the synthetic world's encoder
 * ({@link SyntheticPromptEncoder}).
 */
public interface PromptEncoder extends AutoCloseable {
    Tensor encode(String prompt);

    /** One line for logs and run.json: what encodes, from which files. */
    String describe();

    /** Releases mapped weights (the UMT5 encoder's); a no-op for in-memory encoders. */
    @Override default void close() {}
}
