//! What a summary row's `n` counts (the manifest's `replicate`: lanes, samples or blots) and
//! the replicate values that follow from an experiment's usable fold changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats;

/// The biological replicate of an experiment's statistics (`"replicate"` in the manifest).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicateUnit {
    /// Every lane is one replicate, whatever `sample` says.
    #[default]
    Lane,
    /// Lanes sharing a `sample` are averaged first (technical replicates); a lane without one
    /// is a sample of its own.
    Sample,
    /// A blot's lanes of a condition are averaged (after their samples) into one replicate.
    Blot,
}

impl ReplicateUnit {
    /// The manifest's default: `sample` where any lane names a sample, else `lane`.
    pub fn default_for(samples_named: bool) -> ReplicateUnit {
        if samples_named {
            ReplicateUnit::Sample
        } else {
            ReplicateUnit::Lane
        }
    }

    /// The unit of results written before `replicate` existed: lanes sharing a sample were
    /// averaged, any other lane counted alone, which is `sample` (the same as `lane` where no
    /// sample is named).
    pub fn before_it_was_stated() -> ReplicateUnit {
        ReplicateUnit::Sample
    }

    /// The word for the manifest, results.json and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicateUnit::Lane => "lane",
            ReplicateUnit::Sample => "sample",
            ReplicateUnit::Blot => "blot",
        }
    }

    /// What `n` counts, in words, for the stdout summary, the report and the methods text.
    pub fn describe(self) -> &'static str {
        match self {
            ReplicateUnit::Lane => "n counts lanes: each lane is one biological replicate",
            ReplicateUnit::Sample => {
                "n counts samples: lanes sharing a sample were averaged first as technical replicates"
            }
            ReplicateUnit::Blot => {
                "n counts blots: each blot's lanes of a condition were averaged into one replicate (lanes sharing a sample first)"
            }
        }
    }
}

/// The smallest group of lanes averaged before anything else: a lane, or the lanes of one
/// sample.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Technical {
    /// A lane counted on its own, by its row in the fold-change table (a lane's number could
    /// repeat where two images of one experiment hold the same target).
    Lane(usize),
    /// The lanes sharing this `sample`.
    Sample(String),
}

impl Technical {
    /// The group of the fold-change table's row `row` (whose lane has `sample`) under `unit`.
    pub fn of(unit: ReplicateUnit, row: usize, sample: &str) -> Technical {
        if unit == ReplicateUnit::Lane || sample.is_empty() {
            Technical::Lane(row)
        } else {
            Technical::Sample(sample.to_string())
        }
    }
}

/// The usable fold changes of one target × condition, by experiment and technical group.
#[derive(Debug, Default)]
pub struct FoldChanges(BTreeMap<(String, Technical), Vec<f64>>);

impl FoldChanges {
    /// Adds one lane's fold change.
    pub fn push(&mut self, experiment: &str, technical: Technical, fold_change: f64) {
        self.0
            .entry((experiment.to_string(), technical))
            .or_default()
            .push(fold_change);
    }

    /// The replicate values with the unit each counts as: each technical group's mean, then,
    /// for experiments whose unit is `blot`, the mean of that experiment's groups.
    pub fn replicates(&self, unit_of: impl Fn(&str) -> ReplicateUnit) -> Vec<(ReplicateUnit, f64)> {
        let mut values = Vec::new();
        let mut per_blot: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for ((experiment, _), fold_changes) in &self.0 {
            let mean = stats::mean(fold_changes);
            match unit_of(experiment) {
                ReplicateUnit::Blot => per_blot.entry(experiment).or_default().push(mean),
                unit => values.push((unit, mean)),
            }
        }
        values.extend(
            per_blot
                .values()
                .map(|means| (ReplicateUnit::Blot, stats::mean(means))),
        );
        values
    }
}
