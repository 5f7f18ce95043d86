package io.vdq.eval.run;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;

/**
 * How one video's frames ({@code [F, H, W, 3]} float) are stored in a run directory. Implementations write
 * atomically (temporary sibling, then rename). The format's {@link #name()} is recorded in run.json.
 */
public interface FrameFormat {
    /** The name written to run.json's "frames" field. */
    String name();

    /** File name extension including the dot, e.g. ".f32". */
    String extension();

    void write(Path file, Tensor video);

    /** Reads a video that run.json says has {@code shape}. */
    Tensor read(Path file, int[] shape);

    /** The format called {@code name} in run.json. */
    static FrameFormat of(String name) {
        if (RawFloat32Frames.NAME.equals(name)) return new RawFloat32Frames();
        throw new ConfigException("run.json field frames: unknown frame format '" + name + "', expected '" + RawFloat32Frames.NAME + "'");
    }
}
