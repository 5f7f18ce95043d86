package io.vdq.spark;

import io.vdq.cli.Main;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The main class for spark-submit: the vdq CLI, with {@code --spark submit} added to a {@code sweep} that names no
 * master (spark-submit's --master decides). Example:
 * {@code spark-submit --class io.vdq.spark.SparkMain --master yarn --jars A.jar,B.jar,… vdq-spark.jar sweep --recipes … --out /shared/sweep},
 * the jars being those of the build's {@code ship/} folder (README, "Sweeps on a Spark cluster").
 */
public final class SparkMain {
    private SparkMain() {}

    public static void main(String[] args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        if (a.contains("sweep") && a.stream().noneMatch(s -> s.equals("--spark") || s.startsWith("--spark="))) a.addAll(List.of("--spark", SparkSweepRunner.SUBMIT));
        System.exit(Main.run(a.toArray(String[]::new)));
    }
}
