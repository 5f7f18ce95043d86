package io.vdq.eval.report;

import io.vdq.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML page: title, notes, one results table, rows of labelled images (GIFs side by side per
 * prompt), figures and the exact command. Paths are relative to the page's folder. Text is HTML-escaped.
 */
public final class HtmlReport {
    /** A table: header cells and rows of already formatted cells. */
    public record Table(List<String> header, List<List<String>> rows) {}

    /** An image with a caption under it. */
    public record Cell(String caption, String src) {}

    /** A titled row of images. */
    public record ImageRow(String title, List<Cell> cells) {}

    /** A figure (PNG chart) with a caption. */
    public record Figure(String caption, String src) {}

    public record Page(String title, List<String> notes, Table table, List<ImageRow> rows, List<Figure> figures,
                       String command, String footer) {}

    private HtmlReport() {}

    public static void write(Path file, Page p) {
        AtomicFiles.writeBytes(file, render(p).getBytes(StandardCharsets.UTF_8));
    }

    public static String render(Page p) {
        StringBuilder b = new StringBuilder(8192);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(p.title()))
                .append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1800px}\n")
                .append("table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}\n")
                .append("th{background:#f0f0f0}td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}\n")
                .append("#results td:last-child{min-width:22em;font-size:13px}.wide{overflow-x:auto}\n")
                .append(".row{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 18px}\n")
                .append("figure{margin:0;text-align:center;font-size:12px}figure img{image-rendering:pixelated;border:1px solid #ddd}\n")
                .append(".note{background:#fff6d6;border-left:4px solid #e0b000;padding:6px 10px;margin:6px 0}\n")
                .append("pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}\n")
                .append("</style></head><body>\n<h1>").append(esc(p.title())).append("</h1>\n");
        for (String n : p.notes()) b.append("<p class=\"note\">").append(esc(n)).append("</p>\n");
        b.append("<h2>Results</h2>\n<div class=\"wide\"><table id=\"results\">\n<tr>");
        for (String h : p.table().header()) b.append("<th>").append(esc(h)).append("</th>");
        b.append("</tr>\n");
        for (List<String> r : p.table().rows()) {
            b.append("<tr>");
            for (String c : r) b.append("<td>").append(esc(c)).append("</td>");
            b.append("</tr>\n");
        }
        b.append("</table></div>\n");
        if (!p.figures().isEmpty()) {
            b.append("<h2>Charts</h2>\n");
            for (Figure f : p.figures())
                b.append("<figure><img src=\"").append(esc(f.src())).append("\" alt=\"").append(esc(f.caption()))
                        .append("\"><figcaption>").append(esc(f.caption())).append("</figcaption></figure>\n");
        }
        if (!p.rows().isEmpty()) b.append("<h2>Videos</h2>\n");
        for (ImageRow r : p.rows()) {
            b.append("<h3>").append(esc(r.title())).append("</h3>\n<div class=\"row\">\n");
            for (Cell c : r.cells())
                b.append("<figure><img src=\"").append(esc(c.src())).append("\" alt=\"").append(esc(c.caption()))
                        .append("\"><figcaption>").append(esc(c.caption())).append("</figcaption></figure>\n");
            b.append("</div>\n");
        }
        b.append("<h2>Command</h2>\n<pre>").append(esc(p.command())).append("</pre>\n");
        if (p.footer() != null) b.append("<p>").append(esc(p.footer())).append("</p>\n");
        b.append("</body></html>\n");
        return b.toString();
    }

    /** A number with {@code digits} decimals, "∞"/"−∞"/"NaN" for non-finite values. */
    public static String num(double v, int digits) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "−∞";
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
