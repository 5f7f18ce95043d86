package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import java.util.Locale;

/**
 * Which values share one scale and zero point, for a matrix of {@code rows × cols} (weights: out × in,
 * activations: tokens × in). PER_CHANNEL (a weight's output channel) and PER_TOKEN (an activation row) both
 * mean one parameter set per row; PER_GROUP means per row and per run of {@code groupSize} columns along K.
 */
public enum Granularity {
    PER_TENSOR, PER_CHANNEL, PER_GROUP, PER_TOKEN;

    /** True when each row has its own parameters (all but PER_TENSOR). */
    public boolean perRow() { return this != PER_TENSOR; }

    /** Number of parameter sets for a rows × cols matrix. */
    public int count(int rows, int cols, int groupSize) {
        return switch (this) {
            case PER_TENSOR -> 1;
            case PER_CHANNEL, PER_TOKEN -> rows;
            case PER_GROUP -> rows * groupsPerRow(cols, groupSize);
        };
    }

    /** Groups per row, the last one possibly shorter: ceil(cols / groupSize). */
    public static int groupsPerRow(int cols, int groupSize) { return (cols + groupSize - 1) / groupSize; }

    /** The JSON / CLI spelling: {@code per_tensor}, {@code per_channel}, {@code per_group}, {@code per_token}. */
    public String jsonName() { return name().toLowerCase(Locale.ROOT); }

    /** Parses the JSON spelling; {@code field} names the recipe field in the error. */
    public static Granularity parse(String s, String field) {
        for (Granularity g : values()) if (g.jsonName().equals(s.toLowerCase(Locale.ROOT).replace('-', '_'))) return g;
        throw new ConfigException(field + " = '" + s + "': expected per_tensor, per_channel, per_group or per_token");
    }
}
