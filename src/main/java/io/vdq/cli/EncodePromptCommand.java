package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.SafetensorsWriter;
import io.vdq.pipeline.CalibrationTexts;
import io.vdq.pipeline.PromptEncoder;
import io.vdq.pipeline.PromptEncoders;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq encode-prompt}: a prompt through the model's own text encoder to a safetensors file (tensor
 * {@code prompt_embeds}, {@code [1, L, text_dim]} as diffusers returns it), for parity checks against
 * PyTorch and for encoding once and sampling many times ({@code vdq generate --prompt-embeds}); with
 * {@code --prompts FILE} one file per line into a folder, plus the empty prompt as {@code negative.safetensors},
 * which {@code vdq quantize --calib-embeds} reads.
 */
@Command(name = "encode-prompt", mixinStandardHelpOptions = true,
        description = "Encode a prompt with the model's text encoder and write the embeddings as safetensors.")
final class EncodePromptCommand implements Runnable {
    @Option(names = "--model", required = true, description = "A diffusers Wan pipeline folder (UMT5 encoder + tokenizer), models/vdq-tiny, or random:tiny.")
    String model;

    @Option(names = {"-p", "--prompt"}, description = "The prompt (with --out FILE).")
    String prompt;

    @Option(names = "--prompts", description = "A prompt file, one per line ('#' comments): writes DIR/NNNN.safetensors and DIR/negative.safetensors (with --out DIR).")
    Path prompts;

    @Option(names = "--max-sequence-length", defaultValue = "512", description = "Tokens kept and padded to, as WanPipeline (default ${DEFAULT-VALUE}).")
    int maxSequenceLength;

    @Option(names = "--out", required = true, description = "Output safetensors file (--prompt) or folder (--prompts).")
    Path out;

    @Override
    public void run() {
        if ((prompt == null) == (prompts == null)) throw new ConfigException("give exactly one of --prompt and --prompts");
        if (prompt != null && prompt.isBlank()) throw new ConfigException("--prompt is empty: give the text to encode");
        if (maxSequenceLength < 1 || maxSequenceLength > GenerateCommand.MAX_TOKENS)
            throw new ConfigException("--max-sequence-length " + maxSequenceLength + ": expected 1.." + GenerateCommand.MAX_TOKENS);
        List<String> lines = prompts == null ? null : QuantizeCommand.readPrompts(prompts, "prompts");
        if (prompt != null && Files.isDirectory(out)) throw new ConfigException("--out " + out + ": is a folder; give a .safetensors file");
        if (prompts != null && Files.exists(out) && !Files.isDirectory(out)) throw new ConfigException("--out " + out + ": exists and is not a folder");
        long t0 = System.nanoTime();
        try (PromptEncoder enc = PromptEncoders.forModel(model, maxSequenceLength, prompt != null ? "--prompt" : "--prompts")) {
            System.err.println("encode-prompt: " + enc.describe());
            if (prompt != null) {
                write(out, enc.encode(prompt), prompt, enc);
            } else {
                for (int i = 0; i < lines.size(); i++)
                    write(out.resolve(String.format(Locale.ROOT, "%04d.safetensors", i)), enc.encode(lines.get(i)), lines.get(i), enc);
                write(out.resolve(CalibrationTexts.NEGATIVE), enc.encode(""), "", enc);
            }
        }
        System.out.printf(Locale.ROOT, "wrote %s (%d prompt%s, %.2f s)%n", out, prompt != null ? 1 : lines.size(),
                prompt != null || lines.size() == 1 ? "" : "s", (System.nanoTime() - t0) / 1e9);
    }

    private static void write(Path file, Tensor t, String text, PromptEncoder enc) {
        new SafetensorsWriter().metadata("format", "pt").metadata("prompt", text).metadata("text_encoder", enc.describe())
                .add("prompt_embeds", t.reshape(1, t.dim(0), t.dim(1))).write(file);
    }
}
