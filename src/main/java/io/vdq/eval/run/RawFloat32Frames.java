package io.vdq.eval.run;

import io.vdq.VdqException.ShapeException;
import io.vdq.VdqException;
import io.vdq.io.AtomicFiles;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The interim frame format "f32le": the video's elements in row-major order as little-endian IEEE float32,
 * no header (the shape lives in run.json). {@link SafetensorsFrames} is the self-describing alternative.
 */
public final class RawFloat32Frames implements FrameFormat {
    public static final String NAME = "f32le";

    @Override public String name() { return NAME; }
    @Override public String extension() { return ".f32"; }

    @Override public void write(Path file, Tensor video) {
        ByteBuffer buf = ByteBuffer.allocate(video.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(video.data(), video.offset(), video.size());
        AtomicFiles.writeBytes(file, buf.array());   // random temporary name, created exclusively
    }

    @Override public Tensor read(Path file, int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size != n * 4)
                throw new ShapeException("frames " + file + ": " + size + " bytes, expected " + n * 4 + " for float32 shape " + Arrays.toString(shape));
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new VdqException("cannot read frames " + file + ": " + e.getMessage(), e);
        }
        float[] data = new float[(int) n];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return Tensor.of(data, shape);
    }
}
