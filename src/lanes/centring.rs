//! Lanes moved onto their own signal where the even grid misplaced them.

use ndarray::Array2;

use super::{Lane, LaneGrid, LANE_SDS};
use crate::params::PROFILE_CORE_FRACTION;
use crate::stats;

/// Lanes moved onto their own signal where the grid misplaced them. A lane's signal is its
/// cross-section taken along its centre line over the rows where it holds signal (each row
/// weighted by the square of the signal in the lane's core, so its bands count and empty
/// membrane does not). Its middle is the middle of the run around the cross-section's peak
/// (within a quarter pitch) at half the peak's height, where that run stands 5 noise SDs out,
/// ends inside the cross-section, and agrees with the run at a quarter of the height (a
/// symmetric band: the head of a comet-shaped smear is not its lane's middle), found from the
/// grid's place or from the middle that place first gave (see the body). In the column
/// profile a lane of one band is that band diluted by every row without it, beside
/// neighbours of many bands (a ladder), and an evenly spaced grid puts it where a hand-loaded
/// lane need not be.
///
/// A lane moves where its middle lies further from the grid's place than the grid's own
/// accuracy ([`GRID_ACCURACY_SHARE`] of the pitch): closer, the grid's place is as good; and
/// no further than [`MAX_SHIFT_SHARE`] of the pitch.
/// Where the grid itself does not stand out of the noise ([`LaneGrid::is_clear`]), its lanes
/// may lie on anything, and their middles on noise: a lane moves only more than
/// [`MISPLACED_SHARE`] of the pitch. Lanes placed on a row of bands are centred on their
/// bands already, and lanes between edge lines on their lines.
pub fn centre_on_signal(corrected: &Array2<f32>, mut grid: LaneGrid) -> LaneGrid {
    if grid.placed_in_two_dimensions() {
        return grid;
    }
    use rayon::prelude::*;
    let pitch = grid.pitch;
    let least_shift = if grid.is_clear() {
        GRID_ACCURACY_SHARE * pitch
    } else {
        MISPLACED_SHARE * pitch
    };
    // Each lane reads every row of the image: lanes are measured side by side.
    grid.lanes.par_iter_mut().for_each(|lane| {
        // Twice: the second time the core, which weighs the rows, lies on the lane. Where the
        // grid put the core off the lane, the first middle need not look symmetric (the rows
        // are weighed by what lies beside the lane); it is then a trial place only, kept where
        // the middle found from it is symmetric.
        let Some(first) = signal_middle(corrected, lane, pitch, Rows::BySignal) else {
            return;
        };
        let trial = lane.moved(first.offset);
        let second = signal_middle(corrected, &trial, pitch, Rows::BySignal);
        let moved = match second {
            Some(second) if second.symmetric => trial.moved(second.offset),
            _ if first.symmetric => trial,
            _ => return,
        };
        let shift = moved.x_center - lane.x_center;
        if shift.abs() <= least_shift || shift.abs() > MAX_SHIFT_SHARE * pitch {
            return;
        }
        // A blotch or smear beside or over the lane weighs its rows too and can draw the
        // middle onto itself (from the grid's place, the core may lie more on it than on the
        // lane): the lane moves only where its bands alone put their middle at the same place.
        let bands_agree = signal_middle(corrected, &moved, pitch, Rows::ByBands)
            .is_some_and(|m| m.symmetric && m.offset.abs() <= MISPLACED_SHARE * pitch);
        if bands_agree {
            lane.x_center = moved.x_center;
            lane.anchored = true;
        }
    });
    grid
}

/// A lane moves onto a middle at most this share of the pitch from its place. The middle is
/// found around a peak within a quarter pitch of the place, and the half-height middle of a
/// band whose peak lies near that limit (a lane loaded by hand about a quarter pitch off the
/// even grid) lies a little further; a middle beyond a third of the pitch is over two thirds of
/// the way to the gap beside the lane (half a pitch away) and may be a neighbour's band
/// reaching over or a mark between lanes.
const MAX_SHIFT_SHARE: f64 = 1.0 / 3.0;

