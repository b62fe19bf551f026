//! Integration tests of the wabe driver: the `.air` program corpus, error reporting, the CLI,
//! and snapshots of MIR and WAT.

mod api;
mod cli;
mod data;
mod errors;
mod interop;
mod programs;
mod snapshots;
mod zig;

use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Validates a module with every feature wabe may use enabled.
pub fn validate(wasm: &[u8]) {
    let features = wasmparser::WasmFeatures::default()
        | wasmparser::WasmFeatures::MEMORY64
        | wasmparser::WasmFeatures::TAIL_CALL
        | wasmparser::WasmFeatures::BULK_MEMORY
        | wasmparser::WasmFeatures::SIGN_EXTENSION
        | wasmparser::WasmFeatures::SATURATING_FLOAT_TO_INT;
    let mut v = wasmparser::Validator::new_with_features(features);
    if let Err(e) = v.validate_all(wasm) {
        panic!("invalid module: {e}");
    }
}

/// Reads the `// key: value` directives of a test file, in order.
pub fn directives<'a>(src: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("// {key}:");
    src.lines()
        .filter_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .map(str::trim)
        .collect()
}
