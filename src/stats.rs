//! Small numeric helpers: robust location and scale, smoothing, and the t-based statistics the
//! summary table needs (distribution functions come from `statrs`).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Median of a slice (may reorder it). NaN-free input expected; empty gives 0.
pub fn median_f32(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mid = values.len() / 2;
    if values.len() < MANY_VALUES {
        let (_, m, _) = values.select_nth_unstable_by(mid, f32::total_cmp);
        return *m;
    }
    // Selected as integers ordered as `f32::total_cmp` orders the values (the same median),
    // which compare several times faster than floats through a comparator.
    let mut keys: Vec<i32> = values.iter().map(|&v| total_order_key(v)).collect();
    let (_, m, _) = keys.select_nth_unstable(mid);
    from_total_order_key(*m)
}

/// From this many values on, a median is selected on integer keys (their copy costs less than
/// the comparisons it saves).
const MANY_VALUES: usize = 64;

/// An integer whose order is `f32::total_cmp`'s order of the values.
fn total_order_key(v: f32) -> i32 {
    let bits = v.to_bits() as i32;
    bits ^ (((bits >> 31) as u32) >> 1) as i32
}

/// The value whose [`total_order_key`] is `key`.
fn from_total_order_key(key: i32) -> f32 {
    f32::from_bits((key ^ (((key >> 31) as u32) >> 1) as i32) as u32)
}

/// The values at the given ranks of the sorted slice (reorders it), exactly as indexing a
/// sorted copy would give, in linear time rather than a sort's n·log n: each rank is selected
/// in the part of the slice that the previous selection left above it. `ranks` must be
/// ascending and below the length.
pub fn order_statistics_f32(values: &mut [f32], ranks: &[usize]) -> Vec<f32> {
    let mut start = 0;
    let mut out = Vec::with_capacity(ranks.len());
    for &rank in ranks {
        let (_, value, _) = values[start..].select_nth_unstable_by(rank - start, f32::total_cmp);
        out.push(*value);
        start = rank;
    }
    out
}

/// Every k-th value, k chosen so that at most about `max` remain (all when there are fewer):
/// enough for a quantile used for display or a decision, at a fraction of the cost.
pub fn sample_evenly<'a>(values: impl ExactSizeIterator<Item = &'a f32>, max: usize) -> Vec<f32> {
    let stride = values.len().div_ceil(max.max(1)).max(1);
    values.step_by(stride).copied().collect()
}

/// [`sample_evenly`] of `image`'s values in reading order (row by row), each picked by its
/// index: a part of a larger image is not contiguous in memory, and stepping an iterator
/// over it visits every value it skips.
pub fn sample_evenly_2d(image: ndarray::ArrayView2<f32>, max: usize) -> Vec<f32> {
    let (len, width) = (image.len(), image.ncols());
    let stride = len.div_ceil(max.max(1)).max(1);
    (0..len)
        .step_by(stride)
        .map(|i| image[[i / width, i % width]])
        .collect()
}

/// Indices into `len` values, evenly spaced, at most about `max` of them (all when there are
/// fewer), chosen alike from either end: index `i` is taken exactly when `len − 1 − i` is.
/// A statistic of the sample then reads the same on an image and on its mirror image, where
/// every k-th value from the start would sample other pixels of the mirrored one.
pub fn mirror_symmetric_indices(len: usize, max: usize) -> Vec<usize> {
    let stride = len.div_ceil(max.max(1)).max(1);
    if len == 0 {
        return Vec::new();
    }
    let last = len - 1;
    // Centred on the middle, so that the grid's own spacing is symmetric where it can be.
    let offset = (last % stride) / 2;
    let first_half = (offset..).step_by(stride).take_while(|&i| 2 * i <= last);
    let mut indices: Vec<usize> = first_half.flat_map(|i| [i, last - i]).collect();
    indices.sort_unstable();
    indices.dedup();
    indices
}

