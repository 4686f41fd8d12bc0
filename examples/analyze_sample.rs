//! Analyzes one blot of the bundled study through the library and prints its fold changes.
//!
//! `cargo run --release --example analyze_sample`

use std::path::Path;

fn main() -> Result<(), blotquant::Error> {
    let experiment = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/amitriptyline-lps/rep1");
    let run = blotquant::analyze(&experiment, &blotquant::Params::default())?;
    for row in &run.results.fold_change {
        let fold = row
            .fold_change
            .map_or("-".to_string(), |f| format!("{f:.2}"));
        println!(
            "{:<14} lane {} {:<18} {fold}",
            row.target, row.lane, row.condition
        );
    }
    for warning in &run.results.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
