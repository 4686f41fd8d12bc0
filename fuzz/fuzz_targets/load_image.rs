//! Any bytes given as an image file: an error or a blot, never a panic.
#![no_main]

use blotquant::io;
use blotquant::params::LoadParams;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = LoadParams {
        max_pixels: 4_000_000,
        ..LoadParams::default()
    };
    let _ = io::load_bytes(std::path::Path::new("fuzz.tif"), data, None, &limits);
});
