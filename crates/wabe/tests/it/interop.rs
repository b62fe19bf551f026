//! Interoperability with clang and Zig through relocatable objects (issue #7).
//!
//! - Every program of `tests/programs/` is compiled to an object with `--emit obj`, validated,
//!   linked by `wasm-ld` and by wabe's object linker, and both executables must give the
//!   program's expected results.
//! - `tests/interop/*.air` programs call into C objects (`tests/interop/*.c`, compiled with
//!   `zig cc`) and are called back by them, with data and function pointers both ways; they
//!   are linked by both linkers and run.
//!
//! Zig comes from `cargo xtask setup` (see `zig.rs`).

use std::path::PathBuf;

use crate::programs::cases;
use crate::root;
use crate::zig::{build_obj, cc, scratch, wasm_ld, zig_cmd};
use wabe::run::{invoke, RunError};
use wabe_link::object::{link, ObjectLinkOptions};

/// Programs whose object form is not linked here, and why.
const EXCLUDED: &[(&str, &str)] = &[];

/// Runs every case of `src` on `wasm`; returns the failures.
pub(crate) fn check_cases(
    file: &str,
    how: &str,
    module: &wabe_air::Module,
    wasm: &[u8],
    src: &str,
) -> Vec<String> {
    let mut failures = Vec::new();
    for c in cases(src) {
        let got = invoke(module, wasm, &c.name, &c.args);
        let ok = match (&got, &c.trap) {
            (Ok(r), None) => {
                r.printed
                    .iter()
                    .chain(&r.values)
                    .cloned()
                    .collect::<Vec<_>>()
                    == c.expect
            }
            (Err(RunError::Trap { reason, printed }), Some(t)) => {
                reason.contains(t.as_str()) && *printed == c.expect
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{file}:{} ({how}): run {} {:?}\n  expected {:?} {:?}\n  got {:?}",
                c.line, c.name, c.args, c.expect, c.trap, got
            ));
        }
    }
    failures
}

/// Validates an object with the features wabe may use.
fn validate_object(wasm: &[u8], what: &str) {
    use wasmparser::WasmFeatures as F;
    let features = F::default()
        | F::MEMORY64
        | F::TAIL_CALL
        | F::BULK_MEMORY
        | F::SIGN_EXTENSION
        | F::SATURATING_FLOAT_TO_INT;
    if let Err(e) = wasmparser::Validator::new_with_features(features).validate_all(wasm) {
        panic!("{what}: invalid object: {e}");
    }
}

pub(crate) fn compile(src: &str, file: &str) -> (wabe_air::Module, wabe::Options) {
    let mut module = wabe_air::parse(src).unwrap_or_else(|e| panic!("{file}: {e}"));
    wabe_air::verify(&mut module).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut options = wabe::Options::default();
    for f in crate::directives(src, "features") {
        options
            .codegen
            .apply_features(f)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    (module, options)
}

fn object_of(module: &wabe_air::Module, options: &wabe::Options, file: &str) -> Vec<u8> {
    let obj = wabe::Compilation::new(module, options)
        .and_then(|mut c| c.flush_object())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    validate_object(&obj, file);
    obj
}

fn ld_args(memory64: bool) -> Vec<&'static str> {
    let mut args = vec!["--no-entry", "-z", "stack-size=1048576"];
    if memory64 {
        args.push("-mwasm64");
    }
    args
}

fn wabe_link(inputs: &[PathBuf], memory64: bool) -> Result<Vec<u8>, String> {
    let inputs = inputs
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).unwrap()))
        .collect();
    let mut options = ObjectLinkOptions::default();
    options.link.memory64 = memory64;
    link(inputs, &options).map_err(|e| e.to_string())
}

