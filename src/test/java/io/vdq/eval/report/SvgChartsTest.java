package io.vdq.eval.report;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class SvgChartsTest {
    /** The SVG parsed as XML (it must be well-formed to be shown by a browser as an image). */
    public static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    public static List<Element> byClass(Document d, String tag, String cls) {
        List<Element> out = new ArrayList<>();
        NodeList nl = d.getElementsByTagName(tag);
        for (int i = 0; i < nl.getLength(); i++) {
            Element e = (Element) nl.item(i);
            if (e.getAttribute("class").equals(cls)) out.add(e);
        }
        return out;
    }

    static double num(Element e, String attr) { return Double.parseDouble(e.getAttribute(attr)); }

    @Test
    void everyBarHasItsNameAndValueAndBarsAreProportional() throws Exception {
        // 13 recipes, as in the default demo whose PNG chart showed only 7 of its 13 names
        SequencedMap<String, Double> v = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) v.put("recipe-with-a-long-name-" + i, 10.0 + 2 * i);
        v.put("identical", Double.POSITIVE_INFINITY);
        Document d = parse(SvgCharts.hbars("PSNR", "PSNR (dB)", v, 50));
        List<Element> labels = byClass(d, "text", "bar-label"), values = byClass(d, "text", "bar-value"), bars = byClass(d, "rect", "bar");
        assertEquals(13, labels.size());
        assertEquals(13, values.size());
        assertEquals(13, bars.size());
        assertEquals(List.copyOf(v.keySet()), labels.stream().map(Element::getTextContent).toList());
        assertEquals("10.0 dB", values.get(0).getTextContent());
        assertEquals("32.0 dB", values.get(11).getTextContent());
        assertEquals("∞ dB", values.get(12).getTextContent());
        // the axis starts at 0, so widths are proportional to the values: 32/10, and ∞ drawn at its cap 50
        double w0 = num(bars.get(0), "width");
        assertEquals(3.2, num(bars.get(11), "width") / w0, 0.01);
        assertEquals(5.0, num(bars.get(12), "width") / w0, 0.01);
        // fits the page: every label and bar inside the drawing, rows never overlap
        double width = num(d.getDocumentElement(), "width");
        assertTrue(width <= 1352, "narrower than a 1 400 px page less margins: " + width);
        for (Element b : bars) assertTrue(num(b, "x") >= 0 && num(b, "x") + num(b, "width") <= width);
        for (int i = 1; i < labels.size(); i++) assertTrue(num(labels.get(i), "y") - num(labels.get(i - 1), "y") >= 14);
        assertTrue(num(labels.get(0), "x") > 25 * 6, "the label column is wider than a 26-character name");
    }

    @Test
    void aBitScheduleIsAStepFunctionOfHorizontalAndVerticalSegments() throws Exception {
        double[] bits = {8, 8, 6, 6, 6, 8, 4, 4};
        SequencedMap<String, double[]> s = new LinkedHashMap<>();
        s.put("w4a6-dvd", bits);
        s.put("w4a4-dvd", new double[]{6, 6, 6, 4, 4, 4, 4, 4});
        Document d = parse(SvgCharts.panels("bits", "step", "bits", s, true, true));
        assertEquals(2, byClass(d, "g", "panel").size(), "one panel per switched recipe");
        assertEquals(List.of("w4a6-dvd", "w4a4-dvd"), byClass(d, "text", "panel-title").stream().map(Element::getTextContent).toList());
        List<Element> series = byClass(d, "path", "series");
        assertEquals(2, series.size());
        String path = series.getFirst().getAttribute("d");
        Matcher m = Pattern.compile("([A-Za-z])\\s*([-0-9. ]*)").matcher(path);
        List<Character> cmds = new ArrayList<>();
        List<double[]> args = new ArrayList<>();
        while (m.find()) {
            cmds.add(m.group(1).charAt(0));
            String a = m.group(2).strip();
            args.add(a.isEmpty() ? new double[0] : java.util.Arrays.stream(a.split("\\s+")).mapToDouble(Double::parseDouble).toArray());
        }
        assertEquals('M', cmds.getFirst());
        for (char c : cmds.subList(1, cmds.size())) assertTrue(c == 'H' || c == 'V', "only horizontal/vertical segments: " + path);
        // walk the path: the level held during each H segment is that step's y; one H per step, a V per change
        double y = args.getFirst()[1], x = args.getFirst()[0];
        List<Double> levels = new ArrayList<>(), widths = new ArrayList<>();
        for (int i = 1; i < cmds.size(); i++) {
            if (cmds.get(i) == 'V') y = args.get(i)[0];
            else { levels.add(y); widths.add(args.get(i)[0] - x); x = args.get(i)[0]; }
        }
        assertEquals(bits.length, levels.size());
        assertEquals(3, cmds.stream().filter(c -> c == 'V').count(), "8→6, 6→8 and 8→4 are the three changes");
        for (double w : widths) assertEquals(widths.getFirst(), w, 0.02, "every step equally wide");
        // y is linear in bits, higher bits drawn higher (smaller y)
        double perBit = (levels.get(0) - levels.get(2)) / (bits[0] - bits[2]);
        assertTrue(perBit < 0);
        for (int k = 0; k < bits.length; k++) assertEquals(levels.get(0) + perBit * (bits[k] - bits[0]), levels.get(k), 0.02, "step " + (k + 1));
        // the other recipe is drawn grey behind each panel, also as steps
        List<Element> context = byClass(d, "path", "context");
        assertEquals(2, context.size());
        assertFalse(context.getFirst().getAttribute("d").contains("L"));
    }

    @Test
    void linePanelsKeepOneColouredSeriesPerPanelAndBreakAtNonFiniteValues() throws Exception {
        SequencedMap<String, double[]> s = new LinkedHashMap<>();
        for (int i = 0; i < 13; i++) s.put("r" + i, new double[]{20 + i, 21 + i, Double.NaN, 23 + i});
        Document d = parse(SvgCharts.panels("SNR", "step", "dB", s, false, false));
        assertEquals(13, byClass(d, "g", "panel").size());
        List<Element> series = byClass(d, "path", "series");
        assertEquals(13, series.size());
        for (Element e : series) {
            assertEquals(SvgCharts.ACCENT, e.getAttribute("stroke"));
            assertEquals(2, e.getAttribute("d").chars().filter(c -> c == 'M').count(), "the NaN at step 3 splits the line");
        }
        assertEquals(13 * 12, byClass(d, "path", "context").size(), "each panel shows the 12 others in grey");
        assertEquals(13 * 3, byClass(d, "circle", "").size(), "one marker per finite value");
        assertTrue(num(d.getDocumentElement(), "width") <= 1352);
    }

    @Test
    void heatMapColumnsAreLayerNamesAndMissingLayersAreMarked() throws Exception {
        SequencedMap<String, SequencedMap<String, Double>> rows = new LinkedHashMap<>();
        SequencedMap<String, Double> a = new LinkedHashMap<>(), b = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        a.put("blocks.0.q", 1e-3);
        a.put("blocks.0.k", 1e-1);
        b.put("blocks.0.q", 1e-2);
        b.put("blocks.0.q.extra", 1e-2);
        b.put("blocks.0.k", 1e-2);
        v.put("blocks.0.q@range0", 1e-3); // two versions of one layer, as ViDiT-Q reports them
        v.put("blocks.0.q@range1", 1e-1);
        v.put("blocks.0.k@range0", 1e-2);
        v.put("blocks.0.k@range1", 1e-2);
        rows.put("w8", a);
        rows.put("w4-extra", b);
        rows.put("vidit", v);
        List<String> cols = List.of("blocks.0.q", "blocks.0.q.extra", "blocks.0.k");
        assertEquals(cols, SvgCharts.columns(rows.values()));
        Document d = parse(SvgCharts.heatmap("err", "rel L2", rows));
        assertEquals(cols, byClass(d, "text", "col-label").stream().map(Element::getTextContent).toList());
        assertEquals(List.of("w8", "w4-extra", "vidit"), byClass(d, "text", "row-label").stream().map(Element::getTextContent).toList());
        List<Element> cells = byClass(d, "rect", "cell");
        assertEquals(3 + 3 + 5, cells.size(), "vidit: two stripes in q and k, one hatched cell for q.extra");
        // log colour scale over [1e-3, 1e-1]: 1e-3 lightest, 1e-1 darkest, 1e-2 the middle of the ramp
        assertEquals(SvgCharts.ramp(0), cells.get(0).getAttribute("fill"));
        assertEquals("url(#none)", cells.get(1).getAttribute("fill"), "w8 has no blocks.0.q.extra");
        assertEquals(SvgCharts.ramp(1), cells.get(2).getAttribute("fill"));
        assertEquals(SvgCharts.ramp(0.5), cells.get(3).getAttribute("fill"));
        assertEquals("#fff7bc", SvgCharts.ramp(0));
        assertEquals("#3c0e5a", SvgCharts.ramp(1));
        assertEquals("#ec7014", SvgCharts.ramp(0.5));
        // columns line up by name: the same x for blocks.0.k in every row, after the extra column
        assertEquals(num(cells.get(2), "x"), num(cells.get(5), "x"));
        assertEquals(2 * num(cells.get(0), "width"), num(cells.get(2), "x") - num(cells.get(0), "x"), 1e-6);
        // vidit's q cell: two half-height stripes, range0 on top, in the colours of 1e-3 and 1e-1
        Element s0 = cells.get(6), s1 = cells.get(7);
        assertEquals(num(cells.get(0), "x"), num(s0, "x"));
        assertEquals(num(s0, "x"), num(s1, "x"));
        assertEquals(num(cells.get(0), "height") / 2, num(s0, "height"), 1e-6);
        assertEquals(num(s0, "y") + num(s0, "height"), num(s1, "y"), 1e-6);
        assertEquals(SvgCharts.ramp(0), s0.getAttribute("fill"));
        assertEquals(SvgCharts.ramp(1), s1.getAttribute("fill"));
        assertTrue(s1.getTextContent().contains("blocks.0.q@range1"), "the tooltip names the version");
        assertEquals("url(#none)", cells.get(8).getAttribute("fill"));
        assertEquals(num(cells.get(5), "x"), num(cells.get(9), "x"), "vidit's k stripes under the others' k");
    }

    @Test
    void columnsKeepEveryRowsOrder() {
        SequencedMap<String, Double> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        for (String k : List.of("q", "k", "ffn")) a.put(k, 1.0);
        for (String k : List.of("q", "q.rot", "k", "ffn", "ffn.rot")) b.put(k, 1.0);
        assertEquals(List.of("q", "q.rot", "k", "ffn", "ffn.rot"), SvgCharts.columns(List.of(a, b)));
        assertEquals(List.of("q", "q.rot", "k", "ffn", "ffn.rot"), SvgCharts.columns(List.of(b, a)));
    }

    @Test
    void niceTicksCoverTheRange() {
        assertArrayEquals(new double[]{0, 5, 10, 15, 20, 25, 30, 35}, SvgCharts.ticks(0, 33.4, 8), 1e-12);
        assertArrayEquals(new double[]{-0.2, 0, 0.2, 0.4, 0.6}, SvgCharts.ticks(-0.13, 0.52, 5), 1e-12);
    }
}
