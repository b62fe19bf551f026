//! Row 2: link speed. The generated program is split into modules of 100 functions, each
//! compiled by wabe to a relocatable object (`Compilation::flush_object`, what `wabe build
//! --emit obj` writes); the objects are linked by `wabe link` and by `wasm-ld` (Zig's,
//! `zig wasm-ld`, and through `python3 -m ziglang wasm-ld` as a user would call it), several
//! runs each, as processes reading the objects from disk and writing the module. wabe's object
//! linker is also timed in process (`wabe_link::object::link`, no process start, no file I/O).

use crate::util::{self, dur, median, times, Json};
use crate::{gen, Env, Section};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const PER_OBJECT: usize = 100;

fn run_ok(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Calls `name(5, 200)` in a linked module (no imports) and returns the result.
fn call(wasm: &[u8], name: &str) -> Result<u32> {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, wasm)?;
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module)?;
    let f = instance.get_typed_func::<(i32, i64), i32>(&store, name)?;
    Ok(f.call(&mut store, (5, 200))? as u32)
}

/// Runs the row.
pub fn run(env: &Env) -> Result<Section> {
    let n = if env.quick { 2_000 } else { 10_000 };
    let runs = if env.quick { 3 } else { 7 };
    let dir = env.out.join("link");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;

    // Objects.
    let sources = gen::objects(n, PER_OBJECT);
    let t = Instant::now();
    let mut objects: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let mut m = wabe_air::parse(src).map_err(|e| anyhow::anyhow!("{e}"))?;
        wabe_air::verify(&mut m).map_err(|e| anyhow::anyhow!("{e}"))?;
        let obj = wabe::Compilation::new(&m, &wabe::Options::default())?.flush_object()?;
        objects.push((format!("obj{i:04}.o"), obj));
    }
    let objects_t = t.elapsed();
    let mut paths: Vec<PathBuf> = Vec::new();
    for (name, bytes) in &objects {
        let p = dir.join(name);
        std::fs::write(&p, bytes)?;
        paths.push(p);
    }
    let object_bytes: usize = objects.iter().map(|(_, b)| b.len()).sum();
    let last = gen::entry(gen::units(n) - 1);

    // wabe's linker in process.
    let opts = wabe_link::object::ObjectLinkOptions::default();
    let mut inputs: Vec<Vec<(String, Vec<u8>)>> = (0..runs).map(|_| objects.clone()).collect();
    let mut in_process_out = Vec::new();
    let in_process = median(&times(runs, || {
        let input = inputs.pop().expect("one input per run");
        in_process_out = wabe_link::object::link(input, &opts).expect("wabe links its own objects");
    }));

    // The rows of the table, with each one's time (for the ratio column).
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut secs: Vec<Option<f64>> = Vec::new();
    let mut json = vec![
        ("functions".to_string(), Json::Num(n as f64)),
        ("objects".to_string(), Json::Num(objects.len() as f64)),
        ("object_bytes".to_string(), Json::Num(object_bytes as f64)),
        ("compile_objects_s".to_string(), Json::secs(objects_t)),
        ("runs".to_string(), Json::Num(runs as f64)),
        ("wabe_in_process_s".to_string(), Json::secs(in_process)),
    ];
    let expect = call(&in_process_out, &last).context("running wabe's linked module")?;
    rows.push(vec![
        "`wabe_link::object::link` (in process)".to_string(),
        dur(in_process),
        util::bytes(in_process_out.len() as u64),
        "–".into(),
        format!("{last}(5, 200) = {expect}"),
    ]);
    secs.push(Some(in_process.as_secs_f64()));

    // The processes.
    struct Linker {
        name: &'static str,
        key: &'static str,
        cmd: Command,
        output: PathBuf,
    }
    let mut linkers = Vec::new();
    match &env.wabe {
        Some(wabe) => {
            let output = dir.join("wabe.wasm");
            let mut cmd = Command::new(wabe);
            cmd.arg("link").arg("-o").arg(&output).args(&paths);
            linkers.push(Linker {
                name: "`wabe link`",
                key: "wabe_link",
                cmd,
                output,
            });
        }
        None => {
            rows.push(vec![
                "`wabe link`".into(),
                "not available: the `wabe` command is not built beside wabe-bench".into(),
                "".into(),
                "".into(),
                "".into(),
            ]);
            secs.push(None);
        }
    }
    let wasm_ld_args = |output: &Path| {
        let mut v: Vec<std::ffi::OsString> = vec![
            "wasm-ld".into(),
            "--no-entry".into(),
            "-o".into(),
            output.into(),
        ];
        v.extend(paths.iter().map(|p| p.clone().into_os_string()));
        v
    };
    match &env.zig {
        Some(zig) => {
            let output = dir.join("wasm-ld.wasm");
            let mut cmd = Command::new(zig);
            cmd.args(wasm_ld_args(&output));
            linkers.push(Linker {
                name: "`zig wasm-ld`",
                key: "wasm_ld",
                cmd,
                output,
            });
            let output = dir.join("wasm-ld-python.wasm");
            let mut cmd = env.python_zig();
            cmd.args(wasm_ld_args(&output));
            linkers.push(Linker {
                name: "`python3 -m ziglang wasm-ld`",
                key: "python_wasm_ld",
                cmd,
                output,
            });
        }
        None => {
            rows.push(vec![
                "`wasm-ld`".into(),
                "not available: Zig is not installed in `.tools/python` (run `cargo xtask setup`)"
                    .into(),
                "".into(),
                "".into(),
                "".into(),
            ]);
            secs.push(None);
        }
    }
    let mut wabe_process = None;
    let mut wasm_ld = None;
    for l in &mut linkers {
        run_ok(&mut l.cmd)?; // warm the file cache
        let mut err = None;
        let t = median(&times(runs, || {
            if let Err(e) = run_ok(&mut l.cmd) {
                err = Some(e);
            }
        }));
        if let Some(e) = err {
            return Err(e);
        }
        let out = std::fs::read(&l.output)?;
        let got = call(&out, &last)
            .with_context(|| format!("running the module linked by {}", l.name))?;
        if l.key == "wabe_link" {
            wabe_process = Some(t);
        }
        if l.key == "wasm_ld" {
            wasm_ld = Some(t);
        }
        rows.push(vec![
            l.name.to_string(),
            dur(t),
            util::bytes(out.len() as u64),
            String::new(),
            format!(
                "{last}(5, 200) = {got}{}",
                if got == expect { "" } else { " (DIFFERS)" }
            ),
        ]);
        secs.push(Some(t.as_secs_f64()));
        json.push((format!("{}_s", l.key), Json::secs(t)));
        json.push((
            format!("{}_output_bytes", l.key),
            Json::Num(out.len() as f64),
        ));
        json.push((
            format!("{}_result_matches", l.key),
            Json::Bool(got == expect),
        ));
    }
    // Ratios against `zig wasm-ld`.
    if let Some(base) = wasm_ld {
        for (r, t) in rows.iter_mut().zip(&secs) {
            if let Some(t) = t {
                r[3] = util::ratio(*t, base.as_secs_f64());
            }
        }
        if let Some(w) = wabe_process {
            json.push((
                "wabe_over_wasm_ld".into(),
                Json::Num(w.as_secs_f64() / base.as_secs_f64()),
            ));
        }
        json.push((
            "wabe_in_process_over_wasm_ld".into(),
            Json::Num(in_process.as_secs_f64() / base.as_secs_f64()),
        ));
    }
    let mut md = format!(
        "The program of row 1 with {n} functions, as {} objects of {PER_OBJECT} functions ({} in \
         all, compiled by wabe in {}), calls crossing objects. Each linker runs {runs} times as a \
         process (reading the objects, writing the module) after one warm-up run; both \
         garbage-collect unused sections (their defaults), `--no-entry`. The last column runs the \
         linked module in wasmi. Ratio: the time over `zig wasm-ld`'s.\n\n",
        objects.len(),
        util::bytes(object_bytes as u64),
        dur(objects_t)
    );
    util::table(
        &mut md,
        &["linker", "median", "output", "ratio to wasm-ld", "check"],
        &rows,
    );
    Ok(Section {
        title: "2. Link speed".into(),
        md,
        json: Json::Obj(json),
    })
}
