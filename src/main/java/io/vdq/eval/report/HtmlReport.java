package io.vdq.eval.report;

import io.vdq.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A self-contained HTML page: title, links, notes, one results table, figures, rows of labelled images (GIFs side by
 * side per prompt, each optionally with its difference image beside it) and the exact command. Paths are relative
 * to the page's folder. Text is HTML-escaped; in notes, {@code [text](href)} becomes a link. The layout fits a
 * 1 400 px wide window: the table's last column (a description) wraps instead of widening the table.
 */
public final class HtmlReport {
    /** A table: header cells and rows of already formatted cells. */
    public record Table(List<String> header, List<List<String>> rows) {}

    /** An image with a caption under it and, when {@code diffSrc} is not null, a second image beside it. */
    public record Cell(String caption, String src, String diffSrc) {
        public Cell(String caption, String src) { this(caption, src, null); }
    }

    /** A titled row of images. */
    public record ImageRow(String title, List<Cell> cells) {}

    /** A figure (a chart image) with a caption. */
    public record Figure(String caption, String src) {}

    /** A link: text and a relative href. */
    public record Link(String text, String href) {}

    /**
     * @param links     shown under the title (e.g. the raw results, the docs); may be empty
     * @param videoNote a paragraph of HTML (not escaped: the caller builds it) above the videos, e.g. the difference images' colour scale; null for none
     */
    public record Page(String title, List<Link> links, List<String> notes, Table table, List<ImageRow> rows, List<Figure> figures,
                       String videoNote, String command, String footer) {
        public Page(String title, List<String> notes, Table table, List<ImageRow> rows, List<Figure> figures, String command, String footer) {
            this(title, List.of(), notes, table, rows, figures, null, command, footer);
        }
    }

    private HtmlReport() {}

    public static void write(Path file, Page p) {
        AtomicFiles.writeBytes(file, render(p).getBytes(StandardCharsets.UTF_8));
    }

    public static String render(Page p) {
        StringBuilder b = new StringBuilder(8192);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(p.title()))
                .append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1352px}\n")
                .append("table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}\n")
                .append("th{background:#f0f0f0;font-size:13px;vertical-align:bottom}td:first-child{white-space:nowrap}\n")
                .append("td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}\n")
                // 16 columns at 1 400 px: a 14 px table; cells wrap at spaces (numbers have none), the last column
                // (a description) is the one that gives way
                .append("#results{width:100%;font-size:14px}#results td:last-child{min-width:14em;font-size:12px;line-height:1.3}\n")
                .append(".wide{overflow-x:auto}\n")
                .append(".links{margin:4px 0 10px}.links a{margin-right:1.2em}\n")
                .append(".row{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0 18px}\n")
                .append("figure{margin:0;text-align:center;font-size:12px}figure img{image-rendering:pixelated;border:1px solid #ddd;max-width:100%}\n")
                .append(".pair{display:flex;gap:3px}figcaption{max-width:270px;margin:2px auto 0}\n")
                .append(".chart{margin:10px 0 22px}.chart img{image-rendering:auto;border:none}\n")
                .append(".note{background:#fff6d6;border-left:4px solid #e0b000;padding:6px 10px;margin:6px 0}\n")
                .append(".ramp{display:inline-block;width:160px;height:12px;vertical-align:middle;border:1px solid #aaa;margin:0 4px}\n")
                .append("pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}\n")
                .append("</style></head><body>\n<h1>").append(esc(p.title())).append("</h1>\n");
        if (!p.links().isEmpty()) {
            b.append("<p class=\"links\">");
            for (Link l : p.links()) b.append("<a href=\"").append(esc(l.href())).append("\">").append(esc(l.text())).append("</a>");
            b.append("</p>\n");
        }
        for (String n : p.notes()) b.append("<p class=\"note\">").append(linked(n)).append("</p>\n");
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
                b.append("<figure class=\"chart\"><img src=\"").append(esc(f.src())).append("\" alt=\"").append(esc(f.caption()))
                        .append("\"><figcaption style=\"max-width:none\">").append(esc(f.caption())).append("</figcaption></figure>\n");
        }
        if (!p.rows().isEmpty()) b.append("<h2>Videos</h2>\n");
        if (!p.rows().isEmpty() && p.videoNote() != null) b.append("<p>").append(p.videoNote()).append("</p>\n");
        for (ImageRow r : p.rows()) {
            b.append("<h3>").append(esc(r.title())).append("</h3>\n<div class=\"row\">\n");
            for (Cell c : r.cells()) {
                b.append("<figure>");
                if (c.diffSrc() != null) b.append("<div class=\"pair\">");
                b.append("<img src=\"").append(esc(c.src())).append("\" alt=\"").append(esc(c.caption())).append("\">");
                if (c.diffSrc() != null)
                    b.append("<img class=\"diff\" src=\"").append(esc(c.diffSrc())).append("\" alt=\"").append(esc("|difference| " + c.caption()))
                            .append("\"></div>");
                b.append("<figcaption>").append(esc(c.caption())).append("</figcaption></figure>\n");
            }
            b.append("</div>\n");
        }
        b.append("<h2>Command</h2>\n<pre>").append(esc(p.command())).append("</pre>\n");
        if (p.footer() != null) b.append("<p>").append(esc(p.footer())).append("</p>\n");
        b.append("</body></html>\n");
        return b.toString();
    }

    private static final Pattern LINK = Pattern.compile("\\[([^\\]]+)]\\(([^)\\s]+)\\)");

    /** Escaped text in which {@code [text](href)} becomes {@code <a href="href">text</a>}. */
    static String linked(String s) {
        Matcher m = LINK.matcher(s);
        StringBuilder b = new StringBuilder();
        int at = 0;
        while (m.find()) {
            b.append(esc(s.substring(at, m.start()))).append("<a href=\"").append(esc(m.group(2))).append("\">")
                    .append(esc(m.group(1))).append("</a>");
            at = m.end();
        }
        return b.append(esc(s.substring(at))).toString();
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
