package io.vdq.cli;

import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.TensorSource;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test shorthands over the io package: write F32 tensors, read a whole file into memory (closing it). */
final class TestFiles {
    private TestFiles() {}

    static void write(Path file, Map<String, Tensor> tensors) {
        new SafetensorsWriter().addAll(tensors, DType.F32).write(file);
    }

    static InMemoryTensorSource read(Path file) {
        try (TensorSource src = Checkpoints.open(file)) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (String n : src.names()) m.put(n, src.readFloat(n));
            return new InMemoryTensorSource(m, new LinkedHashMap<>(src.metadata()));
        }
    }
}
