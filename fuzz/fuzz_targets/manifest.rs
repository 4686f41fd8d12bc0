//! Any text given as experiment.json: an error or a plan, never a panic.
#![no_main]

use blotquant::manifest;
use blotquant::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = std::path::Path::new("/nonexistent-fuzz-experiment/experiment.json");
        let _ = manifest::parse_manifest_text(path, text, &Params::default());
    }
});
