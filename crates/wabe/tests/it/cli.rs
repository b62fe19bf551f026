//! The `wabe` command as a user runs it: outputs and exit codes.

use crate::root;
use std::process::Command;

fn wabe(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wabe"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_results() {
    let (code, out, err) = wabe(&["run", "examples/fib.air", "--invoke", "fib", "20"]);
    assert_eq!((code, out.as_str()), (0, "6765\n"), "stderr: {err}");
}

#[test]
fn run_trap_exits_1() {
    let (code, out, err) = wabe(&[
        "run",
        "tests/programs/div_by_zero.air",
        "--invoke",
        "div",
        "1",
        "0",
    ]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(err, "trap: integer divide by zero\n");
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = wabe(&["run", "examples/fib.air", "--invoke", "fib", "-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad argument `-1` for type `u32`"), "{err}");
    let (code, _, err) = wabe(&["run", "examples/fib.air", "--invoke", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, _) = wabe(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, err) = wabe(&["check", "does/not/exist.air"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn errors_have_locations_and_exit_2() {
    let (code, _, err) = wabe(&["check", "tests/errors/undefined_value.air"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("tests/errors/undefined_value.air:"),
        "{err}"
    );
    assert!(err.contains('^'), "{err}");
}

#[test]
fn check_accepts_a_good_program() {
    let (code, out, err) = wabe(&["check", "examples/fib.air"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

#[test]
fn build_writes_wasm_and_wat() {
    let dir = std::env::temp_dir().join(format!("wabe-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join("fib.wasm");
    let (code, _, err) = wabe(&["build", "examples/fib.air", "-o", wasm.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&wasm).unwrap();
    crate::validate(&bytes);
    let wat = dir.join("fib.wat");
    let (code, _, err) = wabe(&[
        "build",
        "examples/fib.air",
        "--emit",
        "wat",
        "-o",
        wat.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&wat).unwrap();
    assert!(text.contains("(export \"fib\""), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}
