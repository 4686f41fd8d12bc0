//! Domain knowledge: the built-in targets (apparent MW) and molecular-weight ladders.

/// A protein target and where it runs on the gel.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Target {
    /// Canonical display name (e.g. `IL-1β p17`).
    pub name: String,
    /// Apparent molecular-weight window in kDa; a single MW has `low == high`.
    pub mw_kda: (f64, f64),
    /// Usual role of the protein, for warnings.
    pub loading_control: bool,
    /// Measured over the whole lane (a total-protein stain), not as one band.
    pub whole_lane: bool,
}

/// A target to quantify in one image, with its optional row window.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetPlan {
    /// The target, built-in or defined under the manifest's `targets`.
    pub target: Target,
    /// `[top, bottom]` rows that hold the target's band, from the manifest.
    pub rows: Option<(usize, usize)>,
}

impl Target {
    /// The MW the band is expected at (window centre on a log scale).
    pub fn nominal_kda(&self) -> f64 {
        (self.mw_kda.0 * self.mw_kda.1).sqrt()
    }
}

/// (canonical name, kDa, is a loading control, ASCII aliases)
const BUILT_IN: &[(&str, f64, bool, &[&str])] = &[
    ("NLRP3", 118.0, false, &["nalp3", "cryopyrin"]),
    (
        "pro-caspase-1",
        45.0,
        false,
        &["procaspase-1", "pro-casp1", "procasp1", "caspase-1 p45"],
    ),
    (
        "caspase-1 p20",
        20.0,
        false,
        &["casp1 p20", "casp-1 p20", "p20"],
    ),
    (
        "caspase-1 p10",
        10.0,
        false,
        &["casp1 p10", "casp-1 p10", "p10"],
    ),
    (
        "pro-IL-1β",
        31.0,
        false,
        &["pro-il-1b", "pro-il1b", "proil1b", "pro-il-1beta"],
    ),
    (
        "IL-1β p17",
        17.0,
        false,
        &["il-1b p17", "il1b p17", "il-1beta p17", "p17"],
    ),
    ("ASC", 22.0, false, &["pycard"]),
    ("GSDMD", 53.0, false, &["gasdermin d"]),
    ("GSDMD-N", 31.0, false, &["gsdmd n", "gsdmd-nt"]),
    (
        "β-actin",
        42.0,
        true,
        &["beta-actin", "b-actin", "actin", "actb"],
    ),
    ("GAPDH", 37.0, true, &[]),
    (
        "α-tubulin",
        50.0,
        true,
        &["alpha-tubulin", "a-tubulin", "tubulin"],
    ),
    ("vinculin", 124.0, true, &["vcl"]),
];

/// What the tables call a ladder (marker) lane's condition and its bands' target.
pub const LADDER: &str = "ladder";

/// The condition that marks a lane without a sample: drawn, never quantified.
pub const EMPTY: &str = "empty";

/// Name of the whole-lane stain normalizer.
pub const TOTAL_PROTEIN: &str = "total protein";

/// Reduces a target name to a comparison key: lower case, Greek letters spelled in ASCII,
/// and spaces, underscores and hyphens dropped, so `IL1B_p17` matches `IL-1β p17`.
pub fn name_key(name: &str) -> String {
    let mut key = String::new();
    for ch in name.trim().to_lowercase().chars() {
        match ch {
            'β' => key.push('b'),
            'α' => key.push('a'),
            ' ' | '_' | '-' | '.' => {}
            c => key.push(c),
        }
    }
    key.replace("beta", "b").replace("alpha", "a")
}

/// Every built-in target, with the spellings it is known by (canonical name first).
pub fn built_in_targets() -> Vec<(Target, Vec<&'static str>)> {
    BUILT_IN
        .iter()
        .map(|&(canon, kda, loading_control, aliases)| {
            let target = Target {
                name: canon.to_string(),
                mw_kda: (kda, kda),
                loading_control,
                whole_lane: false,
            };
            (
                target,
                std::iter::once(canon)
                    .chain(aliases.iter().copied())
                    .collect(),
            )
        })
        .collect()
}

/// Looks up a built-in target by any accepted spelling.
pub fn built_in_target(name: &str) -> Option<Target> {
    let key = name_key(name);
    if key == name_key(TOTAL_PROTEIN) {
        return Some(Target {
            name: TOTAL_PROTEIN.to_string(),
            mw_kda: (0.0, f64::INFINITY),
            loading_control: true,
            whole_lane: true,
        });
    }
    BUILT_IN
        .iter()
        .find(|(canon, _, _, aliases)| {
            name_key(canon) == key || aliases.iter().any(|a| name_key(a) == key)
        })
        .map(|&(canon, kda, loading_control, _)| Target {
            name: canon.to_string(),
            mw_kda: (kda, kda),
            loading_control,
            whole_lane: false,
        })
}

