package io.vdq.eval.run;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.TensorInfo;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Frame format "safetensors": one tensor {@value #TENSOR} of shape {@code [F, H, W, 3]} in a safetensors file
 * (F32 by default; F16 or BF16 halve the size), with metadata {@code format=vdq-frames}; written atomically by
 * the io package's {@link SafetensorsWriter}, read through {@link SafetensorsFile} (any float dtype is widened to
 * float32). Other tools can open the frames without knowing run.json.
 */
public final class SafetensorsFrames implements FrameFormat {
    public static final String NAME = "safetensors";
    public static final String TENSOR = "frames";
    private final DType dtype;

    public SafetensorsFrames() { this(DType.F32); }

    /** Frames stored as {@code dtype}: F32, F16 or BF16. */
    public SafetensorsFrames(DType dtype) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16)
            throw new io.vdq.VdqException.ConfigException("safetensors frames: dtype " + dtype + ", expected F32, F16 or BF16");
        this.dtype = dtype;
    }

    @Override public String name() { return NAME; }
    @Override public String extension() { return ".safetensors"; }

    @Override public void write(Path file, Tensor video) {
        new SafetensorsWriter().metadata("format", "vdq-frames").add(TENSOR, video, dtype).write(file);
    }

    @Override public Tensor read(Path file, int[] shape) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (!f.contains(TENSOR))
                throw new CheckpointException("frames " + file + ": no tensor '" + TENSOR + "' (has " + f.names() + ")");
            TensorInfo i = f.info(TENSOR);
            long[] want = Arrays.stream(shape).asLongStream().toArray();
            if (!Arrays.equals(i.shape(), want))
                throw new ShapeException("frames " + file + ": tensor '" + TENSOR + "' has shape " + Arrays.toString(i.shape())
                        + ", run.json says " + Arrays.toString(shape));
            return f.readFloat(TENSOR);
        }
    }
}
