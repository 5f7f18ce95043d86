package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.JsonConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The sampler a diffusers pipeline's {@code scheduler/scheduler_config.json} asks for, in the terms vdq's
 * schedulers take: {@code UniPCMultistepScheduler} → unipc, {@code FlowMatchEulerDiscreteScheduler} → euler, and
 * {@code flow_shift} (UniPC) or {@code shift} (Euler) as the flow shift. vdq's UniPC is the flow-matching
 * configuration Wan ships (flow_prediction, use_flow_sigmas, solver_order 2, bh2, predict_x0, final σ 0); a config
 * asking for anything else is refused naming the field rather than sampled differently.
 */
public record SchedulerSettings(String sampler, double shift, String source) {

    public static SchedulerSettings read(Path file) {
        JsonConfig c = JsonConfig.read(file);
        String src = file.toString();
        String cls = c.getString("_class_name", "");
        return switch (cls) {
            case "UniPCMultistepScheduler" -> {
                expect(c, "prediction_type", "flow_prediction", src);
                expect(c, "solver_type", "bh2", src);
                expect(c, "final_sigmas_type", "zero", src);
                if (c.has("use_flow_sigmas") && !c.getBoolean("use_flow_sigmas"))
                    throw new ConfigException(src + ": use_flow_sigmas false is not supported (vdq's UniPC samples flow-matching sigmas)");
                if (c.has("predict_x0") && !c.getBoolean("predict_x0"))
                    throw new ConfigException(src + ": predict_x0 false is not supported (vdq's UniPC is the predict-x0 form)");
                if (c.getInt("solver_order", 2) != 2)
                    throw new ConfigException(src + ": solver_order " + c.getInt("solver_order") + " is not supported (expected 2)");
                if (c.getInt("num_train_timesteps", 1000) != 1000)
                    throw new ConfigException(src + ": num_train_timesteps " + c.getInt("num_train_timesteps") + " is not supported (expected 1000)");
                double shift = c.getDouble("flow_shift", 1.0);
                if (!(shift > 0)) throw new ConfigException(src + ": flow_shift must be > 0, got " + shift);
                yield new SchedulerSettings("unipc", shift, src);
            }
            case "FlowMatchEulerDiscreteScheduler" -> {
                if (c.getBoolean("use_dynamic_shifting", false))
                    throw new ConfigException(src + ": use_dynamic_shifting true is not supported");
                double shift = c.getDouble("shift", 1.0);
                if (!(shift > 0)) throw new ConfigException(src + ": shift must be > 0, got " + shift);
                yield new SchedulerSettings("euler", shift, src);
            }
            default -> throw new ConfigException(src + ": _class_name '" + cls + "' is not supported; expected one of "
                    + List.of("UniPCMultistepScheduler", "FlowMatchEulerDiscreteScheduler"));
        };
    }

    private static void expect(JsonConfig c, String key, String want, String src) {
        if (c.has(key) && !want.equals(c.getString(key)))
            throw new ConfigException(src + ": " + key + " '" + c.getString(key) + "' is not supported (expected '" + want + "')");
    }
}
