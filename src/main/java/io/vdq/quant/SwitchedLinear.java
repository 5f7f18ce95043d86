package io.vdq.quant;

import io.vdq.model.Linear;
import java.util.List;

/**
 * A quantized layer that holds several quantized variants of one linear and runs one of them per denoising step
 * (ViDiT-Q's timestep ranges): reports and checkpoints see the variants without knowing the method.
 */
public interface SwitchedLinear extends Linear {
    /** The variants, in the order the method numbers them. */
    List<QuantizedLinear> variants();
}
