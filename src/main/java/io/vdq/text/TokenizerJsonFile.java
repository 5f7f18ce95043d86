package io.vdq.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.VdqException.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a Hugging Face {@code tokenizer.json} holding a Unigram model, as transformers' SpmConverter writes
 * for T5/UMT5, and maps it onto SentencePiece's semantics. Accepted: {@code model} Unigram ({@code vocab},
 * {@code unk_id}, {@code byte_fallback}); {@code normalizer} null, Precompiled, Replace, Strip or a Sequence
 * of them (the charsmap is used; Replace of spaces and right Strip are what SentencePiece's whitespace rules
 * already do); {@code pre_tokenizer} Metaspace with replacement ▁ (alone or after WhitespaceSplit), whose
 * {@code prepend_scheme}/{@code add_prefix_space} becomes the dummy prefix; {@code post_processor}
 * TemplateProcessing (its single-sequence template gives the ids around a sequence) or null ({@code </s>}
 * appended). Added tokens marked special become control pieces (never matched in text), others user-defined
 * pieces; with byte fallback the {@code <0xXX>} pieces are byte pieces. Anything else is refused.
 */
final class TokenizerJsonFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-F]{2}>");

    private TokenizerJsonFile() {}

    static UnigramSpec read(Path file) {
        String src = file.toString();
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JacksonException e) {
            throw new ConfigException(src + ": malformed JSON (" + e.getOriginalMessage() + " at line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")", e);
        } catch (IOException e) {
            throw new ConfigException(src + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) throw new ConfigException(src + ": not a JSON object");
        JsonNode model = root.path("model");
        if (!model.isObject()) throw new ConfigException(src + ": no 'model' object");
        String type = model.path("type").asText("");
        if (!type.equals("Unigram"))
            throw new ConfigException(src + ": model.type is '" + type + "', only 'Unigram' is supported");
        JsonNode vocab = model.path("vocab");
        if (!vocab.isArray() || vocab.isEmpty()) throw new ConfigException(src + ": model.vocab is missing or empty");
        int n = vocab.size();
        String[] pieces = new String[n];
        float[] scores = new float[n];
        byte[] types = new byte[n];
        for (int i = 0; i < n; i++) {
            JsonNode e = vocab.get(i);
            if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isNumber())
                throw new ConfigException(src + ": model.vocab[" + i + "] is not [piece, score]");
            pieces[i] = e.get(0).asText();
            scores[i] = (float) e.get(1).asDouble();
            types[i] = UnigramSpec.NORMAL;
        }
        JsonNode unkNode = model.path("unk_id");
        if (!unkNode.canConvertToInt() || unkNode.asInt() < 0 || unkNode.asInt() >= n)
            throw new ConfigException(src + ": model.unk_id is missing or not a vocabulary id");
        int unk = unkNode.asInt();
        types[unk] = UnigramSpec.UNKNOWN;
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        if (byteFallback)
            for (int i = 0; i < n; i++) if (i != unk && BYTE_PIECE.matcher(pieces[i]).matches()) types[i] = UnigramSpec.BYTE;
        int vocabSize = n;
        JsonNode added = root.path("added_tokens");
        if (!added.isMissingNode() && !added.isNull() && !added.isArray()) throw new ConfigException(src + ": added_tokens is not an array");
        for (JsonNode a : added) {
            int id = a.path("id").asInt(-1);
            if (id < 0 || !a.path("content").isTextual()) throw new ConfigException(src + ": added_tokens entry without id/content");
            vocabSize = Math.max(vocabSize, id + 1);
            if (id >= n || id == unk) continue;
            if (!pieces[id].equals(a.path("content").asText()))
                throw new ConfigException(src + ": added token " + id + " '" + a.path("content").asText() + "' is '" + pieces[id] + "' in model.vocab");
            types[id] = a.path("special").asBoolean(false) ? UnigramSpec.CONTROL : UnigramSpec.USER_DEFINED;
        }
        Map<String, Integer> ids = UnigramSpec.index(src, pieces);
        byte[] charsMap = normalizer(src, root.path("normalizer"));
        boolean dummyPrefix = metaspacePrefix(src, root.path("pre_tokenizer"));
        int[][] around = template(src, root.path("post_processor"), ids);
        Integer eos = ids.get("</s>"), pad = ids.get("<pad>");
        var normalizer = new UnigramSpec.Normalizer(charsMap, dummyPrefix, true, true, false);
        return new UnigramSpec(src, pieces, scores, types, unk, eos == null ? -1 : eos, pad == null ? -1 : pad,
                byteFallback, normalizer, around[0], around[1], vocabSize);
    }

    /** The precompiled charsmap of the normalizer (empty when there is none). */
    private static byte[] normalizer(String src, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) return new byte[0];
        List<JsonNode> steps = new ArrayList<>();
        if (node.path("type").asText("").equals("Sequence")) node.path("normalizers").forEach(steps::add);
        else steps.add(node);
        byte[] charsMap = new byte[0];
        for (JsonNode s : steps) {
            String t = s.path("type").asText("");
            switch (t) {
                case "Precompiled" -> {
                    JsonNode map = s.path("precompiled_charsmap");  // null in some files: no rules
                    String b64 = map.isTextual() ? map.asText() : "";
                    if (!map.isTextual() && !map.isNull() && !map.isMissingNode())
                        throw new ConfigException(src + ": normalizer Precompiled.precompiled_charsmap is not a string");
                    try {
                        charsMap = Base64.getDecoder().decode(b64);
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(src + ": normalizer Precompiled.precompiled_charsmap is not base64", e);
                    }
                }
                case "Replace" -> {
                    String pattern = s.path("pattern").path("Regex").asText(s.path("pattern").path("String").asText(""));
                    if (!pattern.equals(" {2,}"))
                        throw new ConfigException(src + ": normalizer Replace of '" + pattern + "' is not supported (only ' {2,}')");
                }
                case "Strip" -> {
                    if (s.path("strip_left").asBoolean(false))
                        throw new ConfigException(src + ": normalizer Strip with strip_left is not supported");
                }
                default -> throw new ConfigException(src + ": normalizer type '" + t + "' is not supported");
            }
        }
        return charsMap;
    }

    /** Whether the Metaspace pre-tokenizer prepends ▁ (SentencePiece's add_dummy_prefix). */
    private static boolean metaspacePrefix(String src, JsonNode node) {
        List<JsonNode> steps = new ArrayList<>();
        if (node.path("type").asText("").equals("Sequence")) node.path("pretokenizers").forEach(steps::add);
        else if (!node.isMissingNode() && !node.isNull()) steps.add(node);
        Boolean prefix = null;
        for (JsonNode s : steps) {
            String t = s.path("type").asText("");
            if (t.equals("WhitespaceSplit")) continue;
            if (!t.equals("Metaspace")) throw new ConfigException(src + ": pre_tokenizer type '" + t + "' is not supported");
            String rep = s.path("replacement").asText("\u2581");
            if (!rep.equals("\u2581"))
                throw new ConfigException(src + ": pre_tokenizer Metaspace.replacement is '" + rep + "', expected '\u2581'");
            if (s.has("prepend_scheme")) {
                String scheme = s.path("prepend_scheme").asText();
                prefix = switch (scheme) {
                    case "always", "first" -> true;
                    case "never" -> false;
                    default -> throw new ConfigException(src + ": pre_tokenizer Metaspace.prepend_scheme '" + scheme + "' is unknown");
                };
            } else {
                prefix = s.path("add_prefix_space").asBoolean(true);
            }
        }
        if (prefix == null) throw new ConfigException(src + ": pre_tokenizer has no Metaspace step");
        return prefix;
    }

    /** Ids before and after the sequence in the single-sequence template; {@code </s>} after when none. */
    private static int[][] template(String src, JsonNode node, Map<String, Integer> ids) {
        if (node.isMissingNode() || node.isNull()) {
            Integer eos = ids.get("</s>");
            if (eos == null) throw new ConfigException(src + ": no post_processor and no '</s>' piece to end a sequence with");
            return new int[][] {new int[0], new int[] {eos}};
        }
        String t = node.path("type").asText("");
        if (!t.equals("TemplateProcessing"))
            throw new ConfigException(src + ": post_processor type '" + t + "' is not supported (only TemplateProcessing)");
        UnigramModel.IntList before = new UnigramModel.IntList(), after = new UnigramModel.IntList();
        boolean seenSequence = false;
        for (JsonNode item : node.path("single")) {
            if (item.has("Sequence")) {
                seenSequence = true;
                continue;
            }
            String name = item.path("SpecialToken").path("id").asText(null);
            JsonNode special = node.path("special_tokens").path(name == null ? "" : name).path("ids");
            if (name == null || !special.isArray())
                throw new ConfigException(src + ": post_processor.single names special token '" + name + "' not in special_tokens");
            for (JsonNode id : special) (seenSequence ? after : before).add(id.asInt());
        }
        if (!seenSequence) throw new ConfigException(src + ": post_processor.single has no Sequence item");
        return new int[][] {before.toArray(), after.toArray()};
    }
}