/// Median of f64 values (copies them).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Noise standard deviation of a smooth signal plus white noise, from the median absolute
/// first difference (insensitive to the smooth part and to a few sharp features).
pub fn noise_sigma(values: &[f32]) -> f32 {
    noise_sigma_of_line(values, 1).unwrap_or(0.0)
}

/// [`noise_sigma`] from differences `lag` samples apart, over every pair; `None` where the
/// line is not longer than `lag`.
pub fn noise_sigma_of_line(values: &[f32], lag: usize) -> Option<f32> {
    let mut diffs: Vec<f32> = values
        .iter()
        .zip(values.iter().skip(lag))
        .map(|(a, b)| (b - a).abs())
        .collect();
    (!diffs.is_empty()).then(|| sigma_of_differences(&mut diffs))
}

/// The noise SD behind the absolute differences of pairs of noisy samples (reorders them):
/// their median over that of a normal difference's, √2 SDs wide.
fn sigma_of_differences(diffs: &mut [f32]) -> f32 {
    median_f32(diffs) / (0.6745 * std::f32::consts::SQRT_2)
}

/// [`noise_sigma`] from differences `lag` samples apart, over the pairs whose samples are both
/// `usable`; `None` with fewer than `min_pairs` such pairs. White noise gives the same value
/// at any lag; noise correlated over a few samples shows its full size only at lags beyond
/// its correlation length, where first differences see a fraction of it.
pub fn noise_sigma_at_lag(
    values: &[f32],
    lag: usize,
    usable: &[bool],
    min_pairs: usize,
) -> Option<f32> {
    let mut diffs: Vec<f32> = (lag..values.len())
        .filter(|&i| usable[i] && usable[i - lag])
        .map(|i| (values[i] - values[i - lag]).abs())
        .collect();
    (diffs.len() >= min_pairs.max(1)).then(|| sigma_of_differences(&mut diffs))
}

/// The normalized cross-correlation of `a` with `b` moved `shift` samples left (`a[x]` against
/// `b[x + shift]`), over the samples both cover; 0 where either is all zeros there.
pub fn correlation_at_shift(a: &[f64], b: &[f64], shift: i64) -> f64 {
    let n = a.len().min(b.len()) as i64;
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for x in 0.max(-shift)..n.min(n - shift) {
        let (u, v) = (a[x as usize], b[(x + shift) as usize]);
        ab += u * v;
        aa += u * u;
        bb += v * v;
    }
    if aa > 0.0 && bb > 0.0 {
        ab / (aa * bb).sqrt()
    } else {
        0.0
    }
}

/// Gaussian smoothing of a 1-D profile with edges replicated.
pub fn gaussian_smooth(values: &[f32], sigma: f64) -> Vec<f32> {
    if sigma <= 0.0 || values.len() < 2 {
        return values.to_vec();
    }
    let reach = (3.0 * sigma).ceil() as i64;
    let kernel: Vec<f32> = (-reach..=reach)
        .map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let norm: f32 = kernel.iter().sum();
    let n = values.len() as i64;
    (0..n)
        .map(|i| {
            kernel
                .iter()
                .zip(-reach..=reach)
                .map(|(k, d)| k * values[(i + d).clamp(0, n - 1) as usize])
                .sum::<f32>()
                / norm
        })
        .collect()
}

/// Least-squares line through (x, y); returns (slope, intercept, max |residual|).
pub fn line_fit(points: &[(f64, f64)]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let intercept = my - slope * mx;
    let worst = points
        .iter()
        .map(|p| (p.1 - (slope * p.0 + intercept)).abs())
        .fold(0.0, f64::max);
    (slope, intercept, worst)
}

/// Arithmetic mean; NaN for no values, so callers check for emptiness first.
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Population standard deviation over the mean, of positive values (how evenly spaced a row
/// of spacings is); 0 for a single value, NaN for none.
pub fn coefficient_of_variation(values: &[f64]) -> f64 {
    let m = mean(values);
    let sd = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    sd / m
}

/// Sample standard deviation (n − 1); NaN for fewer than two values.
pub fn sample_sd(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return f64::NAN;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
}

/// Two-sided quantile of Student's t with `df` degrees of freedom at confidence `level`.
pub fn t_critical(df: f64, level: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(0.5 + level / 2.0),
        Err(_) => f64::NAN,
    }
}

