//! Running the pinned Zig (`ziglang==0.15.2` from PyPI, installed into `.tools/python` by
//! `cargo xtask setup`) as a C compiler, archiver and `wasm-ld`. `WABE_ZIG` may name another
//! command prefix (`zig`, `python3 -m ziglang`). When zig cannot be run the tests fail with a
//! message saying how to install it: they never pass without checking.
//!
//! Outputs go to one temporary directory per test process, and C objects are cached there by
//! their source and flags, so each is compiled once per run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use crate::root;

/// The zig command prefix, checked to run (once per process).
pub fn zig() -> &'static [String] {
    static ZIG: OnceLock<Vec<String>> = OnceLock::new();
    ZIG.get_or_init(|| {
        let prefix: Vec<String> = match std::env::var("WABE_ZIG") {
            Ok(v) if !v.trim().is_empty() => v.split_whitespace().map(String::from).collect(),
            _ => ["python3", "-m", "ziglang"].map(String::from).to_vec(),
        };
        match command(&prefix).arg("version").output() {
            Ok(o) if o.status.success() => prefix,
            other => {
                let detail = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                panic!(
                    "zig not found: run `cargo xtask setup` (installs ziglang==0.15.2 from PyPI into \
                     .tools/)\n(tried `{}` with PYTHONPATH={}: {})",
                    prefix.join(" "),
                    root().join(".tools/python").display(),
                    detail.trim()
                )
            }
        }
    })
}

fn command(prefix: &[String]) -> Command {
    let mut cmd = Command::new(&prefix[0]);
    cmd.args(&prefix[1..]);
    let mut pythonpath = root().join(".tools/python").into_os_string();
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        pythonpath.push(":");
        pythonpath.push(old);
    }
    cmd.env("PYTHONPATH", pythonpath);
    cmd
}

/// A zig subcommand (`cc`, `wasm-ld`, `ar`, ...).
pub fn zig_cmd(sub: &str) -> Command {
    let mut cmd = command(zig());
    cmd.arg(sub);
    cmd
}

/// This process's scratch directory.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("wabe-interop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// Runs a command, panicking with its output if it fails.
pub fn run(mut cmd: Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Compiles a C file to a wasm object (cached per source and flags) and returns its path.
pub fn cc(source: &Path, target: &str, flags: &[&str]) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let key = format!("{}{}{}", source.display(), target, flags.join(" "));
    let hash = key.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    let stem = source.file_stem().unwrap().to_string_lossy();
    let out = scratch().join(format!("{stem}-{hash:016x}.o"));
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !out.exists() {
        let mut cmd = zig_cmd("cc");
        cmd.arg(format!("--target={target}-freestanding"))
            .args(["-c", "-O1"])
            .args(flags)
            .arg(source)
            .arg("-o")
            .arg(&out);
        run(cmd, &format!("zig cc {}", source.display()));
    }
    out
}

/// Compiles a Zig file with `zig build-obj` (cached like [`cc`]) and returns the object's path.
pub fn build_obj(source: &Path, target: &str) -> PathBuf {
    let stem = source.file_stem().unwrap().to_string_lossy();
    let out = scratch().join(format!("{stem}-{target}-zig.o"));
    if !out.exists() {
        let mut cmd = zig_cmd("build-obj");
        cmd.current_dir(scratch())
            .args([
                "-target",
                &format!("{target}-freestanding"),
                "-O",
                "ReleaseSmall",
            ])
            .arg(source)
            .arg(format!("-femit-bin={}", out.display()));
        run(cmd, &format!("zig build-obj {}", source.display()));
    }
    out
}

/// Links with `wasm-ld` and returns the module.
pub fn wasm_ld(inputs: &[PathBuf], args: &[&str], out_name: &str) -> Vec<u8> {
    let out = scratch().join(out_name);
    let mut cmd = zig_cmd("wasm-ld");
    cmd.args(args).args(inputs).arg("-o").arg(&out);
    run(cmd, &format!("wasm-ld {out_name}"));
    std::fs::read(&out).unwrap()
}
