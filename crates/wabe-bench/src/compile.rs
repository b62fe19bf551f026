//! Row 1: compile throughput of generated modules, end to end, with peak memory, beside the
//! floor (writing the same module with `wasm-encoder` alone, see [`crate::floor`]).

use crate::util::{self, dur, median, times, Json};
use crate::{floor, gen, Env, Section};
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

/// The number of AIR instructions of every function of a module.
pub fn air_instructions(m: &wabe_air::Module) -> usize {
    m.decls
        .iter()
        .map(|d| match &d.kind {
            wabe_air::DeclKind::Fn(f) => f.air.len(),
            _ => 0,
        })
        .sum()
}

/// `--child compile N`: generate, then compile once, printing memory figures (KiB) as
/// `key value` lines.
pub fn child(n: usize) -> Result<()> {
    let src = gen::module(n, None);
    let before = util::proc_status_kib("VmRSS").unwrap_or(0);
    let reset = util::reset_peak_rss();
    let mut m = wabe_air::parse(&src).map_err(|e| anyhow::anyhow!("{e}"))?;
    wabe_air::verify(&mut m).map_err(|e| anyhow::anyhow!("{e}"))?;
    let wasm = wabe::Compilation::new(&m, &wabe::Options::default())?.flush()?;
    let peak = util::proc_status_kib("VmHWM").context("no VmHWM in /proc/self/status")?;
    black_box(wasm);
    println!("source_kib {}", src.len() / 1024);
    println!("rss_before_kib {before}");
    println!("peak_kib {peak}");
    println!("reset {}", reset as u8);
    Ok(())
}

