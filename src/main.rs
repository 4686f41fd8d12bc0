//! The `blotquant` command line: a thin adapter over the library (see `cli`).

mod cli;

use std::process::ExitCode;

// Each image allocates and frees several arrays of megabytes; the system allocator hands them
// back to the kernel every time and faults them in again, which cost ~15 % of a batch's time.
// mimalloc is built without transparent huge pages (Cargo.toml: libmimalloc-sys `no_thp`): a
// process of ours touches its memory about once, and on virtual machines that return idle
// memory to the host, a fresh 2 MB page costs more than 512 fresh 4 kB ones. Measured side by
// side, one command after another with a pause between: `background` on 4096×3072 59 vs 79 ms,
// `detect` on 2048×1536 136 vs 251 ms, the sample batch 184 vs 272 ms (median process times).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
