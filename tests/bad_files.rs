//! A corpus of bad image files (`tests/fixtures/bad`): each gives a clean error that names the
//! file, through the library and through `blotquant detect` (exit 2, no panic, no output).

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use blotquant::io;
use blotquant::params::LoadParams;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

fn refused(path: &Path, reason: &str) {
    let err = io::load(path, None, &LoadParams::default())
        .unwrap_err()
        .to_string();
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(err.contains(name.as_ref()), "{err}");
    assert!(err.contains(reason), "{name}: {err}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let assert = Command::cargo_bin("blotquant")
        .unwrap()
        .arg("detect")
        .arg(path)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(name.as_ref()) && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn truncated_tiff() {
    refused(&corpus().join("truncated.tif"), "TIFF");
}

#[test]
fn wrong_magic() {
    refused(
        &corpus().join("wrong_magic.tif"),
        "not a TIFF, PNG, JPEG or Image Lab .scn",
    );
}

#[test]
fn huge_declared_dimensions() {
    refused(&corpus().join("huge_dimensions.tif"), "size limit");
}

#[test]
fn zero_length() {
    refused(&corpus().join("zero_length.tif"), "empty");
}

#[test]
fn a_directory_named_like_an_image() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("blot.tif");
    std::fs::create_dir(&dir).unwrap();
    refused(&dir, "cannot read");
}

#[test]
fn an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("locked.tif");
    std::fs::copy(corpus().join("truncated.tif"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_ok() {
        common::skipped("this user (root) can read files without read permission");
        return;
    }
    refused(&file, "cannot read");
}