/// A lane whose signal lies more than this share of the pitch from it was misplaced.
pub const MISPLACED_SHARE: f64 = 0.05;

/// How close an even grid that fits its lanes places them (lane centres on synthetic blots
/// lie within 2 % of the pitch): a lane whose middle lies closer stays at the grid's place,
/// which is as good.
const GRID_ACCURACY_SHARE: f64 = 0.02;

/// The middle of a lane's signal (see [`centre_on_signal`]).
struct SignalMiddle {
    /// From the lane's centre line to the middle of its run at half the peak's height.
    offset: f64,
    /// The run at a quarter of the height ends inside the section and has the same middle.
    symmetric: bool,
}

/// How the rows of a lane's cross-section are weighed.
#[derive(Clone, Copy, PartialEq)]
enum Rows {
    /// By the square of the signal in the lane's core.
    BySignal,
    /// By the square of what the core's signal stands above its median over a pitch of rows
    /// around the row: bands, shorter than a pitch along the lane, count; a blotch or smear
    /// that spans more does not.
    ByBands,
}

/// The middle of a lane's signal (see [`centre_on_signal`]); `None` where it is unclear.
fn signal_middle(
    corrected: &Array2<f32>,
    lane: &Lane,
    pitch: f64,
    rows: Rows,
) -> Option<SignalMiddle> {
    let width = corrected.ncols();
    let reach = (0.75 * pitch).round() as i64;
    let core = Lane {
        width: (PROFILE_CORE_FRACTION * lane.width).max(1.0),
        ..*lane
    };
    let mut section = vec![0f64; (2 * reach + 1) as usize];
    let mut total = 0.0;
    // The section is sampled at whole columns around the rounded centre line: how far that
    // lies left of the line, on average over the weighted rows.
    let mut rounding = 0.0;
    let core_means: Vec<f64> = corrected
        .rows()
        .into_iter()
        .enumerate()
        .map(|(y, row)| {
            let (start, end) = core.columns_at(y as f64, width);
            row.slice(ndarray::s![start..end]).sum() as f64 / (end - start).max(1) as f64
        })
        .collect();
    let floor = match rows {
        Rows::BySignal => vec![0.0; core_means.len()],
        Rows::ByBands => {
            let half = (0.5 * pitch).round() as usize;
            (0..core_means.len())
                .map(|y| {
                    let around =
                        &core_means[y.saturating_sub(half)..(y + half + 1).min(core_means.len())];
                    stats::median(around).max(0.0)
                })
                .collect()
        }
    };
    for (y, row) in corrected.rows().into_iter().enumerate() {
        let weight = (core_means[y] - floor[y]).max(0.0).powi(2);
        if weight == 0.0 {
            continue;
        }
        total += weight;
        let line = lane.x_at(y as f64);
        rounding += weight * (line - line.round());
        // The section's columns `centre - reach ..= centre + reach` that lie in the image.
        let centre = line.round() as i64;
        let first = (centre - reach).clamp(0, width as i64);
        let last = (centre + reach + 1).clamp(0, width as i64);
        if first < last {
            let offset = (first - (centre - reach)) as usize;
            let columns = row.slice(ndarray::s![first as usize..last as usize]);
            for (s, &v) in section[offset..].iter_mut().zip(columns) {
                *s += weight * f64::from(v);
            }
        }
    }
    if total <= 0.0 {
        return None;
    }
    let section: Vec<f32> = section.iter().map(|s| (s / total) as f32).collect();
    let noise = f64::from(stats::noise_sigma(&section)).max(1e-9);
    let quarter = (pitch / 4.0).floor() as i64;
    let peak = ((reach - quarter).max(0)..=(reach + quarter).min(2 * reach))
        .map(|i| i as usize)
        .max_by(|&a, &b| section[a].total_cmp(&section[b]))?;
    let low = section.iter().copied().fold(f32::INFINITY, f32::min);
    if f64::from(section[peak] - low) < LANE_SDS * noise {
        return None;
    }
    // The middle of the run around the peak above `share` of its height, between columns
    // (linear interpolation at the crossings); column i is offset i − reach from the rounded
    // centre line.
    let run_middle = |share: f32| -> Option<f64> {
        let level = low + share * (section[peak] - low);
        let left = (0..=peak)
            .rev()
            .take_while(|&i| section[i] >= level)
            .last()?;
        let right = (peak..section.len())
            .take_while(|&i| section[i] >= level)
            .last()?;
        if left == 0 || right == section.len() - 1 {
            return None;
        }
        let crossing = |below: usize, above: usize| {
            let (b, a) = (section[below], section[above]);
            below as f64 + (above as f64 - below as f64) * f64::from((level - b) / (a - b))
        };
        Some(0.5 * (crossing(left - 1, left) + crossing(right + 1, right)))
    };
    let half = run_middle(0.5)?;
    let symmetric =
        run_middle(0.25).is_some_and(|foot| (half - foot).abs() <= MISPLACED_SHARE * pitch);
    Some(SignalMiddle {
        offset: half - reach as f64 - rounding / total,
        symmetric,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::*;

    /// Four upright lanes 30 px wide on an even grid 60 px apart from x 50, in 200 rows: ladders
    /// (bands every 16 rows) in lanes 1, 3 and 4 at their grid positions, and in lane 2 one
    /// band across rows 90–99 whose columns hold `band(x)` (zero elsewhere).
    fn grid_with_one_band_lane(band: impl Fn(usize) -> f32) -> (Array2<f32>, LaneGrid) {
        let ladders = [50.0, 170.0, 230.0];
        let image = Array2::from_shape_fn((200, 280), |(y, x)| {
            let on_ladder = ladders
                .iter()
                .any(|&c| (x as f64 - c).abs() <= 15.0 && y % 16 < 8);
            if on_ladder {
                100.0
            } else if (90..100).contains(&y) {
                band(x)
            } else {
                0.0
            }
        });
        let lanes = [50.0, 110.0, 170.0, 230.0]
            .iter()
            .enumerate()
            .map(|(i, &c)| Lane::upright(i + 1, c, 30.0, false))
            .collect();
        let grid = grid_of(lanes, 60.0, &image);
        (image, grid)
    }

    /// A band's cross-section: a Gaussian of SD 12 px around `centre`, 100 high.
    fn gaussian_band(centre: f32) -> impl Fn(usize) -> f32 {
        move |x| {
            let u = (x as f32 - centre) / 12.0;
            100.0 * (-0.5 * u * u).exp()
        }
    }

    #[test]
    fn a_lane_off_the_even_grid_is_moved_onto_its_band() {
        // Lane 2 was loaded 12 px right of the even grid (a fifth of the pitch), or 17 px
        // (0.28 of the pitch: over a quarter, within a third).
        for band in [122.0, 127.0] {
            let (image, grid) = grid_with_one_band_lane(gaussian_band(band as f32));
            let centred = centre_on_signal(&image, grid);
            let found: Vec<f64> = centred.lanes.iter().map(|l| l.x_center).collect();
            assert!((found[1] - band).abs() <= 0.5, "{found:?}");
            assert_eq!([found[0], found[2], found[3]], [50.0, 170.0, 230.0]);
        }
    }

    #[test]
    fn a_lane_whose_grid_place_weighs_a_blotch_beside_it_is_still_moved_onto_its_band() {
        // Lane 2's band lies 13 px right of the grid's place, and a blotch fills the gap to its
        // left (x 68–105, rows 20–69) and reaches into the core the grid puts there: weighed
        // from the grid's place, the blotch's rows make the lane's cross-section lopsided.
        let (mut image, grid) = grid_with_one_band_lane(gaussian_band(123.0));
        image
            .slice_mut(ndarray::s![20..70, 68..106])
            .mapv_inplace(|v| v + 60.0);
        let first = signal_middle(&image, &grid.lanes[1], grid.pitch, Rows::BySignal).unwrap();
        assert!(!first.symmetric, "the blotch no longer tests the case");
        let centred = centre_on_signal(&image, grid);
        assert!(
            (centred.lanes[1].x_center - 123.0).abs() <= 0.5,
            "{:?}",
            centred.lanes[1]
        );
    }

    #[test]
    fn a_blotch_over_the_gap_does_not_draw_a_lane_onto_itself() {
        // Lane 2's band lies 13 px right of the grid's place; a blotch (SD 15 px across, 40
        // rows down, centred at x 100, row 60) lies over the gap to its left and the lane's
        // left half, taller than a pitch and far stronger than the band. Weighed by the core's signal, the
        // blotch's rows put the lane's middle on the blotch.
        let (mut image, grid) = grid_with_one_band_lane(gaussian_band(123.0));
        for ((y, x), v) in image.indexed_iter_mut() {
            let (u, w) = ((x as f32 - 100.0) / 15.0, (y as f32 - 60.0) / 40.0);
            *v += 100.0 * (-0.5 * (u * u + w * w)).exp();
        }
        let on_signal = signal_middle(&image, &grid.lanes[1], grid.pitch, Rows::BySignal);
        assert!(
            on_signal.is_some_and(|m| m.symmetric && m.offset < -5.0),
            "the blotch no longer tests the case"
        );
        let centred = centre_on_signal(&image, grid);
        assert!(centred.lanes[1].x_center >= 110.0, "{:?}", centred.lanes[1]);
    }

    #[test]
    fn a_comet_shaped_band_does_not_move_its_lane() {
        // A dark head at x 112–123 (its middle 7.5 px right of the lane's) and a tail at 40 %
        // of its strength to x 150: the head is not the lane's middle.
        let (image, grid) = grid_with_one_band_lane(|x| match x {
            112..=123 => 100.0,
            124..=150 => 40.0,
            _ => 0.0,
        });
        let centred = centre_on_signal(&image, grid);
        assert_eq!(centred.lanes[1].x_center, 110.0);
    }

    #[test]
    fn a_clear_band_a_little_off_the_even_grid_moves_its_lane() {
        // Lane 2 was loaded 2 px right of the even grid (a thirtieth of the pitch, less than
        // the twentieth a lane once had to be off before it moved).
        let (image, grid) = grid_with_one_band_lane(gaussian_band(112.0));
        let centred = centre_on_signal(&image, grid);
        assert!(
            (centred.lanes[1].x_center - 112.0).abs() <= 0.3,
            "{:?}",
            centred.lanes[1]
        );
    }

    #[test]
    fn on_a_grid_lost_in_the_noise_a_lane_moves_only_where_clearly_misplaced() {
        // The same lane 2 px off, on a grid whose lanes do not stand out of the noise: its
        // middle may be noise's, and 2 px is within what the grid's place may be off.
        let (image, mut grid) = grid_with_one_band_lane(gaussian_band(112.0));
        grid.confidence = 0.5 * LANE_SDS;
        let centred = centre_on_signal(&image, grid);
        assert_eq!(centred.lanes[1].x_center, 110.0);
    }

    #[test]
    fn a_lane_of_noise_stays_at_its_grid_place() {
        // Lane 2 holds nothing but the noise that lies over the whole image.
        let (clean, grid) = grid_with_one_band_lane(|_| 0.0);
        let mut state = 7u64;
        let noisy = clean.mapv(|v| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            v + ((state >> 40) % 21) as f32 - 10.0
        });
        let centred = centre_on_signal(&noisy, grid);
        assert_eq!(centred.lanes[1].x_center, 110.0);
    }
}
