//! `report.html`: one self-contained page (images embedded as data URIs, charts as inline
//! SVG drawn with plotters, no script, nothing fetched) that a scientist reads top to bottom:
//! fold-change charts per target, the summary table, warnings and failures, per blot the
//! overlay and the lane profiles, the full tables and the methods paragraph.

use plotters::prelude::*;
use rayon::prelude::*;
use std::fmt::Write as _;

use crate::results::{BandRow, ImageTraces, Results, SummaryRow};

/// The report of a run; `traces` are what it shows of each image (overlay, lane profiles).
pub fn render(results: &Results, traces: &[ImageTraces]) -> String {
    let mut page = String::with_capacity(1 << 20);
    page.push_str(HEAD);
    let images = traces.len();
    let _ = write!(
        page,
        "<h1>blotquant report</h1>\n<p class=\"meta\">blotquant {} · {} experiment(s) · {} image(s) · {} failure(s) · {} warning(s)</p>\n",
        esc(&results.version),
        results.experiments.len(),
        images,
        results.errors.len(),
        results.warnings.len()
    );
    page.push_str(
        "<nav><a href=\"#fold-change\">Fold change</a> · <a href=\"#warnings\">Warnings</a> · \
         <a href=\"#blots\">Blots</a> · <a href=\"#tables\">Tables</a> · \
         <a href=\"#methods\">Methods</a></nav>\n",
    );

    page.push_str("<section id=\"fold-change\"><h2>Fold change</h2>\n");
    let unit = match super::one_unit(results) {
        Some(unit) => format!(" ({})", unit.describe()),
        None => " (the experiments count them differently: see the warnings)".to_string(),
    };
    let _ = writeln!(
        page,
        "<p>Each point is one lane (normalized to the loading control, relative to its own blot's \
         control lanes); the bar is the geometric mean and the whisker its 95 % confidence \
         interval across biological replicates{}. Log scale.</p>",
        esc(&unit)
    );
    for target in targets(&results.summary) {
        let rows: Vec<&SummaryRow> = results
            .summary
            .iter()
            .filter(|r| r.target == target)
            .collect();
        // Chart and table side by side where the page is wide enough.
        let _ = write!(
            page,
            "<h3>{}</h3>\n<div class=\"target\"><div class=\"chart\">",
            esc(&target)
        );
        page.push_str(&fold_change_chart(results, &target, &rows));
        page.push_str("</div>\n");
        page.push_str(&summary_html(&rows));
        page.push_str("</div>\n");
    }
    if results.summary.is_empty() {
        page.push_str("<p>No fold changes in this run.</p>\n");
    }
    page.push_str("</section>\n");

    page.push_str(&quality_table(results));
    page.push_str("<section id=\"warnings\"><h2>Warnings and failures</h2>\n");
    if results.warnings.is_empty() && results.errors.is_empty() {
        page.push_str("<p>None.</p>\n");
    }
    if !results.errors.is_empty() {
        page.push_str("<table><tr><th>experiment</th><th>path</th><th>error</th></tr>\n");
        for f in &results.errors {
            let _ = writeln!(
                page,
                "<tr class=\"failed\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&f.experiment),
                esc(&f.path),
                esc(&f.error)
            );
        }
        page.push_str("</table>\n");
    }
    if !results.warnings.is_empty() {
        page.push_str("<ul>\n");
        for w in &results.warnings {
            let _ = writeln!(page, "<li>{}</li>", esc(w));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</section>\n");

    page.push_str("<section id=\"blots\"><h2>Blots</h2>\n");
    page.push_str(
        "<p>Each blot opens on a click. Overlay: lane boxes blue, target bands green, ladder \
         bands orange with their kDa, unassigned bands grey, saturated pixels red; the blot is \
         shown compressed, the lines and labels over it are not. Profiles: mean signal across the lane \
         (black) against the row, the rolling-ball surface used to find bands (blue), band \
         limits shaded, and the background level subtracted from each band (red).</p>\n",
    );
    let blots: Vec<String> = traces
        .par_iter()
        .map(|image| blot_html(results, image))
        .collect();
    for blot in blots {
        page.push_str(&blot);
    }
    if traces.is_empty() {
        page.push_str("<p>No images in this run (a merge keeps tables only).</p>\n");
    }
    page.push_str("</section>\n");

    page.push_str("<section id=\"tables\"><h2>Tables</h2>\n");
    page.push_str(&table_details(
        "fold_change.csv",
        &crate::report::to_csv(&results.fold_change, crate::report::FOLD_CHANGE_HEADER),
    ));
    page.push_str(&table_details(
        "bands.csv",
        &crate::report::to_csv(&results.bands, crate::report::BANDS_HEADER),
    ));
    page.push_str(&table_details(
        "lanes.csv",
        &crate::report::to_csv(&results.lanes, crate::report::LANES_HEADER),
    ));
    page.push_str("</section>\n");

    let _ = write!(
        page,
        "<section id=\"methods\"><h2>Methods</h2>\n<p>{}</p>\n</section>\n</body>\n</html>\n",
        esc(&results.methods)
    );
    page
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>blotquant report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; }
.meta { color: #666; margin-top: 0; }
nav { margin: 1em 0; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #f2f2f2; }
td:first-child, th:first-child { text-align: left; }
tr.failed td { background: #fde8e8; text-align: left; }
.chart svg, .profiles svg { max-width: 100%; height: auto; }
.target { display: flex; flex-wrap: wrap; align-items: center; gap: 0 1em; }
.target table { font-size: 0.8em; }
.target th, .target td { padding: 2px 4px; }
td.reasons { text-align: left; }
.blot { border-top: 1px solid #ddd; padding-top: 0.5em; margin-top: 0.5em; }
.blot summary { cursor: pointer; }
.blot summary h3 { display: inline; font-size: 1.05em; }
.blot figure { margin: 0.5em 0; }
.stack { position: relative; display: inline-block; max-width: 100%; border: 1px solid #ccc; line-height: 0; }
.stack img { display: block; max-width: 100%; border: 0; }
.stack img.lines { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
figcaption { font-size: 0.85em; color: #555; }
.flags { color: #a33; }
.verdict-check { color: #a60; font-weight: bold; }
.verdict-unreliable { color: #c00; font-weight: bold; }
details { margin: 0.5em 0; }
summary { cursor: pointer; font-weight: 600; }
</style>
</head>
<body>
"#;

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Targets in the order the summary lists them.
fn targets(summary: &[SummaryRow]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in summary {
        if !out.contains(&row.target) {
            out.push(row.target.clone());
        }
    }
    out
}

/// A number for reading (the files keep full precision).
fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "–".into(),
    }
}

fn summary_html(rows: &[&SummaryRow]) -> String {
    let mut out = String::from(
        "<table><tr><th>condition</th><th>n</th><th>geomean fold</th><th>95 % CI</th>\
         <th>mean fold</th><th>CV %</th><th>p</th><th>p (BH)</th><th>test</th><th>flags</th></tr>\n",
    );
    for r in rows {
        let ci = match r.ci95_fold() {
            Some((lo, hi)) => format!("{lo:.2}–{hi:.2}"),
            _ => "–".into(),
        };
        let p = |v: Option<f64>| v.map_or("–".into(), |p| format!("{p:.2e}"));
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"flags\">{}</td></tr>",
            esc(&r.condition),
            r.n,
            num(r.geomean_fold_change, 2),
            ci,
            num(r.mean_fold_change, 2),
            num(r.cv_pct, 1),
            p(r.p_value),
            p(r.p_value_bh),
            esc(&r.test),
            esc(&r.flags.to_string())
        );
    }
    out.push_str("</table>\n");
    out
}

/// A condition's geometric mean and 95 % CI in a chart.
#[derive(Clone, Copy)]
struct Bar {
    x: f64,
    mean: f64,
    ci: Option<(f64, f64)>,
}

/// Ticks for a log axis from `lo` to `hi`: the 1–2–5 series (…, 0.5, 1, 2, 5, 10, …), read at
/// a glance; with 1.5, 3 and 7 added where the range holds fewer than three of those. Each
/// value is computed so that it prints in its shortest form (0.2, not 0.20000000000000001).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let series = |mantissas: &[f64]| -> Vec<f64> {
        let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (first..=last)
            .flat_map(|e| {
                mantissas.iter().map(move |m| {
                    if e >= 0 {
                        m * 10f64.powi(e)
                    } else {
                        m / 10f64.powi(-e)
                    }
                })
            })
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let ticks = series(&[1.0, 2.0, 5.0]);
    if ticks.len() >= 3 {
        ticks
    } else {
        series(&[1.0, 1.5, 2.0, 3.0, 5.0, 7.0])
    }
}

/// Fold change per condition of one target: lanes as points (spread sideways so they do not
/// hide each other), geometric mean as a bar, 95 % CI as a whisker, on a log axis.
fn fold_change_chart(results: &Results, target: &str, rows: &[&SummaryRow]) -> String {
    let conditions: Vec<&str> = rows.iter().map(|r| r.condition.as_str()).collect();
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (i, condition) in conditions.iter().enumerate() {
        let values: Vec<f64> = results
            .fold_change
            .iter()
            .filter(|r| r.target == target && r.condition == *condition)
            .filter_map(|r| r.fold_change)
            .filter(|v| *v > 0.0 && v.is_finite())
            .collect();
        let n = values.len().max(1) as f64;
        for (k, v) in values.into_iter().enumerate() {
            let spread = if n > 1.0 {
                k as f64 / (n - 1.0) - 0.5
            } else {
                0.0
            };
            points.push((i as f64 + 0.3 * spread, v));
        }
    }
    let bars: Vec<Bar> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let mean = r
                .geomean_fold_change
                .filter(|v| *v > 0.0 && v.is_finite())?;
            let ci = r.ci95_fold();
            Some(Bar {
                x: i as f64,
                mean,
                ci,
            })
        })
        .collect();
    let all = points
        .iter()
        .map(|p| p.1)
        .chain(bars.iter().map(|b| b.mean))
        .chain(bars.iter().filter_map(|b| b.ci).flat_map(|(l, h)| [l, h]))
        .filter(|v| *v > 0.0 && v.is_finite());
    let (lo, hi) = all.fold((1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = (lo / 1.4, hi * 1.4);
    let width = (80 + 95 * conditions.len()).clamp(380, 1100) as u32;
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::with_string(&mut svg, (width, 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(
                -0.5f64..(conditions.len() as f64 - 0.5),
                (lo..hi).log_scale().with_key_points(log_ticks(lo, hi)),
            )?;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < conditions.len() {
                conditions[i as usize].to_string()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(conditions.len() + 1)
            .x_label_formatter(&label)
            .y_desc("fold change (log scale)")
            .y_label_formatter(&|v| format!("{v}"))
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 1.0), (conditions.len() as f64 - 0.5, 1.0)],
            BLACK.mix(0.3),
        )))?;
        chart.draw_series(
            points
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 4, RGBColor(40, 110, 230).mix(0.7).filled())),
        )?;
        for &Bar { x, mean, ci } in &bars {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.25, mean), (x + 0.25, mean)],
                BLACK.stroke_width(3),
            )))?;
            if let Some((l, h)) = ci {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, l), (x, h)],
                    BLACK.stroke_width(1),
                )))?;
                for y in [l, h] {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x - 0.08, y), (x + 0.08, y)],
                        BLACK.stroke_width(1),
                    )))?;
                }
            }
        }
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => svg,
        Err(e) => format!("<p>chart not drawn: {}</p>", esc(&e.to_string())),
    }
}