/// Two-sided p-value of a t statistic.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        // The survival function directly: `1 − cdf` rounds to 0 once the cdf rounds to 1
        // (|t| beyond about 8), printing as p = 0. A p-value too small for a double is the
        // smallest one, never 0.
        Ok(dist) if t.is_finite() => (2.0 * dist.sf(t.abs())).clamp(f64::MIN_POSITIVE, 1.0),
        _ => f64::NAN,
    }
}

/// One-sample t-test of the mean against `mu`; `None` when it cannot be computed.
pub fn one_sample_t_test(values: &[f64], mu: f64) -> Option<f64> {
    let n = values.len() as f64;
    let sd = sample_sd(values);
    if values.len() < 2 || sd.is_nan() || sd <= 0.0 {
        return None;
    }
    let t = (mean(values) - mu) / (sd / n.sqrt());
    Some(t_two_sided_p(t, n - 1.0))
}

/// Welch's unequal-variance t-test; `None` when either group is too small or has no spread.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (va, vb) = (sample_sd(a).powi(2), sample_sd(b).powi(2));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let se2 = va / na + vb / nb;
    if se2.is_nan() || se2 <= 0.0 {
        return None;
    }
    let t = (mean(a) - mean(b)) / se2.sqrt();
    let df = se2.powi(2) / ((va / na).powi(2) / (na - 1.0) + (vb / nb).powi(2) / (nb - 1.0));
    Some(t_two_sided_p(t, df))
}

/// One-way ANOVA: (F statistic, p-value) for groups of observations; `None` when there are
/// fewer than two groups, no within-group degrees of freedom, or no within-group spread.
pub fn one_way_anova(groups: &[Vec<f64>]) -> Option<(f64, f64)> {
    let groups: Vec<&Vec<f64>> = groups.iter().filter(|g| !g.is_empty()).collect();
    let k = groups.len();
    let n: usize = groups.iter().map(|g| g.len()).sum();
    if k < 2 || n <= k {
        return None;
    }
    let grand = groups.iter().flat_map(|g| g.iter()).sum::<f64>() / n as f64;
    let between: f64 = groups
        .iter()
        .map(|g| g.len() as f64 * (mean(g) - grand).powi(2))
        .sum();
    let within: f64 = groups
        .iter()
        .map(|g| {
            let m = mean(g);
            g.iter().map(|v| (v - m).powi(2)).sum::<f64>()
        })
        .sum();
    if within.is_nan() || within <= 0.0 {
        return None;
    }
    let (df1, df2) = ((k - 1) as f64, (n - k) as f64);
    let f = (between / df1) / (within / df2);
    let dist = statrs::distribution::FisherSnedecor::new(df1, df2).ok()?;
    Some((f, 1.0 - dist.cdf(f)))
}

