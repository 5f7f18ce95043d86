package io.vdq.train;

import io.vdq.VdqException.ConfigException;

/**
 * Learning rate with linear warm-up over {@code warmup} steps ((s+1)/warmup·base) followed by cosine decay
 * from {@code base} to {@code min} at step {@code total − 1}. Steps count from 0.
 */
public record CosineSchedule(double base, double min, int warmup, int total) {
    public CosineSchedule {
        if (total < 1 || warmup < 0 || warmup > total)
            throw new ConfigException("cosine schedule: need 0 <= warmup (" + warmup + ") <= total (" + total + "), total >= 1");
    }

    public double at(int step) {
        if (step < warmup) return base * (step + 1) / warmup;
        int span = total - warmup - 1;
        double progress = span <= 0 ? 1.0 : Math.min(1.0, (double) (step - warmup) / span);
        return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
