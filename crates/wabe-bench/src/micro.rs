//! Row 5: microbenchmarks of the hot paths with `divan`, on one generated module of
//! [`FUNCTIONS`] functions: `parse` (text → AIR), `verify`, `funcgen` (AIR → MIR for every
//! function, with a context that only hands out indices), `emit` (MIR → code-section bodies),
//! `flush` (the linker's layout and module writer, on a compilation already generated),
//! `link` (wabe's object linker on the module split into objects of 100 functions), and
//! `compile` (the whole of `wabe::compile_str`).
//!
//! The benchmarks run in a child process (`wabe-bench --child micro`), whose divan table the
//! report embeds; the parent reads each median back for the JSON.

use crate::util::{self, Json};
use crate::{gen, Env, Section};
use anyhow::{bail, Result};
use std::sync::LazyLock;
use std::time::Duration;
use wabe_mir::{MirFunction, ValType};

/// The size of the benchmarks' module.
pub const FUNCTIONS: usize = 500;

static SRC: LazyLock<String> = LazyLock::new(|| gen::module(FUNCTIONS, None));
static PARSED: LazyLock<wabe_air::Module> =
    LazyLock::new(|| wabe_air::parse(&SRC).expect("generated module parses"));
static VERIFIED: LazyLock<wabe_air::Module> = LazyLock::new(|| {
    let mut m = PARSED.clone();
    wabe_air::verify(&mut m).expect("generated module verifies");
    m
});
static MIR: LazyLock<Vec<MirFunction>> = LazyLock::new(|| funcgen_all(&VERIFIED));
static OBJECTS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    gen::objects(FUNCTIONS, 100)
        .iter()
        .enumerate()
        .map(|(i, src)| {
            let out =
                wabe::compile_str(src, &wabe::Options::default()).expect("object source compiles");
            let obj = wabe::Compilation::new(&out.module, &wabe::Options::default())
                .and_then(|mut c| c.flush_object())
                .expect("object");
            (format!("obj{i}.o"), obj)
        })
        .collect()
});

/// A funcgen context that only hands out indices: declaration `i` is symbol `i`, function
/// types are numbered in order of first use, and each by-reference constant operand gets a
/// new data symbol without its bytes being written (that is declgen's and the linker's work).
/// The generated module needs nothing else.
#[derive(Default)]
struct IndexCtx {
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    constants: u32,
}

impl wabe_funcgen::Context for IndexCtx {
    fn decl_symbol(&mut self, decl: wabe_air::DeclIndex) -> wabe_mir::SymbolIndex {
        wabe_mir::SymbolIndex(decl.0)
    }
    fn stack_pointer(&mut self) -> wabe_mir::SymbolIndex {
        wabe_mir::SymbolIndex(u32::MAX - 1)
    }
    fn func_type_index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        match self
            .types
            .iter()
            .position(|(p, r)| p == params && r == results)
        {
            Some(i) => i as u32,
            None => {
                self.types.push((params.to_vec(), results.to_vec()));
                self.types.len() as u32 - 1
            }
        }
    }
    fn lower_constant(
        &mut self,
        _: wabe_types::TypeId,
        _: &wabe_types::Value,
    ) -> Result<wabe_mir::SymbolIndex, String> {
        self.constants += 1;
        Ok(wabe_mir::SymbolIndex(u32::MAX / 2 + self.constants))
    }
}

fn funcgen_all(m: &wabe_air::Module) -> Vec<MirFunction> {
    let mut ctx = IndexCtx::default();
    let opts = wabe_funcgen::Options::default();
    (0..m.decls.len())
        .filter(|&i| matches!(m.decls[i].kind, wabe_air::DeclKind::Fn(_)))
        .map(|i| {
            wabe_funcgen::generate(m, wabe_air::DeclIndex(i as u32), &mut ctx, &opts)
                .expect("funcgen")
        })
        .collect()
}

/// Resolves every symbol to its own number (the emitter's defaults).
struct Ids;
impl wabe_mir::Resolver for Ids {}

#[divan::bench]
fn parse() -> wabe_air::Module {
    wabe_air::parse(divan::black_box(&SRC)).expect("parses")
}

#[divan::bench]
fn verify(b: divan::Bencher) {
    b.with_inputs(|| PARSED.clone())
        .bench_local_values(|mut m| {
            wabe_air::verify(&mut m).expect("verifies");
            m
        });
}