/// The built-in target name (or a `custom` one) closest to a misspelt `name`: at most two
/// edits away (letters swapped, dropped, added or changed) in the comparison key of
/// [`name_key`], and fewer than a third of its letters, so that a short unknown name is not
/// mistaken for another. `None` where none is that close.
pub fn closest_target<'a>(name: &str, custom: impl Iterator<Item = &'a str>) -> Option<String> {
    let key = name_key(name);
    let candidates = BUILT_IN
        .iter()
        .flat_map(|(canon, _, _, aliases)| {
            std::iter::once((*canon, *canon)).chain(aliases.iter().map(move |a| (*a, *canon)))
        })
        .map(|(spelling, canon)| (spelling.to_string(), canon.to_string()))
        .chain(custom.map(|c| (c.to_string(), c.to_string())))
        .chain(std::iter::once((
            TOTAL_PROTEIN.to_string(),
            TOTAL_PROTEIN.to_string(),
        )));
    candidates
        .map(|(spelling, canon)| {
            (
                strsim::damerau_levenshtein(&key, &name_key(&spelling)),
                canon,
            )
        })
        .filter(|&(distance, _)| distance <= 2 && 3 * distance < key.chars().count())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, canon)| canon)
}

/// Built-in ladders: name and band sizes in kDa, top to bottom.
const LADDERS: &[(&str, &[f64])] = &[
    (
        "pageruler-prestained",
        &[180.0, 130.0, 100.0, 70.0, 55.0, 35.0, 25.0, 15.0, 10.0],
    ),
    (
        "pageruler-plus",
        &[250.0, 130.0, 100.0, 70.0, 55.0, 35.0, 25.0, 15.0, 10.0],
    ),
    (
        "precision-plus-dual",
        &[
            250.0, 150.0, 100.0, 75.0, 50.0, 37.0, 25.0, 20.0, 15.0, 10.0,
        ],
    ),
    (
        "spectra-broad",
        &[
            260.0, 140.0, 100.0, 70.0, 50.0, 40.0, 35.0, 25.0, 15.0, 10.0,
        ],
    ),
    (
        "magicmark-xp",
        &[220.0, 120.0, 100.0, 80.0, 60.0, 50.0, 40.0, 30.0, 20.0],
    ),
];

/// Band sizes of a built-in ladder, top to bottom.
pub fn built_in_ladder(name: &str) -> Option<Vec<f64>> {
    let key = name.trim().to_lowercase();
    LADDERS
        .iter()
        .find(|(n, _)| *n == key)
        .map(|(_, kda)| kda.to_vec())
}

/// Names of the built-in ladders, for error messages.
pub fn ladder_names() -> Vec<&'static str> {
    LADDERS.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_target_name_suggests_the_one_meant() {
        let none = std::iter::empty();
        assert_eq!(closest_target("NRLP3", none).as_deref(), Some("NLRP3"));
        assert_eq!(
            closest_target("caspase1 p2O", std::iter::empty()).as_deref(),
            Some("caspase-1 p20")
        );
        assert_eq!(
            closest_target("my-protien", ["my-protein"].into_iter()).as_deref(),
            Some("my-protein")
        );
        assert_eq!(closest_target("p53", std::iter::empty()), None);
        assert_eq!(closest_target("STAT3", std::iter::empty()), None);
    }

    #[test]
    fn ascii_aliases_resolve_to_the_canonical_target() {
        for alias in ["IL-1b p17", "IL1B_p17", "il-1β P17"] {
            assert_eq!(built_in_target(alias).unwrap().name, "IL-1β p17", "{alias}");
        }
        assert_eq!(built_in_target("casp1 p20").unwrap().mw_kda, (20.0, 20.0));
        assert_eq!(built_in_target("beta-actin").unwrap().name, "β-actin");
        assert!(built_in_target("made-up kinase").is_none());
    }

    #[test]
    fn pro_forms_are_not_confused_with_cleaved_forms() {
        assert_eq!(built_in_target("pro-IL-1β").unwrap().mw_kda.0, 31.0);
        assert_eq!(built_in_target("pro-caspase-1").unwrap().mw_kda.0, 45.0);
    }
}
