/**
 * Report output for evaluation runs: a self-contained {@code index.html} ({@link HtmlReport}), SVG charts laid out
 * for a 1 400 px page with every label drawn ({@link SvgCharts}), difference views of two videos as heat-coloured
 * frames ({@link DiffHeat}), and PNG line charts drawn with XChart ({@link Charts}). Depends on {@code io} (atomic
 * writes) and {@code tensor} only; callers pass plain values.
 */
package io.vdq.eval.report;
