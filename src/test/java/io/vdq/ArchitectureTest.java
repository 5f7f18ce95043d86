package io.vdq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rules, read from the sources (a plain scan of {@code src/main/java}): the top-level packages form an
 * acyclic graph, and a method's knowledge stays in its package — the commands ({@code cli}) and the pipelines
 * ({@code pipeline}) reach methods only through {@code quant}'s interfaces (recipes, {@code QuantMethods}, sampler
 * hooks, checkpoints), and the checkpoint format ({@code quant/ckpt}) stores a method's layers through the codecs the
 * method registers.
 */
class ArchitectureTest {
    private static final Path SRC = Path.of("src/main/java/io/vdq");
    private static final Set<String> METHODS = Set.of("dvd", "gptq", "minmax", "quarot", "s2q", "smoothquant", "vidit", "gguf");
    private static final Pattern REF = Pattern.compile("\\bio\\.vdq\\.([a-z0-9_]+)(?:\\.([a-z0-9_]+))?");

    /** Every source file with the io.vdq packages it names (imports and inline names), as "pkg" or "pkg.sub". */
    private static Map<Path, Set<String>> references() throws IOException {
        Map<Path, Set<String>> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SRC)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Set<String> refs = new TreeSet<>();
                for (String line : Files.readAllLines(f)) {
                    String code = line.strip();
                    if (code.startsWith("//") || code.startsWith("*") || code.startsWith("/*") || code.startsWith("package ")) continue;
                    Matcher m = REF.matcher(code);
                    while (m.find()) refs.add(m.group(2) == null ? m.group(1) : m.group(1) + "." + m.group(2));
                }
                out.put(SRC.relativize(f), refs);
            }
        }
        return out;
    }

    private static String topLevel(Path rel) { return rel.getNameCount() == 1 ? "(root)" : rel.getName(0).toString(); }

    @Test
    void topLevelPackagesFormAnAcyclicGraph() throws IOException {
        Map<String, Set<String>> g = new TreeMap<>();
        for (var e : references().entrySet()) {
            String from = topLevel(e.getKey());
            for (String r : e.getValue()) {
                String to = r.split("\\.")[0];
                if (!Character.isLowerCase(to.charAt(0))) to = "(root)";
                if (!to.equals(from)) g.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
            }
        }
        assertTrue(g.size() >= 10, "the scan found the packages: " + g.keySet());
        for (String start : g.keySet()) {   // no package reaches itself
            List<String> stack = new ArrayList<>(g.get(start));
            Set<String> seen = new TreeSet<>();
            while (!stack.isEmpty()) {
                String p = stack.removeLast();
                assertTrue(!p.equals(start), "package '" + start + "' depends on itself through " + seen + "; graph " + g);
                if (seen.add(p)) stack.addAll(g.getOrDefault(p, Set.of()));
            }
        }
    }

    @Test
    void commandsAndPipelinesKnowNoMethodPackage() throws IOException {
        List<String> bad = new ArrayList<>();
        for (var e : references().entrySet()) {
            String top = topLevel(e.getKey());
            if (!top.equals("cli") && !top.equals("pipeline")) continue;
            for (String r : e.getValue())
                if (r.startsWith("quant.") && METHODS.contains(r.substring("quant.".length()))) bad.add(e.getKey() + " -> io.vdq." + r);
        }
        assertEquals(List.of(), bad);
    }

    /** The checkpoint format ({@code quant/ckpt}) knows no method: the method packages register their codecs with it. */
    @Test
    void checkpointFormatKnowsNoMethodPackage() throws IOException {
        List<String> bad = new ArrayList<>();
        for (var e : references().entrySet()) {
            if (!e.getKey().startsWith(Path.of("quant", "ckpt"))) continue;
            for (String r : e.getValue())
                if (r.startsWith("quant.") && METHODS.contains(r.substring("quant.".length()))) bad.add(e.getKey() + " -> io.vdq." + r);
        }
        assertTrue(references().keySet().stream().anyMatch(k -> k.startsWith(Path.of("quant", "ckpt"))), "the scan found quant/ckpt");
        assertEquals(List.of(), bad);
    }

    /**
     * Nor does it switch on a method's name: a string literal naming a method (e.g. {@code "dvd"}) in {@code quant/ckpt}
     * means method knowledge that belongs behind {@code QuantMethod} (its stored bytes, whether it is stored at all).
     */
    @Test
    void checkpointFormatNamesNoMethod() throws IOException {
        Pattern name = Pattern.compile("\"(" + String.join("|", new TreeSet<>(METHODS)) + ")\"");
        List<String> bad = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SRC.resolve("quant/ckpt"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++)
                    if (name.matcher(lines.get(i)).find()) bad.add(SRC.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
            }
        }
        assertEquals(List.of(), bad);
    }

    /**
     * The native bindings ({@code kernel/nat}) are reached only through {@code kernel.ExecutionContext}: neither
     * {@code quant} (with its method packages) nor the rest of {@code kernel} names them.
     */
    @Test
    void nativeBindingsAreReachedThroughTheExecutionContext() throws IOException {
        List<String> bad = new ArrayList<>();
        for (var e : references().entrySet()) {
            Path f = e.getKey();
            boolean quant = topLevel(f).equals("quant"), kernel = topLevel(f).equals("kernel") && !f.startsWith(Path.of("kernel", "nat"));
            if ((quant || kernel) && e.getValue().contains("kernel.nat")) bad.add(f + " -> io.vdq.kernel.nat");
        }
        assertEquals(List.of(), bad);
    }

    private static final Pattern INLINE_FQN = Pattern.compile("(?<![\\w.])(?:io\\.vdq|java|javax)(?:\\.[a-z0-9_]+)+\\.[A-Z]");

    /** Code names classes through imports: no inline fully-qualified class names (comments, javadoc and strings aside). */
    @Test
    void noInlineFullyQualifiedNames() throws IOException {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SRC)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String code = lines.get(i).strip();
                    if (code.startsWith("//") || code.startsWith("*") || code.startsWith("/*") || code.startsWith("import ")
                            || code.startsWith("package ")) continue;
                    code = code.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("//.*$", "");
                    if (INLINE_FQN.matcher(code).find()) bad.add(SRC.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertEquals(List.of(), bad);
    }
}
