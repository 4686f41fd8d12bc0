//! Reuse of unchanged experiments: a re-run into the same output folder takes an experiment's
//! results from the last run when its manifest, its images, the parameters and the blotquant
//! build are all the same (compared by SHA-256), instead of analyzing it again.
//!
//! Entries live in `OUT/.cache/`, one JSON file per experiment folder holding the key and the
//! experiment's tables; its overlays are the PNGs the last run wrote to `OUT/overlays/`. An
//! entry whose overlays are gone, or that cannot be read, is simply a miss.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::manifest::sha256_hex;
use crate::manifest::Plan;
use crate::results::{ExperimentResult, InputFile};

/// The running program's file (path, size, modification time), so that a rebuilt or updated
/// blotquant recomputes: the version number alone stays the same across code changes between
/// releases, and an entry from older code would silently keep its old numbers. Reading the
/// metadata costs nothing next to hashing the program; a mere `touch` of it only costs one
/// recomputation. Empty where the program cannot be found.
fn build_identity() -> &'static str {
    static IDENTITY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| {
        let program = std::env::current_exe().ok();
        let meta = program.as_ref().and_then(|p| std::fs::metadata(p).ok());
        match (program, meta) {
            (Some(program), Some(meta)) => {
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                format!("{} {} {modified}", program.display(), meta.len())
            }
            _ => String::new(),
        }
    })
}

/// The cache of one output folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    /// Recompute everything (and refresh the entries).
    force: bool,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    result: ExperimentResult,
}

impl Cache {
    /// The cache of output folder `out`.
    pub fn in_output(out: &Path) -> Cache {
        Cache {
            dir: out.join(".cache"),
            force: false,
        }
    }

    /// A cache that reuses nothing but still records this run's results (`--force`).
    pub fn forced(self, force: bool) -> Cache {
        Cache { force, ..self }
    }

    /// Where the run's overlays are, which entries refer to.
    pub fn overlay_dir(&self) -> PathBuf {
        self.dir.with_file_name("overlays")
    }

    /// What an experiment's results depend on, as one hash: the blotquant build, the
    /// effective parameters, the experiment's location and its input files' checksums.
    pub fn key(plan: &Plan, inputs: &[InputFile]) -> String {
        let mut hasher = Sha256::new();
        let mut add = |label: &str, value: &[u8]| {
            hasher.update(label.as_bytes());
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value);
        };
        add("version", env!("CARGO_PKG_VERSION").as_bytes());
        add("build", build_identity().as_bytes());
        let params = serde_json::to_vec(&plan.params).expect("params serialize");
        add("params", &params);
        add("dir", plan.dir.to_string_lossy().as_bytes());
        for input in inputs {
            add("file", input.path.as_bytes());
            add("sha256", input.sha256.as_bytes());
        }
        sha256_hex(&hasher.finalize())
    }

    /// The stored results of `plan`'s experiment if its key is `key`, with the overlays read
    /// back from `overlay_dir` (where the last run wrote them).
    pub fn load(&self, plan: &Plan, key: &str, overlay_dir: &Path) -> Option<ExperimentResult> {
        if self.force {
            return None;
        }
        let text = std::fs::read(self.entry_path(plan)).ok()?;
        let entry: Entry = serde_json::from_slice(&text).ok()?;
        if entry.key != key {
            return None;
        }
        let mut result = entry.result;
        for traces in &result.traces {
            let png = std::fs::read(overlay_dir.join(&traces.overlay)).ok()?;
            let stem = traces.overlay.trim_end_matches(".png").to_string();
            result.overlays.push((stem, png));
        }
        result.reused = true;
        Some(result)
    }

    /// Stores `result` under `key` (atomically, so a cut-off run leaves no half entry; not
    /// flushed to disk: a lost entry only means recomputing).
    pub fn store(&self, plan: &Plan, key: &str, result: &ExperimentResult) -> Result<()> {
        let entry = Entry {
            key: key.to_string(),
            result: result.clone(),
        };
        let json = serde_json::to_vec(&entry).expect("cache entry serializes");
        crate::io::atomic::write_atomic_with(&self.entry_path(plan), false, |w| w.write_all(&json))
    }

    /// One file per experiment folder, named by a hash of its path.
    fn entry_path(&self, plan: &Plan) -> PathBuf {
        let id = sha256_hex(plan.dir.to_string_lossy().as_bytes());
        self.dir.join(format!("{}.json", &id[..24]))
    }
}
