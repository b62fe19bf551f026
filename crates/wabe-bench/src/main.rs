//! `wabe-bench`: wabe measured against the alternatives a user would pick instead (LLVM's wasm
//! backend with wasm-ld, and Zig's self-hosted wasm backend). `cargo xtask bench [--quick]`
//! builds it in release mode and runs it; it writes `target/bench/report.md` and
//! `target/bench/report.json`.
//!
//! The rows:
//!
//! 1. [`compile`]: compile throughput of generated modules ([`gen`]), end to end, with peak
//!    memory, beside the floor ([`floor`]: writing the same module with `wasm-encoder` alone).
//! 2. [`link`]: the same program as relocatable objects, linked by `wabe link` and by
//!    `wasm-ld` (Zig's), several runs each.
//! 3. [`incremental`]: one function body changed in a 10,000-function module, updated and
//!    flushed, against a full build.
//! 4. [`quality`]: the programs of `bench/programs/` compiled by wabe and (their `.zig`
//!    twins) by Zig's self-hosted backend and by LLVM, run in wasmi: run time and code size.
//! 5. [`micro`]: microbenchmarks of the hot paths with `divan`.
//!
//! The bench asserts nothing about time. It does check that what it measures is right: the
//! floor writes the same bytes, an incremental update equals a fresh build, both linkers'
//! outputs compute the same result, and every program computes the same answer in all three
//! builds; a row that cannot run says why in the report.
//!
//! Usage: `wabe-bench [--quick] [--root DIR] [--only ROW,...]`. Internal: `wabe-bench --child
//! compile N` (one compile, printing its peak memory) and `wabe-bench --child micro [--quick]`.

mod compile;
mod floor;
mod gen;
mod incremental;
mod link;
mod micro;
mod quality;
mod util;

use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use util::Json;

/// What every row needs to know.
pub struct Env {
    /// `--quick`: every row at a small size.
    pub quick: bool,
    /// The workspace root (for `bench/programs/` and `.tools/`).
    pub root: PathBuf,
    /// Where the report and scratch files go (`target/bench`).
    pub out: PathBuf,
    /// This program (re-executed for the rows that measure peak memory, and for `micro`).
    pub exe: PathBuf,
    /// The `wabe` command built beside this program, if it is there.
    pub wabe: Option<PathBuf>,
    /// The Zig executable of the pinned `ziglang` package in `.tools/python`, if installed.
    pub zig: Option<PathBuf>,
}

impl Env {
    /// `python3 -m ziglang ARGS` with `PYTHONPATH` at `.tools/python`, as the issue words it.
    pub fn python_zig(&self) -> Command {
        let mut c = Command::new("python3");
        c.env("PYTHONPATH", self.root.join(".tools/python"))
            .args(["-m", "ziglang"]);
        c
    }
}

/// One row of the report: its markdown and its JSON.
pub struct Section {
    /// The heading.
    pub title: String,
    /// Markdown under the heading.
    pub md: String,
    /// The numbers.
    pub json: Json,
}