/// Benjamini–Hochberg adjusted p-values, in the order given.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running_min = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running_min = running_min.min(p_values[i] * m as f64 / (rank + 1) as f64);
        adjusted[i] = running_min;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    /// The median of many values of both signs (and both zeros) is the middle of the values
    /// sorted in `f32::total_cmp`'s order, as for few values.
    #[test]
    fn the_median_of_many_values_is_the_sorted_middle() {
        for n in [5usize, 63, 64, 65, 1001] {
            let values: Vec<f32> = (0..n)
                .map(|i| match i % 7 {
                    0 => -0.0,
                    1 => 0.0,
                    k => ((i * 7919) % 1013) as f32 * if k % 2 == 0 { -1.5 } else { 0.25 },
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f32::total_cmp);
            let median = super::median_f32(&mut values.clone());
            assert_eq!(median.to_bits(), sorted[n / 2].to_bits(), "{n} values");
        }
    }

    /// A profile against itself moved along matches only at the move: the correlation is 1
    /// there, and a half-period off a periodic profile it is -1.
    #[test]
    fn a_profile_correlates_with_itself_moved() {
        let wave: Vec<f64> = (0..200).map(|x| (x as f64 * 0.2).sin()).collect();
        let moved: Vec<f64> = (0..200).map(|x| ((x as f64 - 7.0) * 0.2).sin()).collect();
        assert!((super::correlation_at_shift(&wave, &moved, 7) - 1.0).abs() < 1e-9);
        let half_period = (std::f64::consts::PI / 0.2).round() as i64;
        assert!(super::correlation_at_shift(&wave, &moved, 7 + half_period) < -0.99);
        assert_eq!(super::correlation_at_shift(&wave, &[0.0; 200], 0), 0.0);
    }

    #[test]
    fn mirror_symmetric_indices_read_alike_from_either_end() {
        for len in [1usize, 2, 7, 128, 129, 297, 1000, 1001] {
            for max in [1usize, 5, 64, 128, 5000] {
                let indices = mirror_symmetric_indices(len, max);
                let mirrored: std::collections::BTreeSet<usize> =
                    indices.iter().map(|&i| len - 1 - i).collect();
                let set: std::collections::BTreeSet<usize> = indices.iter().copied().collect();
                assert_eq!(set, mirrored, "len {len} max {max}");
                assert!(indices.iter().all(|&i| i < len));
                // About `max` at most (one more where the middle pair splits), all of them
                // when `max` covers every value.
                assert!(
                    indices.len() <= max + 2,
                    "len {len} max {max}: {}",
                    indices.len()
                );
                if max >= len {
                    assert_eq!(indices.len(), len);
                }
            }
        }
    }

    #[test]
    fn a_p_value_far_in_the_tail_is_tiny_but_never_zero() {
        // 1 − cdf rounded these to exactly 0. For df = 10 the tail beyond t falls as t^-10,
        // so t = 1000 gives about 1e-26 (two-sided); t = 1e40 lies beyond any double.
        let p = t_two_sided_p(1000.0, 10.0);
        assert!(p > 1e-30 && p < 1e-20, "{p}");
        assert_eq!(t_two_sided_p(1e40, 10.0), f64::MIN_POSITIVE);
        assert!((t_two_sided_p(0.0, 10.0) - 1.0).abs() < 1e-12);
    }

    use super::*;

    #[test]
    fn order_statistics_are_the_sorted_values_at_their_ranks() {
        let mut values: Vec<f32> = (0..1001).map(|i| ((i * 7919) % 1001) as f32).collect();
        values.extend([5.0, 5.0, 5.0, -1.0]);
        let mut sorted = values.clone();
        sorted.sort_by(f32::total_cmp);
        let ranks = [0, 3, 5, 500, 500, 501, 1000, 1004];
        let expected: Vec<f32> = ranks.iter().map(|&r| sorted[r]).collect();
        assert_eq!(order_statistics_f32(&mut values, &ranks), expected);
    }

    /// A part of an image sampled by index gives the values its pixels copied out in reading
    /// order give, for samples that divide the part evenly and ones that do not.
    #[test]
    fn a_part_of_an_image_samples_as_its_pixels_copied_out() {
        let image = ndarray::Array2::from_shape_fn((37, 53), |(y, x)| (y * 53 + x) as f32);
        let part = image.slice(ndarray::s![3..30, 5..41]);
        let copied: Vec<f32> = part.iter().copied().collect();
        for max in [1, 7, 100, 972, 5000] {
            assert_eq!(
                sample_evenly_2d(part, max),
                sample_evenly(copied.iter(), max),
                "{max}"
            );
        }
    }

    #[test]
    fn t_quantile_matches_tables() {
        // scipy 1.17.1: stats.t.ppf(0.975, 2) = 4.302653, t.ppf(0.975, 10) = 2.228139
        assert!((t_critical(2.0, 0.95) - 4.302653).abs() < 1e-5);
        assert!((t_critical(10.0, 0.95) - 2.228139).abs() < 1e-5);
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // scipy 1.17.1: stats.ttest_ind([1,2,3,4], [3,5,7,9], equal_var=False): p = 0.066459
        let p = welch_t_test(&[1.0, 2.0, 3.0, 4.0], &[3.0, 5.0, 7.0, 9.0]).unwrap();
        assert!((p - 0.066459).abs() < 1e-5, "{p}");
        // scipy 1.17.1: stats.ttest_1samp([1.1, 0.9, 1.3], 0): p = 0.010840
        let p = one_sample_t_test(&[1.1, 0.9, 1.3], 0.0).unwrap();
        assert!((p - 0.010840).abs() < 1e-5, "{p}");
    }

    #[test]
    fn anova_and_bh_match_scipy() {
        // scipy 1.17.1 stats.f_oneway([1, 2, 3], [2, 3, 4], [5, 6, 8]):
        // F = 10.692307692307697, p = 0.010518015685796103
        let (f, p) = one_way_anova(&[
            vec![1.0, 2.0, 3.0],
            vec![2.0, 3.0, 4.0],
            vec![5.0, 6.0, 8.0],
        ])
        .unwrap();
        assert!((f - 10.692307692307697).abs() < 1e-9, "{f}");
        assert!((p - 0.010518015685796103).abs() < 1e-9, "{p}");
        // scipy 1.17.1 stats.false_discovery_control([0.01, 0.04, 0.03, 0.2]):
        // [0.04, 0.05333333, 0.05333333, 0.2]
        let adj = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.2]);
        let expected = [0.04, 0.0533333333, 0.0533333333, 0.2];
        for (a, e) in adj.iter().zip(expected) {
            assert!((a - e).abs() < 1e-9, "{adj:?}");
        }
    }

    #[test]
    fn noise_sigma_recovers_white_noise() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let normal = Normal::new(0.0f32, 5.0).unwrap();
        let v: Vec<f32> = (0..4000)
            .map(|i| (i as f32 * 0.01).sin() * 100.0 + normal.sample(&mut rng))
            .collect();
        assert!((noise_sigma(&v) - 5.0).abs() < 0.4);
    }

    /// White noise looks the same at any lag; noise averaged over 4 samples (SD 5 / √4 = 2.5)
    /// shows half its size to first differences (their SD is 5·√2 / 4) and all of it to
    /// differences 5 samples apart. Unusable samples are skipped; too few pairs give `None`.
    #[test]
    fn lagged_noise_sigma_sees_correlated_noise() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let normal = Normal::new(0.0f32, 5.0).unwrap();
        let white: Vec<f32> = (0..4003).map(|_| normal.sample(&mut rng)).collect();
        let all = vec![true; white.len()];
        let lagged = noise_sigma_at_lag(&white, 5, &all, 100).unwrap();
        assert!((lagged - 5.0).abs() < 0.4, "{lagged}");
        let v: Vec<f32> = white
            .windows(4)
            .map(|w| w.iter().sum::<f32>() / 4.0)
            .collect();
        assert!((noise_sigma(&v) - 1.25).abs() < 0.15, "{}", noise_sigma(&v));
        let lagged = noise_sigma_at_lag(&v, 5, &all[..v.len()], 100).unwrap();
        assert!((lagged - 2.5).abs() < 0.2, "{lagged}");
        // A step of 1000 in the skipped half does not reach the estimate.
        let mut stepped = v.clone();
        let usable: Vec<bool> = (0..v.len()).map(|i| i < 2000).collect();
        stepped[2000..].iter_mut().for_each(|x| *x += 1000.0);
        let lagged = noise_sigma_at_lag(&stepped, 5, &usable, 100).unwrap();
        assert!((lagged - 2.5).abs() < 0.25, "{lagged}");
        assert!(noise_sigma_at_lag(&v, 5, &usable, 3000).is_none());
    }
}
