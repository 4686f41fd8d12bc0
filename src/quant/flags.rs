//! The QC flags of the tables: a fixed vocabulary (DESIGN.md §4), each flag written as one
//! kebab-case word, a row's flags joined by `;` in the CSVs and in `results.json`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One QC flag on a band, a lane × target or a summary row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// Pixels of the band at the detector's ceiling.
    Saturated,
    /// Pixels of the loading control's band at the detector's ceiling.
    NormalizerSaturated,
    /// No band could be measured in the lane.
    NotDetected,
    /// No loading-control band could be measured in the lane, or it lies below the limit of
    /// detection: the lane is not normalized.
    NormalizerNotDetected,
    /// The control lanes give no usable mean, so no fold change can be formed.
    ControlNotDetected,
    /// The band's peak stands under the limit of quantification (in noise SDs).
    LowSnr,
    /// The signal lies outside the target's `quant.linear_range`.
    OutsideLinearRange,
    /// The loading control lies more than `normalizer_outlier_fraction` from the blot median.
    NormalizerOutlier,
    /// The band's box touches the image's top or bottom edge; on a strip measured whole
    /// (`WholeStrip`), the lane's signal stands highest on the strip's top or bottom row (a
    /// band cut off by the crop, or another band's tail running in).
    Edge,
    /// Part of the band is missing where the target's other bands have signal.
    Hole,
    /// Part of the loading control's band is missing.
    NormalizerHole,
    /// A summary row's lane with no usable fold change.
    NotQuantified,
    /// No band rose above the limit of detection: the value was measured at the target's row
    /// with the target's box all the same.
    BelowLod,
    /// The adjusted volume is negative (less signal than background): kept in the tables, left
    /// out of log2 statistics.
    BelowBackground,
    /// No band row: the image is a strip as tall as its band, measured lane by lane over the
    /// whole strip with the background from the gaps beside each lane.
    WholeStrip,
    /// A summary row with fewer than two replicates: no spread, no test.
    NBelow2,
    /// Two independent background estimates of the band (the configured method and a second
    /// one) disagree by more than a quarter of its adjusted volume: the value depends on
    /// which one is right. Beside a neighbour whose tail the border takes out, the border
    /// with that side left out is a second estimate too.
    BackgroundUncertain,
    /// A control lane in the control mean of the target has `background-uncertain` or
    /// `normalizer-uncertain`, lies under its limit of quantification (`below-lod`,
    /// `low-snr`) or below its background, or is saturated (`saturated`,
    /// `normalizer-saturated`): every fold change of the target on this blot rests on that
    /// mean. (Where there is no usable mean, `control-not-detected` instead.)
    ControlUncertain,
    /// The lane's loading-control band has `background-uncertain`: the lane's normalized
    /// value rests on it.
    NormalizerUncertain,
    /// Specks (dust, hot pixels) replaced inside the band's box changed its volume by more
    /// than a small share: the value is right if they were specks, not if they were signal.
    Speck,
}

impl Flag {
    /// Every flag, for parsing.
    const ALL: [Flag; 20] = [
        Flag::Saturated,
        Flag::NormalizerSaturated,
        Flag::NotDetected,
        Flag::NormalizerNotDetected,
        Flag::ControlNotDetected,
        Flag::LowSnr,
        Flag::OutsideLinearRange,
        Flag::NormalizerOutlier,
        Flag::Edge,
        Flag::Hole,
        Flag::NormalizerHole,
        Flag::NotQuantified,
        Flag::BelowLod,
        Flag::BelowBackground,
        Flag::WholeStrip,
        Flag::NBelow2,
        Flag::BackgroundUncertain,
        Flag::ControlUncertain,
        Flag::NormalizerUncertain,
        Flag::Speck,
    ];

    /// The flag as the tables write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Saturated => "saturated",
            Flag::NormalizerSaturated => "normalizer-saturated",
            Flag::NotDetected => "not-detected",
            Flag::NormalizerNotDetected => "normalizer-not-detected",
            Flag::ControlNotDetected => "control-not-detected",
            Flag::LowSnr => "low-snr",
            Flag::OutsideLinearRange => "outside-linear-range",
            Flag::NormalizerOutlier => "normalizer-outlier",
            Flag::Edge => "edge",
            Flag::Hole => "hole",
            Flag::NormalizerHole => "normalizer-hole",
            Flag::NotQuantified => "not-quantified",
            Flag::BelowLod => "below-lod",
            Flag::BelowBackground => "below-background",
            Flag::WholeStrip => "whole-strip",
            Flag::NBelow2 => "n-below-2",
            Flag::BackgroundUncertain => "background-uncertain",
            Flag::ControlUncertain => "control-uncertain",
            Flag::NormalizerUncertain => "normalizer-uncertain",
            Flag::Speck => "speck",
        }
    }

    /// The flag a table's word names, if any.
    pub fn parse(word: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.as_str() == word)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row's flags in the order they were raised, written `;`-separated (empty: no flag).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags(pub Vec<Flag>);

impl Flags {
    /// True where the row carries `flag`.
    pub fn contains(&self, flag: Flag) -> bool {
        self.0.contains(&flag)
    }

    /// Adds `flag` unless the row carries it already.
    pub fn insert(&mut self, flag: Flag) {
        if !self.contains(flag) {
            self.0.push(flag);
        }
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, flag) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            f.write_str(flag.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.split(';')
            .filter(|word| !word.is_empty())
            .map(|word| {
                Flag::parse(word)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown flag {word:?}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_reads_back_as_written() {
        for flag in Flag::ALL {
            assert_eq!(Flag::parse(flag.as_str()), Some(flag));
        }
        let flags = Flags(vec![Flag::Saturated, Flag::NormalizerHole]);
        let json = serde_json::to_string(&flags).unwrap();
        assert_eq!(json, "\"saturated;normalizer-hole\"");
        assert_eq!(serde_json::from_str::<Flags>(&json).unwrap(), flags);
        assert_eq!(
            serde_json::from_str::<Flags>("\"\"").unwrap(),
            Flags::default()
        );
        assert!(serde_json::from_str::<Flags>("\"saturated;sparkly\"").is_err());
    }
}