const ROWS: &[&str] = &["compile", "link", "incremental", "quality", "micro"];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    let mut quick = false;
    let mut root: Option<PathBuf> = None;
    let mut only: Vec<String> = ROWS.iter().map(|s| s.to_string()).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--root" => root = Some(PathBuf::from(it.next().context("--root needs a directory")?)),
            "--only" => {
                only = it.next().context("--only needs rows")?.split(',').map(str::to_string).collect();
                if let Some(bad) = only.iter().find(|r| !ROWS.contains(&r.as_str())) {
                    bail!("unknown row `{bad}` (rows: {})", ROWS.join(", "));
                }
            }
            "-h" | "--help" => {
                println!("usage: wabe-bench [--quick] [--root DIR] [--only {}]", ROWS.join(","));
                return Ok(());
            }
            other => bail!("unknown argument `{other}` (usage: wabe-bench [--quick] [--root DIR] [--only ROWS])"),
        }
    }
    let root = match root {
        Some(r) => r,
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()?,
    };
    let exe = std::env::current_exe()?;
    let wabe = exe.with_file_name(format!("wabe{}", std::env::consts::EXE_SUFFIX));
    let zig = root.join(".tools/python/ziglang/zig");
    let env = Env {
        quick,
        out: root.join("target/bench"),
        wabe: wabe.exists().then_some(wabe),
        zig: zig.exists().then_some(zig),
        root,
        exe,
    };
    std::fs::create_dir_all(&env.out)?;

    let started = std::time::Instant::now();
    let mut sections = Vec::new();
    let mut failed = Vec::new();
    for row in ROWS.iter().filter(|r| only.iter().any(|o| o == *r)) {
        eprintln!("wabe-bench: {row}...");
        let t = std::time::Instant::now();
        let r = match *row {
            "compile" => compile::run(&env),
            "link" => link::run(&env),
            "incremental" => incremental::run(&env),
            "quality" => quality::run(&env),
            _ => micro::run(&env),
        };
        eprintln!("wabe-bench: {row} took {}", util::dur(t.elapsed()));
        match r {
            Ok(s) => sections.push(s),
            Err(e) => {
                failed.push(row.to_string());
                sections.push(Section {
                    title: format!("{row}: failed"),
                    md: format!("The row failed: `{e:#}`\n"),
                    json: Json::obj([("error", Json::str(format!("{e:#}")))]),
                });
            }
        }
    }
    write_report(&env, &sections, started.elapsed())?;
    if !failed.is_empty() {
        bail!("rows failed: {}", failed.join(", "));
    }
    Ok(())
}

fn machine() -> (String, Json) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
        })
        .flatten()
        .map(|kib| kib * 1024)
        .unwrap_or(0);
    let text = format!("{cpu}, {cores} cores, {} memory", util::bytes(mem));
    let json = Json::obj([
        ("cpu", Json::str(cpu)),
        ("cores", Json::Num(cores as f64)),
        ("memory_bytes", Json::Num(mem as f64)),
    ]);
    (text, json)
}

fn write_report(env: &Env, sections: &[Section], took: std::time::Duration) -> Result<()> {
    let (machine_text, machine_json) = machine();
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&env.root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# wabe benchmark report{}\n",
        if env.quick { " (--quick)" } else { "" }
    );
    let _ = writeln!(
        md,
        "Machine: {machine_text}. Commit `{rev}` (plus any uncommitted changes). {} The whole run took {}.\n",
        if cfg!(debug_assertions) { "**Debug build: the numbers mean nothing.**" } else { "Release build." },
        util::dur(took)
    );
    md.push_str("Times are medians of several runs; ratios are wabe / the other (below 1× means wabe is faster or smaller). The bench asserts nothing about time.\n\n");
    for s in sections {
        let _ = writeln!(md, "## {}\n", s.title);
        md.push_str(&s.md);
        md.push('\n');
    }
    std::fs::write(env.out.join("report.md"), &md)?;
    let json = Json::obj([
        ("quick", Json::Bool(env.quick)),
        ("machine", machine_json),
        ("commit", Json::str(rev)),
        ("seconds", Json::secs(took)),
        (
            "rows",
            Json::Obj(
                sections
                    .iter()
                    .map(|s| (s.title.clone(), s.json.clone()))
                    .collect(),
            ),
        ),
    ]);
    let mut text = String::new();
    json.write(&mut text, 0);
    text.push('\n');
    std::fs::write(env.out.join("report.json"), text)?;
    eprintln!(
        "wabe-bench: wrote {} and report.json",
        env.out.join("report.md").display()
    );
    print!("{md}");
    Ok(())
}

/// The internal child processes.
fn child(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        Some("compile") => {
            let n: usize = args.get(1).context("--child compile N")?.parse()?;
            compile::child(n)
        }
        Some("micro") => {
            micro::child(args.iter().any(|a| a == "--quick"));
            Ok(())
        }
        _ => bail!("unknown child {args:?}"),
    }
}