/// How an overlay drawn at `scale` overlay pixels per image pixel relates to the image.
fn scale_words(scale: f64) -> String {
    if scale <= 0.0 || !scale.is_finite() {
        String::new()
    } else if scale >= 1.0 {
        let k = scale.round();
        if k == 1.0 {
            "drawn at the image's own size (one overlay pixel per image pixel)".into()
        } else {
            format!("drawn at {k}× the image's size (each image pixel is {k} × {k} overlay pixels)")
        }
    } else {
        let k = (1.0 / scale).round();
        format!(
            "drawn at 1/{k} of the image's size (each overlay pixel is the mean of {k} × {k} image pixels)"
        )
    }
}

/// One image, in a section the reader opens: the overlay (the blot as a JPEG, its lines and
/// labels as a lossless layer over it), its lanes' conditions, and a panel of lane profiles.
fn blot_html(results: &Results, image: &ImageTraces) -> String {
    let lanes: Vec<String> = results
        .lanes
        .iter()
        .filter(|l| l.experiment == image.experiment && l.image == image.image)
        .map(|l| format!("{} {}", l.lane, esc(&l.condition)))
        .collect();
    let detection = results
        .detection
        .iter()
        .find(|d| d.experiment == image.experiment && d.image == image.image);
    let reasons = detection
        .map(|d| d.reasons.replace(';', ", "))
        .filter(|r| !r.is_empty())
        .map(|r| format!(" · check: {}", esc(&r)))
        .unwrap_or_default();
    let mut out = format!(
        "<details class=\"blot\"><summary><h3>{} · {}</h3> <span class=\"meta\">{} lanes{reasons}</span></summary>\n",
        esc(&image.experiment),
        esc(&image.image),
        lanes.len(),
    );
    if image.preview_jpeg_base64.is_empty() {
        let _ = writeln!(
            out,
            "<p>(no preview; see overlays/{})</p>",
            esc(&image.overlay)
        );
    } else {
        let lines = if image.preview_lines_png_base64.is_empty() {
            String::new()
        } else {
            format!(
                "<img class=\"lines\" alt=\"\" src=\"data:image/png;base64,{}\">",
                image.preview_lines_png_base64
            )
        };
        let scale = scale_words(image.overlay_scale);
        let _ = writeln!(
            out,
            "<figure><div class=\"stack\"><img alt=\"overlay of {}\" src=\"data:image/jpeg;base64,{}\">{lines}</div>\n<figcaption>Overlay {}{}; lanes: {}.</figcaption></figure>",
            esc(&image.image),
            image.preview_jpeg_base64,
            scale,
            if scale.is_empty() { "" } else { " (a narrow window shrinks it further)" },
            lanes.join(" · ")
        );
    }
    let bands: Vec<&BandRow> = results
        .bands
        .iter()
        .filter(|b| b.experiment == image.experiment && b.image == image.image)
        .collect();
    out.push_str("<div class=\"profiles\">");
    out.push_str(&profiles_svg(image, &bands));
    out.push_str("</div></details>\n");
    out
}

