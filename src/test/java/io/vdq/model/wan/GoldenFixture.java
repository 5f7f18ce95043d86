package io.vdq.model.wan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the F32 safetensors fixtures written by {@code src/test/python/wan_reference.py} (test-only; the
 * project's checkpoint reader lives in {@code io}). Tensors whose names start with {@code input.} or
 * {@code expected.} are inputs and reference outputs; the rest are diffusers-named weights.
 */
public final class GoldenFixture {
    public final Map<String, Tensor> weights = new LinkedHashMap<>();
    public final Map<String, Tensor> other = new LinkedHashMap<>();
    public final Map<String, String> metadata = new LinkedHashMap<>();

    public static GoldenFixture load(String resource) {
        try (InputStream in = GoldenFixture.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static GoldenFixture parse(byte[] bytes) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) bb.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, n, StandardCharsets.UTF_8));
        GoldenFixture f = new GoldenFixture();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().properties().forEach(m -> f.metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode v = e.getValue();
            if (!v.get("dtype").asText().equals("F32")) throw new IllegalStateException("fixture holds only F32");
            int[] shape = new int[v.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = v.get("shape").get(i).asInt();
            int begin = v.get("data_offsets").get(0).asInt(), end = v.get("data_offsets").get(1).asInt();
            float[] a = new float[(end - begin) / 4];
            for (int i = 0; i < a.length; i++) a[i] = bb.getFloat(8 + n + begin + 4 * i);
            Tensor t = Tensor.of(a, shape);
            String name = e.getKey();
            if (name.startsWith("input.") || name.startsWith("expected.")) f.other.put(name, t);
            else f.weights.put(name, t);
        }
        return f;
    }

    public Tensor get(String name) {
        Tensor t = other.get(name);
        if (t == null) throw new IllegalStateException("fixture has no " + name);
        return t;
    }

    /** Largest |a − b| over all elements. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        if (a.size() != b.size()) throw new AssertionError("sizes differ: " + a.shape() + " vs " + b.shape());
        float[] x = a.toArray(), y = b.toArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs((double) x[i] - y[i]));
        return m;
    }
}
