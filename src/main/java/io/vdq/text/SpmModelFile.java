package io.vdq.text;

import io.vdq.VdqException.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a SentencePiece {@code spiece.model} ({@code ModelProto}, protobuf). Fields used:
 * {@code pieces} (1: piece 1, score 2, type 3), {@code trainer_spec} (2: model_type 3,
 * treat_whitespace_as_suffix 24, byte_fallback 35, unk/bos/eos/pad_piece 45–48) and
 * {@code normalizer_spec} (3: precompiled_charsmap 2, add_dummy_prefix 3, remove_extra_whitespaces 4,
 * escape_whitespaces 5). Everything else is skipped.
 */
final class SpmModelFile {
    private SpmModelFile() {}

    static UnigramSpec read(Path file) {
        String src = file.toString();
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(src + ": cannot read (" + e.getMessage() + ")", e);
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Byte> types = new ArrayList<>();
        int modelType = 1;
        boolean byteFallback = false, wsSuffix = false, sawNormalizer = false;
        String eosPiece = "</s>", padPiece = "<pad>";
        byte[] charsMap = new byte[0];
        boolean dummyPrefix = true, removeWs = true, escapeWs = true;
        try {
            ProtoReader model = new ProtoReader(data);
            while (model.next()) {
                switch (model.field()) {
                    case 1 -> {
                        ProtoReader p = model.message();
                        String piece = null;
                        float score = 0;
                        int type = UnigramSpec.NORMAL;
                        while (p.next()) {
                            switch (p.field()) {
                                case 1 -> piece = p.string();
                                case 2 -> score = p.float32();
                                case 3 -> type = p.int32();
                                default -> p.skip();
                            }
                        }
                        if (type < UnigramSpec.NORMAL || type > UnigramSpec.BYTE)
                            throw new ConfigException(src + ": piece " + pieces.size() + " has unknown type " + type);
                        pieces.add(piece);
                        scores.add(score);
                        types.add((byte) type);
                    }
                    case 2 -> {
                        ProtoReader t = model.message();
                        while (t.next()) {
                            switch (t.field()) {
                                case 3 -> modelType = t.int32();
                                case 24 -> wsSuffix = t.bool();
                                case 35 -> byteFallback = t.bool();
                                case 47 -> eosPiece = t.string();
                                case 48 -> padPiece = t.string();
                                default -> t.skip();
                            }
                        }
                    }
                    case 3 -> {
                        sawNormalizer = true;
                        ProtoReader nm = model.message();
                        while (nm.next()) {
                            switch (nm.field()) {
                                case 2 -> charsMap = nm.bytes();
                                case 3 -> dummyPrefix = nm.bool();
                                case 4 -> removeWs = nm.bool();
                                case 5 -> escapeWs = nm.bool();
                                default -> nm.skip();
                            }
                        }
                    }
                    default -> model.skip();
                }
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(src + ": not a SentencePiece model (" + e.getMessage() + ")", e);
        }
        if (pieces.isEmpty()) throw new ConfigException(src + ": no pieces (not a SentencePiece model?)");
        if (modelType != 1)
            throw new ConfigException(src + ": trainer_spec.model_type is " + modelTypeName(modelType) + ", only UNIGRAM is supported");
        if (!sawNormalizer) dummyPrefix = removeWs = escapeWs = true;
        String[] pieceArr = pieces.toArray(String[]::new);
        float[] scoreArr = new float[scores.size()];
        byte[] typeArr = new byte[types.size()];
        for (int i = 0; i < scoreArr.length; i++) {
            scoreArr[i] = scores.get(i);
            typeArr[i] = types.get(i);
        }
        Map<String, Integer> ids = UnigramSpec.index(src, pieceArr);
        int unk = UnigramSpec.findUnk(src, typeArr);
        int eos = controlId(ids, typeArr, eosPiece), pad = controlId(ids, typeArr, padPiece);
        if (eos < 0) throw new ConfigException(src + ": no control piece '" + eosPiece + "' (trainer_spec.eos_piece) to end a sequence with");
        var normalizer = new UnigramSpec.Normalizer(charsMap, dummyPrefix, removeWs, escapeWs, wsSuffix);
        return new UnigramSpec(src, pieceArr, scoreArr, typeArr, unk, eos, pad, byteFallback, normalizer,
                new int[0], new int[] {eos}, pieceArr.length);
    }

    /** SentencePiece's {@code eos_id()}/{@code pad_id()}: the piece's id when it is a control piece, else -1. */
    private static int controlId(Map<String, Integer> ids, byte[] types, String piece) {
        Integer id = ids.get(piece);
        return id != null && types[id] == UnigramSpec.CONTROL ? id : -1;
    }

    private static String modelTypeName(int t) {
        return switch (t) {
            case 2 -> "BPE";
            case 3 -> "WORD";
            case 4 -> "CHAR";
            default -> String.valueOf(t);
        };
    }
}
