package io.vdq.eval.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * A self-contained HTML page built section by section. Images are referenced by paths relative to the page.
 * Text is escaped; numbers are formatted by the caller.
 */
public final class HtmlReport {
    private final StringBuilder body = new StringBuilder();
    private final String title;

    public HtmlReport(String title) { this.title = title; }

    public HtmlReport heading(String text) { body.append("<h2>").append(esc(text)).append("</h2>\n"); return this; }

    public HtmlReport paragraph(String text) { body.append("<p>").append(esc(text)).append("</p>\n"); return this; }

    /** A preformatted block (commands, logs). */
    public HtmlReport code(String text) { body.append("<pre>").append(esc(text)).append("</pre>\n"); return this; }

    /** A table; the first column is rendered as a row header. Cells are escaped text. */
    public HtmlReport table(List<String> header, List<List<String>> rows) {
        body.append("<table>\n<tr>");
        for (String h : header) body.append("<th>").append(esc(h)).append("</th>");
        body.append("</tr>\n");
        for (List<String> r : rows) {
            body.append("<tr>");
            for (int i = 0; i < r.size(); i++)
                body.append(i == 0 ? "<th>" : "<td>").append(esc(r.get(i))).append(i == 0 ? "</th>" : "</td>");
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /** A row of captioned images (GIFs or PNGs), e.g. one prompt's video under every method. */
    public HtmlReport figures(List<String> relativePaths, List<String> captions) {
        body.append("<div class=\"row\">");
        for (int i = 0; i < relativePaths.size(); i++) {
            body.append("<figure><img src=\"").append(esc(relativePaths.get(i))).append("\" alt=\"")
                    .append(esc(captions.get(i))).append("\"><figcaption>").append(esc(captions.get(i)))
                    .append("</figcaption></figure>");
        }
        body.append("</div>\n");
        return this;
    }

    public String render() {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) + "</title>\n"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}"
                + "th,td{border:1px solid #bbb;padding:4px 8px;text-align:right}tr>th:first-child{text-align:left}"
                + "th{background:#eee}.row{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;text-align:center}"
                + "img{image-rendering:pixelated}figcaption{font-size:12px}pre{background:#f6f6f6;padding:8px}</style>\n"
                + "</head><body>\n<h1>" + esc(title) + "</h1>\n" + body + "</body></html>\n";
    }

    /** Writes the page to {@code file} through a temporary sibling and an atomic rename. */
    public void write(Path file) {
        writeAtomically(file, render().getBytes(StandardCharsets.UTF_8));
    }

    static void writeAtomically(Path file, byte[] bytes) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
