/**
 * Text tokenization for the text encoders of diffusion pipelines: a SentencePiece Unigram tokenizer
 * ({@link io.vdq.text.Tokenizer#load}) reading {@code tokenizer.json} (Hugging Face tokenizers format) or
 * {@code spiece.model} (SentencePiece ModelProto), with SentencePiece's normalization and Viterbi semantics.
 * Depends on {@code io.vdq.VdqException}, {@code io.AtomicFiles} and Jackson.
 */
package io.vdq.text;
