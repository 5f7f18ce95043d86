package io.vdq.quant.ckpt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.QuantizePipeline;
import io.vdq.quant.Presets;
import io.vdq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The checkpoint reader answers any mutation of the layer descriptors and hook metadata with a model or a
 * VdqException naming the file, never another exception (a NullPointerException, a negative array size, …).
 */
class QuantizedCheckpointFuzzTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] FIXTURES = {"w4a6-dvd", "w4a6-vidit-lite", "w4a16-gptq"};
    static final Map<String, byte[]> FILES = new HashMap<>();

    static synchronized byte[] fixture(String preset) {
        return FILES.computeIfAbsent(preset, p -> {
            try {
                Path dir = Files.createTempDirectory("vdq-ckpt-fuzz");
                var s = new QuantizePipeline.Settings(Presets.get(p), List.of("a red circle moving left"), 1, 6,
                        new int[]{4, 2, 8, 8}, 5f, 3.0, 8);
                QuantizePipeline.save(QuantizePipeline.run(WanModel.random(WanConfig.tiny(), 0), s, QuantizePipeline.Progress.NONE), dir, DType.F32);
                byte[] b = Files.readAllBytes(dir.resolve(QuantizedCheckpoint.WEIGHTS));
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
                return b;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** Every value node of a JSON tree, with a setter that replaces it in its parent. */
    record Slot(JsonNode parent, String field, int index) {
        void set(JsonNode v) {
            if (parent instanceof ObjectNode o) o.set(field, v);
            else ((ArrayNode) parent).set(index, v);
        }
    }

    static void slots(JsonNode n, List<Slot> out) {
        if (n instanceof ObjectNode o) o.fields().forEachRemaining(e -> { out.add(new Slot(o, e.getKey(), -1)); slots(e.getValue(), out); });
        else if (n instanceof ArrayNode a) for (int i = 0; i < a.size(); i++) { out.add(new Slot(a, null, i)); slots(a.get(i), out); }
    }

    static JsonNode replacement(int kind) {
        return switch (kind) {
            case 0 -> JSON.getNodeFactory().textNode("x");
            case 1 -> JSON.getNodeFactory().numberNode(-1);
            case 2 -> JSON.getNodeFactory().numberNode(1_000_000_000);
            case 3 -> JSON.getNodeFactory().numberNode(2.5);
            case 4 -> JSON.getNodeFactory().booleanNode(true);
            case 5 -> JSON.getNodeFactory().nullNode();
            case 6 -> JSON.createObjectNode();
            case 7 -> JSON.createArrayNode();
            case 8 -> JSON.getNodeFactory().numberNode(0);
            default -> JSON.getNodeFactory().textNode("int4");
        };
    }

    /** The source with a replaced metadata map. */
    record Mutated(SafetensorsFile src, Map<String, String> metadata) implements TensorSource {
        @Override public SortedSet<String> names() { return src.names(); }
        @Override public TensorInfo info(String name) { return src.info(name); }
        @Override public Tensor readFloat(String name) { return src.readFloat(name); }
        @Override public MemorySegment segment(String name) { return src.segment(name); }
        @Override public String describe() { return src.describe(); }
    }

    @Property(tries = 4000, seed = "2026112401")
    void mutatedDescriptorsLoadOrFailWithACheckpointError(@ForAll @IntRange(min = 0, max = 2) int fixture,
                                                         @ForAll @IntRange(min = 0, max = 100_000) int slot,
                                                         @ForAll @IntRange(min = 0, max = 9) int kind,
                                                         @ForAll @IntRange(min = 0, max = 3) int key) throws Exception {
        byte[] bytes = fixture(FIXTURES[fixture]);
        SafetensorsFile f = SafetensorsFile.ofBytes("fuzz.safetensors", bytes);
        Map<String, String> meta = new HashMap<>(f.metadata());
        String k = switch (key) {
            case 0, 1 -> "layers";
            case 2 -> meta.containsKey("gbs") ? "gbs" : "layers";
            default -> "activation_bits";
        };
        if (k.equals("activation_bits")) {
            meta.put(k, replacement(kind).asText());
        } else {
            JsonNode root = JSON.readTree(meta.get(k));
            List<Slot> slots = new ArrayList<>();
            slots(root, slots);
            slots.get(slot % slots.size()).set(replacement(kind));
            meta.put(k, root.toString());
        }
        try {
            QuantizedCheckpoint.load(WanConfig.tiny(), new Mutated(f, meta));
        } catch (VdqException e) {
            assertTrue(e.getMessage().contains("fuzz.safetensors"), e.getMessage());
        }
    }

    /** Any single flipped bit in the data region (codes, scales, zero points, biases, float parameters) is refused. */
    @Property(tries = 6000, seed = "2026120701")
    void everyFlippedDataBitIsRefusedNamingTheTensor(@ForAll @IntRange(min = 0, max = 2) int fixture,
                                                     @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE - 1) int at,
                                                     @ForAll @IntRange(min = 0, max = 7) int bit) {
        byte[] bytes = fixture(FIXTURES[fixture]).clone();
        var header = SafetensorsFile.ofBytes("fuzz.safetensors", bytes).header();
        long data = bytes.length - header.dataStart();
        int pos = (int) (header.dataStart() + at % data);
        bytes[pos] ^= (byte) (1 << bit);
        String hit = null;
        for (TensorInfo t : header.tensors().values())
            if (pos - header.dataStart() >= t.begin() && pos - header.dataStart() < t.end()) hit = t.name();
        SafetensorsFile f = SafetensorsFile.ofBytes("fuzz.safetensors", bytes);
        VdqException e = org.junit.jupiter.api.Assertions.assertThrows(VdqException.CheckpointException.class,
                () -> QuantizedCheckpoint.load(WanConfig.tiny(), f));
        assertTrue(e.getMessage().contains("fuzz.safetensors: tensor '" + hit + "': SHA-256"), e.getMessage());
    }
}
