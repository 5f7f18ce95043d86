/**
 * Report output for evaluation runs: a self-contained {@code index.html} ({@link HtmlReport}) and PNG charts
 * drawn with XChart ({@link Charts}). Depends on {@code io} (atomic writes) only; callers pass plain values.
 */
package io.vdq.eval.report;
