package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.LinearRegistry;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A post-training quantization method, found by {@link #name()} through {@link QuantMethods} (ServiceLoader
 * or explicit registration), so method packages plug in without this package depending on them. It replaces
 * the layers the recipe selects by {@link QuantizedLinear}s (or its own {@code Linear}s) via
 * {@link LinearRegistry#replaceLinear}, running the calibration passes it needs.
 *
 * <p>A method owns one typed settings record {@code S}: {@link #parseSettings} reads the recipe's options into it
 * once (refusing unknown keys and bad values), and {@link #apply} / {@link #layerwise} receive the parsed value.
 *
 * @param <S> the method's settings record
 */
public interface QuantMethod<S extends MethodSettings> {
    /** The recipe's {@code method} value, e.g. {@code minmax}. */
    String name();

    /** One line for listings. */
    String description();

    /**
     * The recipe option keys this method reads (its settings record's keys); {@link #parseSettings} refuses a recipe
     * with any other key (besides the framework's {@code int8_attention} and {@code int8_attention_pv}).
     */
    Set<String> options();

    /**
     * Reads and checks the recipe's options (and whatever of the recipe's fields the method constrains) into this
     * method's settings, with a one-line {@code ConfigException} naming the option on a bad value or unknown key.
     * The options are at {@link #settingsVersion()} ({@link RecipeJson} upgrades older files first).
     */
    S parseSettings(Recipe recipe);

    /** The version of this method's settings format; a recipe file records it as {@code settings_version}. */
    default int settingsVersion() { return 1; }

    /**
     * A recipe's options written at settings version {@code from} (older than {@link #settingsVersion()}), rewritten
     * to the current version. Version 1 is the first, so a method that has never changed its options has nothing to
     * upgrade.
     */
    default Map<String, Object> upgradeOptions(int from, Map<String, Object> options) {
        throw new ConfigException("method '" + name() + "' has no settings version " + from + " (its versions are 1.."
                + settingsVersion() + ")");
    }

    /** Quantizes the recipe's layers of {@code model} with {@code settings} = {@code parseSettings(recipe)}. */
    QuantReport apply(LinearRegistry model, Recipe recipe, S settings, Calibration calibration);

    /** {@link #apply(LinearRegistry, Recipe, MethodSettings, Calibration)} with the recipe's settings parsed here. */
    default QuantReport apply(LinearRegistry model, Recipe recipe, Calibration calibration) {
        return apply(model, recipe, parseSettings(recipe), calibration);
    }

    /**
     * This recipe's computation one layer at a time ({@link Layerwise}), for streaming quantization; {@code null}
     * when the method needs calibration data. A recipe whose settings make a data-free method need data (or
     * sampling) is refused with a one-line {@code ConfigException} naming the option.
     */
    default Layerwise layerwise(Recipe recipe, S settings) { return null; }

    /**
     * The tensor bytes a quantized checkpoint stores for one layer this recipe quantizes (an out × in weight, and a
     * bias of {@code biasBytes}, 0 for none), by the layouts of the codecs the method's layers are written with, so
     * that {@code quant.ckpt.CheckpointSize} sizes a checkpoint from shapes alone; empty when the method has no size
     * model. A one-line {@code ConfigException} naming {@code layer} for a layer the method cannot store.
     * {@code settings} = {@code parseSettings(recipe)}, parsed once per checkpoint ({@link QuantMethods#storedBytes}).
     */
    default OptionalLong storedBytes(Recipe recipe, S settings, String layer, int out, int in, long biasBytes) { return OptionalLong.empty(); }

    /**
     * Why this recipe's layers are not saved as a vdq quantized checkpoint, as the end of a one-line refusal that says
     * what to do instead; null (the default) when they are.
     */
    default String notStorable(Recipe recipe) { return null; }
}
