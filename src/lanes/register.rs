//! The lanes of the images of one membrane, carried over between them.

use super::LaneGrid;
use crate::stats;

/// Registers the lane grids of the images of one membrane (same size, same lane count): a lane
/// whose centre its own image could not measure (a faint or empty lane in that image), or
/// measured where at least two other images disagree by more than 4 % of the pitch (2 px at
/// least), takes the centre the other images measured for it, moved by the shift between the
/// captures (the median offset of the lanes both measured). Images of other sizes or counts
/// are left alone.
pub fn register(grids: &mut [&mut LaneGrid], widths: &[usize]) {
    let n = grids.len();
    // Grids of other pitches are not one layout: no shift between them can be read off their
    // lanes (see [`adopt_peer_layout`]).
    let same_membrane = |a: usize, b: usize| {
        one_membrane(grids, widths, a, b) && pitches_agree(grids[a].pitch, grids[b].pitch)
    };
    // shift[a][b]: how far image a's lanes lie right of image b's.
    let mut shift = vec![vec![None; n]; n];
    for a in 0..n {
        for b in 0..n {
            if a == b || !same_membrane(a, b) {
                continue;
            }
            let offsets: Vec<f64> = grids[a]
                .lanes
                .iter()
                .zip(&grids[b].lanes)
                .filter(|(la, lb)| la.anchored && lb.anchored)
                .map(|(la, lb)| la.x_center - lb.x_center)
                .collect();
            if offsets.len() >= 2 {
                shift[a][b] = Some(stats::median(&offsets));
            }
        }
    }
    // Lanes a person stated stay as stated; they still lend their places to other images.
    let grids_stated: Vec<bool> = grids.iter().map(|g| g.stated).collect();
    let measured: Vec<Vec<(f64, bool)>> = grids
        .iter()
        .map(|g| g.lanes.iter().map(|l| (l.x_center, l.anchored)).collect())
        .collect();
    for a in 0..n {
        let pitch = grids[a].pitch;
        for (i, lane) in grids[a].lanes.iter_mut().enumerate() {
            let carried: Vec<f64> = (0..n)
                .filter(|&b| b != a)
                .filter_map(|b| {
                    let (x, anchored) = *measured[b].get(i)?;
                    (anchored).then_some(x + shift[a][b]?)
                })
                .collect();
            if carried.is_empty() {
                continue;
            }
            let consensus = stats::median(&carried);
            // A measured centre that two or more other images contradict (a speck or a
            // blotch edge moved its half-maximum edges) gives way to theirs.
            let contradicted =
                carried.len() >= 2 && (lane.x_center - consensus).abs() > (0.04 * pitch).max(2.0);
            if !grids_stated[a] && (!lane.anchored || contradicted) {
                lane.x_center = consensus;
                lane.anchored = false;
            }
        }
    }
}

/// Two grids' pitches that differ by more than this share of the smaller one are not the
/// same layout. Captures of one membrane share their pitch to a pixel or two; a grid fitted
/// at half or twice the pitch (crowded bands read as lanes) is 50 % or 100 % off.
const PITCH_AGREEMENT: f64 = 0.1;

/// Images `a` and `b` hold one membrane's lanes: same width, same lane count.
fn one_membrane(grids: &[&mut LaneGrid], widths: &[usize], a: usize, b: usize) -> bool {
    widths[a] == widths[b] && grids[a].lanes.len() == grids[b].lanes.len()
}

fn pitches_agree(a: f64, b: f64) -> bool {
    (a - b).abs() <= PITCH_AGREEMENT * a.min(b)
}

