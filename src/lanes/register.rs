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
    let same_membrane =
        |a: usize, b: usize| widths[a] == widths[b] && grids[a].lanes.len() == grids[b].lanes.len();
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
