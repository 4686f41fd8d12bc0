//! # blotquant
//!
//! Western blot densitometry: from images of ECL blots and a small manifest to fold-change
//! tables with replicate statistics.
//!
//! Data flows one way through the stages: manifest → [`experiment::Plan`] → images
//! ([`io::load`]) → [`background`] → [`lanes`] → [`bands`] → MW [`calibration`] and target
//! assignment → [`quant`]ities → tables ([`results`]) → [`report`] files.
//!
//! ```no_run
//! let params = blotquant::Params::default();
//! let run = blotquant::analyze(std::path::Path::new("samples/amitriptyline-lps/rep1"), &params)?;
//! for row in &run.results.fold_change {
//!     println!("{} lane {}: {:?}", row.target, row.lane, row.fold_change);
//! }
//! # Ok::<(), blotquant::Error>(())
//! ```

pub mod background;
pub mod bands;
pub mod batch;
pub mod cache;
pub mod calibration;
pub mod error;
pub mod experiment;
pub mod io;
pub mod lanes;
pub mod linearity;
pub mod panel;
pub mod params;
pub mod pipeline;
pub mod quant;
pub mod report;
pub mod results;
pub mod stats;
pub mod synth;

pub use batch::{analyze, Run};
pub use error::{Error, Result};
pub use params::Params;
pub use results::Results;