#[divan::bench]
fn funcgen() -> Vec<MirFunction> {
    funcgen_all(divan::black_box(&VERIFIED))
}

#[divan::bench]
fn emit(b: divan::Bencher) {
    let mut out = Vec::with_capacity(1 << 20);
    b.bench_local(|| {
        out.clear();
        for f in MIR.iter() {
            wabe_mir::emit_body(f, &Ids, false, &mut out, None).expect("emits");
        }
        out.len()
    });
}

#[divan::bench]
fn flush(b: divan::Bencher) {
    let mut c = wabe::Compilation::new(&VERIFIED, &wabe::Options::default()).expect("compiles");
    b.bench_local(|| c.flush().expect("flushes"));
}

#[divan::bench]
fn link(b: divan::Bencher) {
    let opts = wabe_link::object::ObjectLinkOptions::default();
    b.with_inputs(|| OBJECTS.clone())
        .bench_local_values(|objs| wabe_link::object::link(objs, &opts).expect("links"));
}

#[divan::bench]
fn compile() -> wabe::Output {
    wabe::compile_str(divan::black_box(&SRC), &wabe::Options::default()).expect("compiles")
}

/// `--child micro`: prepares the inputs, then runs the benchmarks, printing divan's table.
pub fn child(quick: bool) {
    LazyLock::force(&MIR);
    LazyLock::force(&OBJECTS);
    divan::Divan::default()
        .color(false)
        .sample_count(if quick { 20 } else { 100 })
        .max_time(Duration::from_millis(if quick { 400 } else { 3000 }))
        .run_benches();
}

/// Reads a divan time (`1.234 ms`) as seconds.
fn seconds(s: &str) -> Option<f64> {
    let (v, unit) = s.trim().split_once(' ')?;
    let v: f64 = v.parse().ok()?;
    Some(
        v * match unit {
            "ns" => 1e-9,
            "µs" | "us" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            _ => return None,
        },
    )
}

/// Runs the row.
pub fn run(env: &Env) -> Result<Section> {
    let mut cmd = std::process::Command::new(&env.exe);
    cmd.args(["--child", "micro"]);
    if env.quick {
        cmd.arg("--quick");
    }
    let out = cmd.output()?;
    if !out.status.success() {
        bail!(
            "the micro child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    let names = [
        "compile", "emit", "flush", "funcgen", "link", "parse", "verify",
    ];
    let air = crate::compile::air_instructions(&VERIFIED);
    let mut rows = Vec::new();
    let mut json = Vec::new();
    for line in table.lines() {
        let cols: Vec<&str> = line.split('│').collect();
        if cols.len() < 4 {
            continue;
        }
        let first = cols[0].trim_start_matches(|c: char| c.is_whitespace() || "├╰─│".contains(c));
        let Some((name, fastest)) = first.split_once(' ') else {
            continue;
        };
        if !names.contains(&name) {
            continue;
        }
        let median = cols[2].trim();
        let Some(secs) = seconds(median) else {
            continue;
        };
        let per = match name {
            "parse" | "verify" | "funcgen" | "compile" => {
                util::rate(air as f64 / secs).replace("/s", " AIR inst/s")
            }
            _ => "".into(),
        };
        rows.push(vec![
            format!("`{name}`"),
            fastest.trim().to_string(),
            median.to_string(),
            per,
        ]);
        json.push((
            name.to_string(),
            Json::obj([
                ("median_s", Json::Num(secs)),
                ("fastest", Json::str(fastest.trim())),
            ]),
        ));
    }
    if rows.len() != names.len() {
        bail!("could not read every benchmark from divan's output:\n{table}");
    }
    let mut md = format!(
        "`divan` benchmarks of the hot paths on one generated module of {FUNCTIONS} functions \
         ({air} AIR instructions); `link` links it as {} objects of 100 functions. Each runs in a \
         child process.\n\n",
        OBJECTS.len()
    );
    util::table(&mut md, &["path", "fastest", "median", "throughput"], &rows);
    md.push_str("divan's table:\n\n```text\n");
    md.push_str(table.trim_end());
    md.push_str("\n```\n");
    Ok(Section {
        title: "5. Microbenchmarks".into(),
        md,
        json: Json::Obj(json),
    })
}
