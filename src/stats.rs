//! Small numeric helpers: robust location and scale, smoothing, and the t-based statistics the
//! summary table needs (distribution functions come from `statrs`).

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Median of a slice (reorders it). NaN-free input expected; empty gives 0.
pub fn median_f32(values: &mut [f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mid = values.len() / 2;
    let (_, m, _) = values.select_nth_unstable_by(mid, f32::total_cmp);
    *m
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
    let mut diffs: Vec<f32> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    median_f32(&mut diffs) / (0.6745 * std::f32::consts::SQRT_2)
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

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
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
        Ok(dist) if t.is_finite() => 2.0 * (1.0 - dist.cdf(t.abs())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantile_matches_tables() {
        // scipy.stats.t.ppf(0.975, 2) = 4.302653, t.ppf(0.975, 10) = 2.228139
        assert!((t_critical(2.0, 0.95) - 4.302653).abs() < 1e-5);
        assert!((t_critical(10.0, 0.95) - 2.228139).abs() < 1e-5);
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // scipy.stats.ttest_ind([1,2,3,4], [3,5,7,9], equal_var=False): p = 0.066459
        let p = welch_t_test(&[1.0, 2.0, 3.0, 4.0], &[3.0, 5.0, 7.0, 9.0]).unwrap();
        assert!((p - 0.066459).abs() < 1e-5, "{p}");
        // scipy.stats.ttest_1samp([1.1, 0.9, 1.3], 0): p = 0.010840
        let p = one_sample_t_test(&[1.1, 0.9, 1.3], 0.0).unwrap();
        assert!((p - 0.010840).abs() < 1e-5, "{p}");
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
}