/// An image of one membrane (same width and lane count) whose grid's pitch disagrees with
/// that of at least two other images, which agree with each other, was fitted at the wrong
/// pitch: it takes their layout (each lane at the median of their centres, their lane width
/// and pitch), moved by the shift between the captures, read off the column profiles (the
/// offset, within half a pitch, at which the image's profile best matches theirs). Its lanes
/// are no longer anchored on its own edges. Stated lanes are neither changed nor lent.
/// Returns the images given their peers' layout.
pub fn adopt_peer_layout(grids: &mut [&mut LaneGrid], widths: &[usize]) -> Vec<usize> {
    let n = grids.len();
    // Each column profile about its mean, to match shapes whatever the images' levels.
    let centred: Vec<Vec<f64>> = grids
        .iter()
        .map(|g| {
            let mean = g.profile.iter().map(|&v| f64::from(v)).sum::<f64>()
                / g.profile.len().max(1) as f64;
            g.profile.iter().map(|&v| f64::from(v) - mean).collect()
        })
        .collect();
    let mut adopted = Vec::new();
    for a in 0..n {
        if grids[a].stated {
            continue;
        }
        let peers: Vec<usize> = (0..n)
            .filter(|&b| b != a && !grids[b].stated && one_membrane(grids, widths, a, b))
            .collect();
        let pitches: Vec<f64> = peers.iter().map(|&b| grids[b].pitch).collect();
        let pitch = stats::median(&pitches);
        let peers_agree = peers.len() >= 2 && pitches.iter().all(|&p| pitches_agree(p, pitch));
        if !peers_agree || pitches_agree(grids[a].pitch, pitch) {
            continue;
        }
        let reach = (pitch / 2.0).floor() as i64;
        let shift = (-reach..=reach)
            .map(|s| {
                let scores: Vec<f64> = peers
                    .iter()
                    // The image's profile at x against a peer's at x - s.
                    .map(|&b| stats::correlation_at_shift(&centred[a], &centred[b], -s))
                    .collect();
                (s, stats::median(&scores))
            })
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .map_or(0.0, |(s, _)| s as f64);
        let layout: Vec<(f64, f64)> = (0..grids[a].lanes.len())
            .map(|i| {
                let centres: Vec<f64> = peers.iter().map(|&b| grids[b].lanes[i].x_center).collect();
                let widths: Vec<f64> = peers.iter().map(|&b| grids[b].lanes[i].width).collect();
                (stats::median(&centres), stats::median(&widths))
            })
            .collect();
        adopted.push((a, pitch, shift, layout));
    }
    // Changed only once all are judged, so each image is judged against the others as found.
    for (a, pitch, shift, layout) in &adopted {
        let grid = &mut grids[*a];
        for (lane, &(centre, width)) in grid.lanes.iter_mut().zip(layout) {
            *lane = super::Lane {
                x_center: centre + shift,
                width,
                anchored: false,
                slope: 0.0,
                reference_row: 0.0,
                ..*lane
            };
        }
        grid.pitch = *pitch;
        grid.beyond = [None, None];
    }
    adopted.into_iter().map(|(a, ..)| a).collect()
}

/// Lanes that lie within this share of a pitch of a whole number of pitches off the other
/// images' are that many lanes off.
const WHOLE_PITCH_TOLERANCE: f64 = 0.25;