/// Small multiples, one per lane: signal and rolling-ball surface against the row, band
/// limits shaded, each band's subtracted background level in red.
fn profiles_svg(image: &ImageTraces, bands: &[&BandRow]) -> String {
    let lanes = &image.lanes;
    if lanes.is_empty() {
        return String::new();
    }
    let columns = lanes.len().min(5);
    let rows = lanes.len().div_ceil(columns);
    let (panel_w, panel_h) = (230u32, 170u32);
    let mut svg = String::new();
    let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
        let root =
            SVGBackend::with_string(&mut svg, (panel_w * columns as u32, panel_h * rows as u32))
                .into_drawing_area();
        root.fill(&WHITE)?;
        for (area, lane) in root.split_evenly((rows, columns)).iter().zip(lanes) {
            let step = lane.row_step as f64;
            let height = lane.signal.len() as f64 * step;
            let values = lane.signal.iter().chain(&lane.background).copied();
            let (lo, hi) = values.fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
            let (lo, hi) = (f64::from(lo), f64::from(hi).max(f64::from(lo) + 1.0));
            let pad = 0.05 * (hi - lo);
            let mut chart = ChartBuilder::on(area)
                .caption(format!("lane {}", lane.lane), ("sans-serif", 13))
                .margin(4)
                .x_label_area_size(18)
                .y_label_area_size(42)
                .build_cartesian_2d(0f64..height, (lo - pad)..(hi + pad))?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(4)
                .y_labels(4)
                .label_style(("sans-serif", 10))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .draw()?;
            for band in bands.iter().filter(|b| b.lane == lane.lane) {
                let colour = match band.target.as_str() {
                    "" => RGBColor(150, 150, 150),
                    crate::catalog::LADDER => RGBColor(230, 150, 0),
                    _ => RGBColor(0, 170, 60),
                };
                let (top, bottom) = (band.top_px as f64, band.bottom_px as f64 + 1.0);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(top, lo - pad), (bottom, hi + pad)],
                    colour.mix(0.18).filled(),
                )))?;
                let pixels = (band.bottom_px - band.top_px + 1) as f64 * lane.width_px as f64;
                if pixels > 0.0 {
                    let level = band.background / pixels;
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(top, level), (bottom, level)],
                        RED.stroke_width(2),
                    )))?;
                }
            }
            let at = |i: usize| (i as f64 + 0.5) * step;
            chart.draw_series(LineSeries::new(
                lane.background
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (at(i), f64::from(v))),
                RGBColor(40, 110, 230),
            ))?;
            chart.draw_series(LineSeries::new(
                lane.signal
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (at(i), f64::from(v))),
                BLACK,
            ))?;
        }
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => svg,
        Err(e) => format!("<p>profiles not drawn: {}</p>", esc(&e.to_string())),
    }
}

