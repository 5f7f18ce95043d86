package io.vdq.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException;
import io.vdq.io.AtomicFiles;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A run directory: {@code run.json} plus one frames file per video. run.json is
 * <pre>
 * {"format": "vdq-run/1", "name": "fp32", "frames": "f32le",
 *  "videos": [{"prompt": "a red circle moving left", "seed": 7, "file": "video-0000.f32", "shape": [16, 32, 32, 3]}]}
 * </pre>
 * ("name" optional; it labels the run in tables, else the directory name is used). Use {@link #writer} to
 * create one: frames are written as they come, run.json last, each atomically.
 */
public record VideoRun(Path dir, String name, FrameFormat frames, List<Entry> videos) {
    public static final String FORMAT = "vdq-run/1";
    public static final String FILE = "run.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One video of the run. */
    /** The largest declared video read (the limits {@code vdq generate} samples to). */
    public static final int MAX_FRAMES = 1025, MAX_SIDE = 4096;

    public record Entry(String prompt, long seed, String file, int[] shape) {}

    /** Loads the frames of one entry. */
    public Tensor load(Entry e) { return frames.read(dir.resolve(e.file()), e.shape()); }

    /** Reads {@code dir/run.json}; errors name the file and field. */
    public static VideoRun read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) throw new ConfigException("run " + dir + ": no " + FILE + " (expected a run directory)");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (root == null || !root.isObject()) throw new ConfigException(file + ": expected a JSON object");
        String format = root.path("format").asText(null);
        if (!FORMAT.equals(format)) throw new ConfigException(file + " field format: expected '" + FORMAT + "', got " + format);
        FrameFormat frames = FrameFormat.of(root.path("frames").asText(null));
        String name = root.hasNonNull("name") ? root.get("name").asText() : String.valueOf(dir.toAbsolutePath().normalize().getFileName());
        JsonNode vids = root.get("videos");
        if (vids == null || !vids.isArray()) throw new ConfigException(file + " field videos: expected an array");
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < vids.size(); i++) {
            JsonNode v = vids.get(i);
            String where = file + " videos[" + i + "]";
            if (!v.path("prompt").isTextual()) throw new ConfigException(where + ".prompt: expected a string");
            if (!v.path("seed").canConvertToLong()) throw new ConfigException(where + ".seed: expected an integer");
            if (!v.path("file").isTextual()) throw new ConfigException(where + ".file: expected a string");
            String f = v.get("file").asText();
            if (f.contains("/") || f.contains("\\") || f.startsWith(".")) throw new ConfigException(where + ".file: expected a plain file name, got '" + f + "'");
            JsonNode sh = v.get("shape");
            if (sh == null || !sh.isArray() || sh.size() != 4) throw new ConfigException(where + ".shape: expected [F, H, W, 3]");
            int[] shape = new int[4];
            for (int k = 0; k < 4; k++) {
                if (!sh.get(k).canConvertToInt() || sh.get(k).asInt() < 1) throw new ConfigException(where + ".shape: expected positive integers, got " + sh);
                shape[k] = sh.get(k).asInt();
            }
            if (shape[3] != 3) throw new ConfigException(where + ".shape: expected 3 channels last, got " + sh);
            if (shape[0] > MAX_FRAMES || shape[1] > MAX_SIDE || shape[2] > MAX_SIDE
                    || 3L * shape[0] * shape[1] * shape[2] > Integer.MAX_VALUE - 8)   // checked before anything is read
                throw new ConfigException(where + ".shape: " + sh + " is larger than vdq reads (at most " + MAX_FRAMES
                        + " frames of " + MAX_SIDE + "×" + MAX_SIDE + ", " + (Integer.MAX_VALUE - 8) + " values)");
            out.add(new Entry(v.get("prompt").asText(), v.get("seed").asLong(), f, shape));
        }
        return new VideoRun(dir, name, frames, List.copyOf(out));
    }

    /** Starts a run in {@code dir} (created if missing) with frames stored as {@code frames}. */
    public static Writer writer(Path dir, String name, FrameFormat frames) { return new Writer(dir, name, frames); }

    /** Adds videos one by one, then {@link #finish} writes run.json. */
    public static final class Writer {
        private final Path dir;
        private final String name;
        private final FrameFormat frames;
        private final List<Entry> entries = new ArrayList<>();

        Writer(Path dir, String name, FrameFormat frames) {
            this.dir = dir;
            this.name = name;
            this.frames = frames;
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new VdqException("cannot create run directory " + dir + ": " + e.getMessage(), e);
            }
        }

        public Entry add(String prompt, long seed, Tensor video) {
            video.requireShape("run video " + entries.size(), video.dim(0), video.dim(1), video.dim(2), 3);
            String file = String.format("video-%04d%s", entries.size(), frames.extension());
            frames.write(dir.resolve(file), video);
            Entry e = new Entry(prompt, seed, file, video.shape().dims());
            entries.add(e);
            return e;
        }

        public VideoRun finish() {
            ObjectNode root = JSON.createObjectNode();
            root.put("format", FORMAT);
            if (name != null) root.put("name", name);
            root.put("frames", frames.name());
            ArrayNode vids = root.putArray("videos");
            for (Entry e : entries) {
                ObjectNode v = vids.addObject();
                v.put("prompt", e.prompt());
                v.put("seed", e.seed());
                v.put("file", e.file());
                ArrayNode sh = v.putArray("shape");
                for (int d : e.shape()) sh.add(d);
            }
            Path file = dir.resolve(FILE);
            try {   // random temporary name, created exclusively (AtomicFiles)
                AtomicFiles.writeBytes(file, JSON.writeValueAsBytes(root));
            } catch (IOException e) {
                throw new VdqException("cannot write " + file + ": " + e.getMessage(), e);
            }
            return new VideoRun(dir, name != null ? name : String.valueOf(dir.toAbsolutePath().normalize().getFileName()), frames, List.copyOf(entries));
        }
    }
}
