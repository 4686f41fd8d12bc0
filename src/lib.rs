#![deny(missing_docs)]
//! # blotquant
//!
//! Western blot densitometry: from images of ECL blots and a small manifest to fold-change
//! tables with replicate statistics.
//!
//! Data flows one way through the stages: manifest → [`manifest::Plan`] → images
//! ([`io::load`]) → [`background`] → [`lanes`] → [`bands`] → MW [`calibration`] and target
//! assignment → [`quant`]ities → tables ([`results`]) → [`report`] files.
//!
//! ```
//! // One experiment folder (its experiment.json and images) to tables, in memory:
//! let params = blotquant::Params::default();
//! let run = blotquant::analyze(std::path::Path::new("samples/amitriptyline-lps/rep1"), &params)?;
//! for row in &run.results.fold_change {
//!     println!("{} lane {}: {:?}", row.target, row.lane, row.fold_change);
//! }
//! assert!(run.results.errors.is_empty());
//!
//! // Many experiment folders in parallel, failures as rows, written like `blotquant batch`:
//! let root = std::path::Path::new("samples/amitriptyline-lps");
//! let folders = blotquant::batch::discover(root);
//! let run = blotquant::batch::analyze_many(root, &folders, &params);
//! let out = std::env::temp_dir().join("blotquant-doc-example");
//! blotquant::report::write_outputs(&out, &run.results, &run.overlays, &run.traces)?;
//! assert!(out.join("summary.csv").is_file() && out.join("report.html").is_file());
//! # std::fs::remove_dir_all(&out).ok();
//! # Ok::<(), blotquant::Error>(())
//! ```
//!
//! `results.json` (the [`Results`] a run serializes) has the layout published in
//! `schema/results.schema.json`; its `schema_version` changes when a field is removed or
//! changes meaning. [`cache::Cache`] lets a workflow skip unchanged experiments.

pub mod background;
pub mod bands;
pub mod batch;
pub mod cache;
pub mod catalog;
pub mod error;
pub mod imagej;
pub mod init;
pub mod io;
pub mod lanes;
pub mod manifest;
pub mod params;
pub mod pipeline;
pub mod quality;
pub mod quant;
pub mod report;
pub mod results;
pub mod stats;
pub mod synth;

pub use batch::{analyze, Run};
pub use error::{Error, Result};
pub use params::Params;
pub use results::Results;
