package io.vdq.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cells of a {@code vdq sweep} and the file that records them as they finish ({@code cells.jsonl}: one JSON
 * object per line, appended and flushed to disk after each cell). A cell is one recipe run at one seed on one
 * calibration set over all evaluation prompts. Its {@code id} hashes everything that decides its numbers (model,
 * sizes, steps, prompts, recipe, seed, calibration prompts), so a rerun with the same arguments finds it and skips
 * it, while a changed argument makes new ids; a torn last line (an interrupted write) is ignored.
 */
public final class SweepCells {
    private SweepCells() {}

    /** One finished cell; metrics NaN when not measured (random-init: no VBench-lite; --no-teacher-forced) or failed. */
    public record Cell(String id, String recipe, int seed, int calibSet, double psnr, double relL2, double cosine, double stepSnr,
                double vbenchDelta, double[] perPromptPsnr, double quantizeS, double generateS, String error) implements Serializable {
        public boolean ok() { return error == null; }

        /** The metric used in the table: {@code psnr_db}, {@code step_snr_db} or {@code vbench_delta_pts}. */
        public double metric(String key) {
            return switch (key) {
                case "psnr_db" -> psnr;
                case "step_snr_db" -> stepSnr;
                case "vbench_delta_pts" -> vbenchDelta;
                default -> throw new IllegalArgumentException(key);
            };
        }

        public ObjectNode toJson(ObjectMapper json) {
            ObjectNode o = json.createObjectNode();
            o.put("id", id).put("recipe", recipe).put("seed", seed).put("calib_set", calibSet);
            if (error != null) return o.put("error", error);
            finite(o, "psnr_db", psnr);
            finite(o, "rel_l2", relL2);
            finite(o, "cosine", cosine);
            finite(o, "step_snr_db", stepSnr);
            finite(o, "vbench_delta_pts", vbenchDelta);
            ArrayNode per = o.putArray("psnr_db_per_prompt");
            for (double v : perPromptPsnr) if (Double.isFinite(v)) per.add(v); else per.addNull();
            o.put("quantize_s", quantizeS).put("generate_s", generateS);
            return o;
        }

        public static Cell fromJson(JsonNode o) {
            JsonNode per = o.path("psnr_db_per_prompt");
            double[] pp = new double[per.size()];
            for (int i = 0; i < pp.length; i++) pp[i] = num(per.get(i));
            return new Cell(o.get("id").asText(), o.get("recipe").asText(), o.get("seed").asInt(), o.get("calib_set").asInt(),
                    num(o.get("psnr_db")), num(o.get("rel_l2")), num(o.get("cosine")), num(o.get("step_snr_db")),
                    num(o.get("vbench_delta_pts")), pp, num(o.get("quantize_s")), num(o.get("generate_s")),
                    o.hasNonNull("error") ? o.get("error").asText() : null);
        }
    }

    /** JSON has no ∞/NaN: such values are written as null (and read back as NaN). */
    public static void finite(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v); else o.putNull(key);
    }

    private static double num(JsonNode n) { return n == null || n.isNull() ? Double.NaN : n.asDouble(); }

    /** The id of a cell: SHA-256 (first 16 hex digits) of the settings' fingerprint and the cell's own coordinates. */
    public static String id(String settings, String recipe, int seed, List<String> calibration) {
        String key = settings + "\nrecipe=" + recipe + "\nseed=" + seed + "\ncalibration=" + String.join("\n", calibration);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    /** The cells already in {@code file} by id (empty when there is no file); unreadable lines are skipped. */
    public static Map<String, Cell> read(Path file, ObjectMapper json) {
        Map<String, Cell> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) return out;
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the finished cells: " + e.getMessage(), e);
        }
        for (String l : lines) {
            if (l.isBlank()) continue;
            try {
                Cell c = Cell.fromJson(json.readTree(l));
                out.put(c.id(), c);
            } catch (IOException | RuntimeException e) {
                // a line cut short by an interrupted run: that cell is simply computed again
            }
        }
        return out;
    }

    /**
     * Appends one cell as a line and forces it to disk, so a killed sweep loses at most the cell in progress. The file
     * is opened without following a link (a planted {@code cells.jsonl} link is refused, its target left alone).
     */
    public static void append(Path file, ObjectMapper json, Cell c) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            StringBuilder line = new StringBuilder();
            long size = ch.size();
            if (size > 0) {   // after a torn line (an interrupted write), start a fresh one
                ByteBuffer last = ByteBuffer.allocate(1);
                ch.read(last, size - 1);
                if (last.get(0) != '\n') line.append('\n');
            }
            line.append(json.writeValueAsString(c.toJson(json))).append('\n');
            ByteBuffer b = ByteBuffer.wrap(line.toString().getBytes(StandardCharsets.UTF_8));
            for (long pos = size; b.hasRemaining(); ) pos += ch.write(b, pos);
            ch.force(true);
        } catch (FileSystemException e) {
            throw new UncheckedIOException(file + ": cannot append a finished cell (" + (Files.isSymbolicLink(file)
                    ? "it is a symbolic link; vdq does not write through links" : e.getReason()) + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot append a finished cell: " + e.getMessage(), e);
        }
    }
}
