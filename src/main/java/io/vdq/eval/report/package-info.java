/**
 * The HTML report: tables, side-by-side videos (GIF) and PNG charts (XChart), written atomically.
 * Depends only on the JDK and XChart; callers hand it numbers and file paths.
 */
package io.vdq.eval.report;