/// An image of one membrane whose lanes sit a whole pitch off the others' was more likely
/// counted a lane off than captured a lane apart (captures of one membrane move a few
/// pixels): a lane empty at one end (a ladder that shows only in white light, a sample with
/// nothing of the target) leaves an evenly spaced grid of the stated count free to put its
/// spare lane at either end. Moves the lanes of an image of one membrane (same size, same lane count, at least three
/// images) that lie a whole number of pitches off the other images' (within
/// [`WHOLE_PITCH_TOLERANCE`] of a pitch, measured against the median lane centres of all
/// of them) onto theirs, where its lanes stay inside the image. Returns each image moved
/// with the lanes it moved by (positive: right). Stated lanes are neither moved nor used.
pub fn lanes_a_pitch_off(
    grids: &mut [&mut LaneGrid],
    sizes: &[(usize, usize)],
) -> Vec<(usize, i64)> {
    let n = grids.len();
    let mut moved = Vec::new();
    for a in 0..n {
        let group: Vec<usize> = (0..n)
            .filter(|&b| {
                !grids[b].stated
                    && sizes[b] == sizes[a]
                    && grids[b].lanes.len() == grids[a].lanes.len()
            })
            .collect();
        if grids[a].stated || group.len() < 3 {
            continue;
        }
        let middle = sizes[a].1 as f64 / 2.0;
        let lanes = grids[a].lanes.len();
        let reference: Vec<f64> = (0..lanes)
            .map(|i| {
                let xs: Vec<f64> = group
                    .iter()
                    .map(|&b| grids[b].lanes[i].x_at(middle))
                    .collect();
                stats::median(&xs)
            })
            .collect();
        let offsets: Vec<f64> = grids[a]
            .lanes
            .iter()
            .zip(&reference)
            .map(|(lane, r)| lane.x_at(middle) - r)
            .collect();
        let pitch = grids[a].pitch;
        let off = stats::median(&offsets) / pitch;
        let whole = off.round();
        if whole == 0.0 || (off - whole).abs() > WHOLE_PITCH_TOLERANCE {
            continue;
        }
        let by = -whole * pitch;
        let width = sizes[a].0 as f64;
        let fits = grids[a]
            .lanes
            .iter()
            .all(|lane| (0.0..width).contains(&(lane.x_at(middle) + by)));
        if fits {
            moved.push((a, -whole as i64));
        }
    }
    // Moved only once all are judged, so each image is judged against the others as found.
    for &(a, lanes) in &moved {
        let by = lanes as f64 * grids[a].pitch;
        grids[a].move_sideways(by);
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column profile of 9 lanes 50 px apart, the first at `first` px, 500 px wide.
    fn profile(first: f64) -> Vec<f32> {
        (0..500)
            .map(|x| {
                (0..9)
                    .map(|i| {
                        let d = (x as f64 - first - 50.0 * i as f64) / 8.0;
                        (100.0 * (-0.5 * d * d).exp()) as f32
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn an_image_fitted_at_half_the_pitch_takes_its_peers_lanes_moved_by_its_shift() {
        let mut peers: Vec<LaneGrid> = [40.0, 41.0, 39.0]
            .iter()
            .map(|&first| crate::lanes::fit_profile(&profile(first), 9, 8.0).unwrap())
            .collect();
        // The fourth capture lies 7 px right of the first; its grid was fitted at half the
        // pitch, all nine lanes crowded onto the middle of the blot.
        let mut odd = crate::lanes::fit_profile(&profile(47.0), 9, 8.0).unwrap();
        for (i, lane) in odd.lanes.iter_mut().enumerate() {
            lane.x_center = 150.0 + 25.0 * i as f64;
        }
        odd.pitch = 25.0;
        let mut grids: Vec<&mut LaneGrid> = peers.iter_mut().collect();
        grids.push(&mut odd);
        let adopted = adopt_peer_layout(&mut grids, &[500; 4]);
        assert_eq!(adopted, vec![3]);
        for (i, lane) in odd.lanes.iter().enumerate() {
            let truth = 47.0 + 50.0 * i as f64;
            assert!(
                (lane.x_center - truth).abs() <= 1.5,
                "lane {i}: {}",
                lane.x_center
            );
            assert!(!lane.anchored);
        }
        assert!((odd.pitch - 50.0).abs() < 1.0, "{}", odd.pitch);
        // Images that agree are left as they are.
        let before: Vec<f64> = peers.iter().map(|g| g.lanes[0].x_center).collect();
        let mut grids: Vec<&mut LaneGrid> = peers.iter_mut().collect();
        assert!(adopt_peer_layout(&mut grids, &[500; 3]).is_empty());
        let after: Vec<f64> = peers.iter().map(|g| g.lanes[0].x_center).collect();
        assert_eq!(before, after);
    }
}