fn peak_memory(env: &Env, n: usize) -> Result<HashMap<String, u64>> {
    let out = std::process::Command::new(&env.exe)
        .args(["--child", "compile", &n.to_string()])
        .output()?;
    if !out.status.success() {
        bail!(
            "the peak-memory child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect())
}

/// Runs the row.
pub fn run(env: &Env) -> Result<Section> {
    let sizes: &[usize] = if env.quick {
        &[2_000]
    } else {
        &[10_000, 100_000]
    };
    let mut rows = Vec::new();
    let mut stage_rows = Vec::new();
    let mut floor_rows = Vec::new();
    let mut json = Vec::new();
    for &n in sizes {
        let runs = if env.quick || n >= 100_000 { 3 } else { 5 };
        let src = gen::module(n, None);
        let (mut parse, mut verify, mut codegen, mut flush, mut total) =
            (vec![], vec![], vec![], vec![], vec![]);
        let mut wasm = Vec::new();
        let mut insts = 0;
        let mut module = None;
        for _ in 0..runs {
            let t0 = Instant::now();
            let mut m = wabe_air::parse(&src).map_err(|e| anyhow::anyhow!("{e}"))?;
            let t1 = Instant::now();
            wabe_air::verify(&mut m).map_err(|e| anyhow::anyhow!("{e}"))?;
            let t2 = Instant::now();
            let mut c = wabe::Compilation::new(&m, &wabe::Options::default())?;
            let t3 = Instant::now();
            wasm = c.flush()?;
            let t4 = Instant::now();
            drop(c);
            parse.push(t1 - t0);
            verify.push(t2 - t1);
            codegen.push(t3 - t2);
            flush.push(t4 - t3);
            total.push(t4 - t0);
            insts = air_instructions(&m);
            module = Some(m);
        }
        // The module is right: it validates and runs.
        wasmparser::validate(&wasm).context("wabe's output does not validate")?;
        let m = module.expect("at least one run");
        let last = gen::entry(gen::units(n) - 1);
        let result = wabe::run::invoke(&m, &wasm, &last, &["5".into(), "200".into()])
            .map_err(|e| anyhow::anyhow!("running {last}: {e}"))?;
        drop(m);

        // The floor.
        let decoded = floor::decode(&wasm)?;
        let same = floor::encode(&decoded) == wasm;
        let floor_t = median(&times(runs.max(5), || {
            black_box(floor::encode(&decoded));
        }));
        let floor_insts = decoded.instructions;
        drop(decoded);

        let mem = peak_memory(env, n)?;
        let peak = mem.get("peak_kib").copied().unwrap_or(0) * 1024;
        let before = mem.get("rss_before_kib").copied().unwrap_or(0) * 1024;
        let source = mem.get("source_kib").copied().unwrap_or(0) * 1024;
        let reset = mem.get("reset").copied() == Some(1);

        let t = median(&total);
        let cf = median(&codegen) + median(&flush);
        let secs = t.as_secs_f64();
        rows.push(vec![
            n.to_string(),
            insts.to_string(),
            util::bytes(src.len() as u64),
            util::bytes(wasm.len() as u64),
            dur(t),
            util::rate(insts as f64 / secs).replace("/s", " inst/s"),
            format!("{}/s", util::bytes((wasm.len() as f64 / secs) as u64)),
            util::bytes(peak),
            format!(
                "{} (source text {})",
                util::bytes(before),
                util::bytes(source)
            ),
        ]);
        stage_rows.push(vec![
            n.to_string(),
            dur(median(&parse)),
            dur(median(&verify)),
            dur(median(&codegen)),
            dur(median(&flush)),
            dur(t),
        ]);
        floor_rows.push(vec![
            n.to_string(),
            floor_insts.to_string(),
            dur(floor_t),
            dur(cf),
            util::ratio(cf.as_secs_f64(), floor_t.as_secs_f64()),
            util::ratio(secs, floor_t.as_secs_f64()),
            if same { "yes".into() } else { "NO".into() },
        ]);
        json.push(Json::obj([
            ("functions", Json::Num(n as f64)),
            ("air_instructions", Json::Num(insts as f64)),
            ("source_bytes", Json::Num(src.len() as f64)),
            ("wasm_bytes", Json::Num(wasm.len() as f64)),
            ("runs", Json::Num(runs as f64)),
            ("parse_s", Json::secs(median(&parse))),
            ("verify_s", Json::secs(median(&verify))),
            ("codegen_s", Json::secs(median(&codegen))),
            ("flush_s", Json::secs(median(&flush))),
            ("total_s", Json::secs(t)),
            ("air_instructions_per_s", Json::Num(insts as f64 / secs)),
            ("output_bytes_per_s", Json::Num(wasm.len() as f64 / secs)),
            ("peak_rss_bytes", Json::Num(peak as f64)),
            ("rss_before_compile_bytes", Json::Num(before as f64)),
            ("peak_reset_worked", Json::Bool(reset)),
            ("floor_wasm_instructions", Json::Num(floor_insts as f64)),
            ("floor_s", Json::secs(floor_t)),
            ("floor_identical_bytes", Json::Bool(same)),
            (
                "codegen_flush_over_floor",
                Json::Num(cf.as_secs_f64() / floor_t.as_secs_f64()),
            ),
            ("total_over_floor", Json::Num(secs / floor_t.as_secs_f64())),
            (
                "check",
                Json::str(format!("{last}(5, 200) = {}", result.values.join(" "))),
            ),
            ("threads", Json::str("not implemented")),
        ]));
    }
    let mut md = String::new();
    md.push_str(
        "Generated modules (`crates/wabe-bench/src/gen.rs`): units of five functions mixing integer \
         loops over stack slots, a struct of three `f64` by value (sret), a loop over a slice of a \
         16-entry constant table, an error union and a `switch_br` on its error, a call through a \
         function pointer, a direct call of the previous unit, and a dense `switch_br`. Compiled end \
         to end (parse → verify → `Compilation::new` (declare + funcgen + declgen) → `flush`), one \
         thread.\n\n",
    );
    util::table(
        &mut md,
        &[
            "functions",
            "AIR insts",
            "source",
            "wasm",
            "total",
            "AIR insts/s",
            "output/s",
            "peak RSS",
            "RSS before compile",
        ],
        &rows,
    );
    md.push_str("Stages (medians):\n\n");
    util::table(
        &mut md,
        &["functions", "parse", "verify", "codegen", "flush", "total"],
        &stage_rows,
    );
    md.push_str(
        "Peak RSS is `VmHWM` of a child process that generates the source, resets the peak \
         (`/proc/self/clear_refs`), then compiles once; it includes the source text and the \
         output.\n\n\
         **Codegen across threads: not available** — wabe has no parallel code generation yet \
         (`Compilation::new` generates functions one after another on one thread).\n\n\
         **The floor**: the final module is decoded with `wasmparser` into `wasm-encoder` values \
         (types, imports, functions, table, memory, globals, exports, every body as \
         `wasm_encoder::Instruction`s, data); the timed part writes them back with `wasm-encoder` \
         alone (element and custom sections copied raw), which yields byte-identical output. It is \
         the cost of writing the module once every instruction and index is known.\n\n",
    );
    util::table(
        &mut md,
        &[
            "functions",
            "wasm insts",
            "floor (encode)",
            "wabe codegen + flush",
            "ratio",
            "wabe total / floor",
            "identical bytes",
        ],
        &floor_rows,
    );
    Ok(Section {
        title: "1. Compile throughput".into(),
        md,
        json: Json::Arr(json),
    })
}
