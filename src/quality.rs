//! A verdict per experiment on how far its numbers can be trusted, read off its own tables:
//! `unreliable` where a fold change cannot mean what it says (no control mean, lanes that are
//! guesses, a target measured nowhere above its limit of detection), `check` where values
//! carry flags or lanes were placed in a way a person should look at, `ok` otherwise. Each
//! verdict comes with its reasons, so a pipeline can act on it and a person can see why.

use crate::quant::{Flag, FoldChangeRow};
use crate::results::{DetectionRow, Quality, Verdict};

/// Detection reasons that ask a person to look at the overlay. (Faint lanes are not among
/// them: a target absent from some conditions leaves its lanes faint on a correct grid.)
const REASONS_TO_CHECK: [&str; 5] = [
    "lane-beyond-grid",
    "on-band-row",
    "beyond-profile",
    "between-edge-lines",
    "count-ambiguous",
];

/// The flags that make a value one to check, with how the reasons name them.
const FLAGS_TO_CHECK: [(Flag, &str); 14] = [
    (Flag::Saturated, "saturated"),
    (Flag::NormalizerSaturated, "loading control saturated"),
    (Flag::BelowLod, "below the limit of detection"),
    (Flag::BelowBackground, "below background"),
    (Flag::Hole, "with a hole in the band"),
    (
        Flag::NormalizerHole,
        "with a hole in the loading control's band",
    ),
    (Flag::NormalizerOutlier, "with an outlying loading control"),
    (
        Flag::Edge,
        "with a box, or a strip lane's highest signal, at the image's edge",
    ),
    (Flag::NotDetected, "not measured"),
    (
        Flag::WholeStrip,
        "measured over the whole strip (no band row)",
    ),
    (
        Flag::BackgroundUncertain,
        "whose two background estimates disagree by over a quarter of the signal",
    ),
    (
        Flag::ControlUncertain,
        "resting on a control mean in doubt (a control lane's background or loading control uncertain, its value under the limit of quantification or below its background, or its band or loading control saturated)",
    ),
    (
        Flag::NormalizerUncertain,
        "whose loading control's background is uncertain",
    ),
    (Flag::Speck, "with specks replaced in the band"),
];

