//! Project automation: `cargo xtask test | setup | bench | fuzz`.
//!
//! `test` is what CI runs: it installs what the tests need (pinned), then runs the formatter
//! check, clippy, and the whole test suite.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned Zig toolchain (PyPI package `ziglang`) used by the C interop tests.
const ZIGLANG_VERSION: &str = "0.15.2";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Installs `ziglang` into `.tools/python` unless the pinned version is already there.
fn setup() -> Result<()> {
    let tools = root().join(".tools/python");
    let marker = tools.join(format!("ziglang-{ZIGLANG_VERSION}.dist-info"));
    if marker.exists() {
        eprintln!(
            "ziglang {ZIGLANG_VERSION} is installed in {}",
            tools.display()
        );
        return Ok(());
    }
    std::fs::create_dir_all(&tools)?;
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--upgrade",
            "--target",
        ])
        .arg(&tools)
        .arg(format!("ziglang=={ZIGLANG_VERSION}")))
    .context("installing the pinned `ziglang` package from PyPI (needed by the C interop tests)")?;
    if !marker.exists() {
        bail!(
            "ziglang {ZIGLANG_VERSION} did not install into {}",
            tools.display()
        );
    }
    Ok(())
}

fn test() -> Result<()> {
    setup()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args(["test", "--workspace"])
        .env("WABE_TOOLS", root().join(".tools")))?;
    // The fuzz targets' smoke tests (the fuzz package is outside the workspace; it shares the
    // workspace's target directory so that the compiler is not built twice).
    let target_dir = root().join("target");
    run(cargo()
        .args(["test", "--manifest-path", "fuzz/Cargo.toml", "--target-dir"])
        .arg(&target_dir))?;
    Ok(())
}

/// The pinned cargo-fuzz (0.13.1 builds on Rust 1.95). On a stable toolchain it runs with
/// `-s none` (no sanitizer, which would need nightly); libFuzzer's coverage instrumentation
/// uses stable `-C` flags.
const CARGO_FUZZ_VERSION: &str = "0.13.1";

/// The fuzz targets of `fuzz/`.
const FUZZ_TARGETS: &[&str] = &["parse", "verify", "compile_generated", "differential"];

/// `cargo xtask fuzz [TARGET] [--seconds N]`: installs cargo-fuzz when missing, then runs one
/// target (or each in turn) with libFuzzer for N seconds (default 60). Crashes are written to
/// `fuzz/artifacts/TARGET/`, the corpus to `fuzz/corpus/TARGET/`.
fn fuzz(args: &[String]) -> Result<()> {
    let mut seconds = 60u64;
    let mut targets: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .context("--seconds needs a number")?
                    .parse()
                    .context("--seconds needs a number")?;
            }
            t if FUZZ_TARGETS.contains(&t) => targets.push(t.to_string()),
            other => bail!(
                "unknown fuzz target or option `{other}` (targets: {})",
                FUZZ_TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = FUZZ_TARGETS.iter().map(|s| s.to_string()).collect();
    }
    let have = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains(CARGO_FUZZ_VERSION)
        });
    if !have {
        run(cargo().args([
            "install",
            "cargo-fuzz",
            "--locked",
            "--version",
            CARGO_FUZZ_VERSION,
        ]))?;
    }
    for t in &targets {
        run(cargo()
            .args([
                "fuzz",
                "run",
                "-s",
                "none",
                t,
                "--",
                &format!("-max_total_time={seconds}"),
            ])
            .arg("-timeout=20"))?;
    }
    Ok(())
}

/// `cargo xtask bench [--quick] [--only ROWS]`: installs the pinned tools (Zig is the other
/// side of the comparison), builds `wabe` and `wabe-bench` in release mode, and runs the
/// benchmarks, which write `target/bench/report.md` and `report.json`.
fn bench(args: &[String]) -> Result<()> {
    setup()?;
    run(cargo().args([
        "build",
        "--release",
        "-p",
        "wabe",
        "--bin",
        "wabe",
        "-p",
        "wabe-bench",
    ]))?;
    run(cargo()
        .args(["run", "--release", "-q", "-p", "wabe-bench", "--", "--root"])
        .arg(root())
        .args(args))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("setup") => setup(),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <test|setup|bench|fuzz>");
            eprintln!("  test   install pinned tools, then fmt --check, clippy -D warnings, and every test");
            eprintln!(
                "  setup  install pinned tools (ziglang {ZIGLANG_VERSION} from PyPI into .tools/)"
            );
            eprintln!("  bench  [--quick] [--only ROWS]  benchmarks against wasm-ld and Zig; writes target/bench/report.md");
            eprintln!(
                "  fuzz   [TARGET] [--seconds N]  libFuzzer via cargo-fuzz; targets: {}",
                FUZZ_TARGETS.join(", ")
            );
            std::process::exit(2);
        }
    }
}
