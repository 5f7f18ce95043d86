/**
 * Report output for evaluation runs: a self-contained {@code index.html} ({@link HtmlReport}), SVG charts laid out
 * for a 1 400 px page with every label drawn ({@link SvgCharts}), difference views of two videos as heat-coloured
 * frames ({@link DiffHeat}), PNG line charts drawn with XChart ({@link Charts}), and the demo's whole report
 * ({@link DemoReport}: page, GIFs, charts, results.json). Depends on {@code io} (atomic writes, GIFs), {@code tensor},
 * {@code eval}'s scores and {@code model}'s config only; callers pass plain values (no recipe, no sampler).
 */
package io.vdq.eval.report;
