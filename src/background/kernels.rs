//! The per-pixel loops of ImageJ's Subtract Background, the parts of `blotquant background`
//! that run over every pixel (or every ball tap). Each is compiled for the wider vector units
//! as well (AVX2, AVX-512) and picks the best the running CPU has; the baseline x86-64 build
//! has only 4-wide SSE2 and no packed f32 → u16 conversion. Every lane of every width
//! performs the same `f32` operations in the same order, so results are identical whichever
//! version runs (`tests/imagej_background.rs` compares against ImageJ).

use multiversion::multiversion;

/// `acc[i] = min(acc[i], values[i] + offset)`: the ball's erosion (offset −height) and the
/// block minimum of the shrink step (offset 0).
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn lower_to(acc: &mut [f32], values: &[f32], offset: f32) {
    for (a, &v) in acc.iter_mut().zip(values) {
        let t = v + offset;
        *a = if t < *a { t } else { *a };
    }
}

/// `acc[i] = max(acc[i], values[i] + offset)`: the ball's dilation.
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn raise_to(acc: &mut [f32], values: &[f32], offset: f32) {
    for (a, &v) in acc.iter_mut().zip(values) {
        let t = v + offset;
        *a = if t > *a { t } else { *a };
    }
}

/// `acc[i] = min(acc[i], mean of above[i], here[i], below[i])`: ImageJ's 3×3 smoothing along
/// y (sum top to bottom, times 0.33333333f) folded into the shrink step's block minimum.
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn lower_to_mean3(acc: &mut [f32], above: &[f32], here: &[f32], below: &[f32]) {
    for (((m, a), b), c) in acc.iter_mut().zip(above).zip(here).zip(below) {
        let v = (a + b + c) * 0.333_333_33_f32;
        *m = if v < *m { v } else { *m };
    }
}

/// ImageJ's 3-tap mean along a row (the edge pixel repeated beyond the border), written to
/// `out`; the sum is taken left to right and multiplied by 0.33333333f, as ImageJ does.
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn mean3_row(row: &[f32], out: &mut [f32]) {
    let n = row.len();
    if n == 1 {
        out[0] = (row[0] + row[0] + row[0]) * 0.333_333_33_f32;
        return;
    }
    out[0] = (row[0] + row[0] + row[1]) * 0.333_333_33_f32;
    for (o, w) in out[1..n - 1].iter_mut().zip(row.windows(3)) {
        *o = (w[0] + w[1] + w[2]) * 0.333_333_33_f32;
    }
    out[n - 1] = (row[n - 2] + row[n - 1] + row[n - 1]) * 0.333_333_33_f32;
}

/// `values[i] = −values[i]` (a light background is rolled from below).
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn negate(values: &mut [f32]) {
    for v in values.iter_mut() {
        *v = -*v;
    }
}

/// `values[i] = clamp(values[i] − background[i] + offset, 0, max)`.
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn subtract_and_clip(values: &mut [f32], background: &[f32], offset: f32, max: f32) {
    for (v, &b) in values.iter_mut().zip(background) {
        *v = (*v - b + offset).clamp(0.0, max);
    }
}

/// `values[i] = clamp(values[i] + offset, 0, max)`.
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn offset_and_clip(values: &mut [f32], offset: f32, max: f32) {
    for v in values.iter_mut() {
        *v = (*v + offset).clamp(0.0, max);
    }
}

/// Values already clipped to the sample range, truncated to 16-bit samples (ImageJ adds 0.5
/// and truncates).
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn truncate(values: &[f32], samples: &mut [u16]) {
    for (s, &v) in samples.iter_mut().zip(values) {
        *s = v as u16;
    }
}