/// Each experiment's quality verdict and its reasons.
fn quality_table(results: &Results) -> String {
    if results.experiments.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<section id=\"quality\"><h2>Quality</h2>\n<table><tr><th>experiment</th><th>verdict</th><th>reasons</th></tr>\n",
    );
    for e in &results.experiments {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"verdict-{}\">{}</td><td class=\"reasons\">{}</td></tr>",
            esc(&e.name),
            e.quality.verdict.as_str(),
            e.quality.verdict.as_str(),
            e.quality
                .reasons
                .iter()
                .map(|r| esc(r))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    out.push_str("</table></section>\n");
    out
}

/// A table inside a collapsed `<details>`, from its CSV text.
fn table_details(name: &str, csv_text: &str) -> String {
    let mut lines = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes())
        .into_records()
        .flatten();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let mut out = String::new();
    let mut count = 0;
    let mut body = String::new();
    for record in lines {
        count += 1;
        body.push_str("<tr>");
        for field in record.iter() {
            let _ = write!(body, "<td>{}</td>", esc(field));
        }
        body.push_str("</tr>\n");
    }
    let _ = write!(
        out,
        "<details><summary>{} ({count} rows)</summary>\n<table><tr>",
        esc(name)
    );
    for field in header.iter() {
        let _ = write!(out, "<th>{}</th>", esc(field));
    }
    out.push_str("</tr>\n");
    out.push_str(&body);
    out.push_str("</table></details>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_follow_one_two_five_and_print_short() {
        assert_eq!(log_ticks(0.07, 14.0), [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]);
        let printed: Vec<String> = log_ticks(0.011, 0.6)
            .iter()
            .map(|v| format!("{v}"))
            .collect();
        assert_eq!(printed, ["0.02", "0.05", "0.1", "0.2", "0.5"]);
        // A narrow range still gets three ticks.
        assert_eq!(log_ticks(0.64, 1.68), [0.7, 1.0, 1.5]);
    }

    #[test]
    fn the_overlay_scale_is_said_in_words() {
        assert!(scale_words(2.0).contains("2× the image's size"));
        assert!(scale_words(1.0).contains("own size"));
        assert!(scale_words(0.5).contains("1/2 of the image's size"));
        assert_eq!(scale_words(0.0), "");
    }
}
