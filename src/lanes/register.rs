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
