package io.vdq.quant.s2q;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.quant.ckpt.LayerReader;
import io.vdq.quant.ckpt.LayerWriter;
import io.vdq.quant.ckpt.TransformCodec;

/**
 * Stores S²Q's folded {@link KroneckerTransform} as transform type {@code kronecker}: d₁, d₂ and the tensors
 * {@code scale} [in], {@code p1} [d₁, d₁], {@code p2} [d₂, d₂]. Registered in
 * {@code META-INF/services/io.vdq.quant.ckpt.TransformCodec}.
 */
public final class KroneckerCodec implements TransformCodec<KroneckerTransform> {
    @Override public String type() { return "kronecker"; }
    @Override public Class<KroneckerTransform> transformClass() { return KroneckerTransform.class; }

    /** scale [in], P₁ [d₁, d₁] and P₂ [d₂, d₂] as F32, with d₁·d₂ = in as {@link KroneckerTransform#factor} splits it. */
    @Override
    public long storedBytes(int in) {
        int[] f = KroneckerTransform.factor(in);
        return 4L * (in + (long) f[0] * f[0] + (long) f[1] * f[1]);
    }

    @Override
    public void encode(String name, KroneckerTransform k, int in, LayerWriter w, ObjectNode o) {
        o.put("d1", k.d1()).put("d2", k.d2());
        w.f32(name + ".scale", k.scale(), in);
        w.f32(name + ".p1", k.p1(), k.d1(), k.d1());
        w.f32(name + ".p2", k.p2(), k.d2(), k.d2());
    }

    @Override
    public KroneckerTransform decode(String layer, int index, String name, JsonNode o, int in, LayerReader r) {
        String where = layer + " transform " + index;
        int d1 = r.integer(o, "d1", where), d2 = r.integer(o, "d2", where);
        if (d1 < 1 || d2 < 1 || (long) d1 * d2 != in)
            throw new CheckpointException(r.file() + ": layer '" + layer + "' transform " + index + ": d1 " + d1 + " × d2 " + d2
                    + " must equal in_features " + in);
        return new KroneckerTransform(r.floats(name + ".scale", DType.F32, in), d1, r.floats(name + ".p1", DType.F32, d1, d1), d2,
                r.floats(name + ".p2", DType.F32, d2, d2));
    }
}