/// The verdict on one experiment from its fold-change rows and its images' detection rows.
pub fn judge(fold_change: &[FoldChangeRow], detection: &[DetectionRow]) -> Quality {
    let mut unreliable = Vec::new();
    let mut check = Vec::new();
    for row in detection {
        let reasons: Vec<&str> = row.reasons.split(';').collect();
        if reasons.contains(&"low-contrast") {
            unreliable.push(format!(
                "{}: the lanes hardly stand out of the background and the image's bands do not place them either (low-contrast): their places are guesses",
                row.image
            ));
        }
        let to_check: Vec<&str> = REASONS_TO_CHECK
            .into_iter()
            .filter(|r| reasons.contains(r))
            .collect();
        if !to_check.is_empty() {
            check.push(format!(
                "{}: check the lanes on the overlay ({})",
                row.image,
                to_check.join(", ")
            ));
        }
        // A faint band in such a file is a few codes, and its volume moves with them: on
        // synthetic 16-bit blots stored as 8-bit JPEG, single values came out 25-35 % off
        // with no flag of their own.
        if let Some(storage) = row.storage {
            check.push(format!(
                "{}: {}: band volumes are not the imager's counts",
                row.image,
                storage.describe()
            ));
        }
    }
    let mut targets: Vec<&str> = fold_change.iter().map(|r| r.target.as_str()).collect();
    targets.dedup();
    for target in targets {
        let rows: Vec<&FoldChangeRow> = fold_change.iter().filter(|r| r.target == target).collect();
        if rows
            .iter()
            .any(|r| r.flags.contains(Flag::ControlNotDetected))
        {
            unreliable.push(format!(
                "{target}: the control lanes give no usable mean, so no fold change"
            ));
        }
        let measured = |r: &FoldChangeRow| {
            !r.flags.contains(Flag::BelowLod) && !r.flags.contains(Flag::NotDetected)
        };
        if !rows.is_empty() && !rows.iter().any(|r| measured(r)) {
            unreliable.push(format!(
                "{target}: no lane holds a band above the limit of detection"
            ));
        }
        for (flag, words) in FLAGS_TO_CHECK {
            let lanes: Vec<String> = rows
                .iter()
                .filter(|r| r.flags.contains(flag))
                .map(|r| r.lane.to_string())
                .collect();
            if !lanes.is_empty() {
                check.push(format!("{target}: lane(s) {} {words}", lanes.join(", ")));
            }
        }
    }
    let verdict = if !unreliable.is_empty() {
        Verdict::Unreliable
    } else if !check.is_empty() {
        Verdict::Check
    } else {
        Verdict::Ok
    };
    unreliable.extend(check);
    Quality {
        verdict,
        reasons: unreliable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::Flags;

    fn row(lane: usize, condition: &str, flags: Vec<Flag>) -> FoldChangeRow {
        FoldChangeRow {
            experiment: "e".into(),
            target: "T".into(),
            lane,
            condition: condition.into(),
            sample: String::new(),
            signal: Some(1.0),
            normalizer: String::new(),
            normalizer_signal: None,
            normalized: Some(1.0),
            fold_change: Some(1.0),
            log2_fold_change: Some(0.0),
            flags: Flags(flags),
        }
    }

    #[test]
    fn unflagged_rows_are_ok_and_each_finding_raises_the_verdict() {
        let clean = [row(1, "c", vec![]), row(2, "t", vec![])];
        assert_eq!(judge(&clean, &[]).verdict, Verdict::Ok);
        let saturated = [row(1, "c", vec![]), row(2, "t", vec![Flag::Saturated])];
        let quality = judge(&saturated, &[]);
        assert_eq!(quality.verdict, Verdict::Check);
        assert_eq!(quality.reasons, ["T: lane(s) 2 saturated"]);
        let no_control = [
            row(1, "c", vec![Flag::ControlNotDetected]),
            row(2, "t", vec![Flag::ControlNotDetected, Flag::Saturated]),
        ];
        let quality = judge(&no_control, &[]);
        assert_eq!(quality.verdict, Verdict::Unreliable);
        assert!(quality.reasons[0].contains("no usable mean"), "{quality:?}");
        let guessed = DetectionRow {
            experiment: "e".into(),
            image: "i.tif".into(),
            lanes: 2,
            pitch_px: 40.0,
            confidence: 2.0,
            reasons: "low-contrast;faint-lanes".into(),
            width_px: 100,
            height_px: 50,
            acquisition: None,
            polarity: None,
            polarity_source: None,
            storage: None,
        };
        assert_eq!(
            judge(&clean, std::slice::from_ref(&guessed)).verdict,
            Verdict::Unreliable
        );
        // A count the column profile reads two ways is one to check on the overlay.
        let ambiguous = DetectionRow {
            confidence: 12.0,
            reasons: "count-estimated;count-ambiguous".into(),
            ..guessed
        };
        let quality = judge(&clean, std::slice::from_ref(&ambiguous));
        assert_eq!(quality.verdict, Verdict::Check);
        assert!(
            quality.reasons[0].contains("count-ambiguous"),
            "{quality:?}"
        );
        // Lanes and values all clear, but read from a JPEG: one to check.
        let lossy = DetectionRow {
            confidence: 12.0,
            reasons: String::new(),
            storage: Some(crate::io::Storage::Lossy),
            ..ambiguous
        };
        let quality = judge(&clean, std::slice::from_ref(&lossy));
        assert_eq!(quality.verdict, Verdict::Check);
        assert_eq!(
            quality.reasons,
            ["i.tif: stored lossy (JPEG): band volumes are not the imager's counts"]
        );
    }
}