#[test]
fn programs_as_objects() {
    let dir = root().join("tests/programs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "air"));
    files.sort();
    let check = |path: &PathBuf| -> Vec<String> {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        if EXCLUDED.iter().any(|(f, _)| *f == file) {
            return Vec::new();
        }
        let src = std::fs::read_to_string(path).unwrap();
        let (module, options) = compile(&src, &file);
        let memory64 = module.target == wabe_types::Target::Wasm64;
        let obj = object_of(&module, &options, &file);
        let obj_path = scratch().join(format!("{file}.o"));
        std::fs::write(&obj_path, &obj).unwrap();
        let mut failures = Vec::new();
        let by_ld = wasm_ld(
            std::slice::from_ref(&obj_path),
            &ld_args(memory64),
            &format!("{file}.ld.wasm"),
        );
        failures.extend(check_cases(&file, "wasm-ld", &module, &by_ld, &src));
        match wabe_link(&[obj_path], memory64) {
            Ok(wasm) => {
                crate::validate(&wasm);
                failures.extend(check_cases(&file, "wabe link", &module, &wasm, &src));
            }
            Err(e) => failures.push(format!("{file} (wabe link): {e}")),
        }
        failures
    };
    let half = files.len() / 2;
    let (a, b) = files.split_at(half);
    let failures: Vec<String> = std::thread::scope(|s| {
        let h = s.spawn(|| a.iter().flat_map(check).collect::<Vec<_>>());
        let mut f: Vec<String> = b.iter().flat_map(check).collect();
        f.extend(h.join().unwrap());
        f
    });
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Builds `tests/interop/NAME.air` with the C (or Zig, `.zig`) files, links with both linkers, runs the cases.
fn interop(name: &str, c_files: &[&str], archive: &[&str], cflags: &[&str]) {
    let dir = root().join("tests/interop");
    let file = format!("{name}.air");
    let src = std::fs::read_to_string(dir.join(&file)).unwrap();
    let (module, options) = compile(&src, &file);
    let memory64 = module.target == wabe_types::Target::Wasm64;
    let target = if memory64 { "wasm64" } else { "wasm32" };
    let obj = object_of(&module, &options, &file);
    let obj_path = scratch().join(format!("{name}.wabe.o"));
    std::fs::write(&obj_path, &obj).unwrap();
    let mut inputs = vec![obj_path];
    inputs.extend(c_files.iter().map(|c| {
        if c.ends_with(".zig") {
            build_obj(&dir.join(c), target)
        } else {
            cc(&dir.join(c), target, cflags)
        }
    }));
    if !archive.is_empty() {
        let lib = scratch().join(format!("lib{name}.a"));
        let _ = std::fs::remove_file(&lib);
        let members: Vec<PathBuf> = archive
            .iter()
            .map(|c| cc(&dir.join(c), target, cflags))
            .collect();
        let mut cmd = zig_cmd("ar");
        cmd.arg("rcs").arg(&lib).args(&members);
        crate::zig::run(cmd, "zig ar");
        inputs.push(lib);
    }
    let mut failures = Vec::new();
    let by_ld = wasm_ld(&inputs, &ld_args(memory64), &format!("{name}.ld.wasm"));
    failures.extend(check_cases(&file, "wasm-ld", &module, &by_ld, &src));
    let by_wabe = wabe_link(&inputs, memory64).unwrap_or_else(|e| panic!("{file}: wabe link: {e}"));
    crate::validate(&by_wabe);
    failures.extend(check_cases(&file, "wabe link", &module, &by_wabe, &src));
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn c_calls_and_pointers() {
    interop("calls", &["calls.c"], &[], &[]);
}

#[test]
fn c_builtins_and_constructors() {
    interop(
        "builtins",
        &["builtins.c"],
        &["minilibc.c"],
        &["-mcpu=mvp", "-fno-builtin-memcpy"],
    );
}

#[test]
fn wasm64_objects() {
    interop("calls64", &["calls64.c"], &[], &[]);
}

#[test]
fn zig_build_obj() {
    interop("zig", &["zig_side.zig"], &[], &[]);
}
