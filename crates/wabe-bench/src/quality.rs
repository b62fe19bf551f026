//! Row 4: code quality. Each program of `bench/programs/` is an `.air` file exporting
//! `run(n)`, with a header naming its argument (`// bench: run 30`, and `// quick: run 22` for
//! `--quick`); beside it, `NAME.zig` is the same program in Zig. wabe compiles the `.air`; Zig
//! compiles the `.zig` twice, with its self-hosted backend (`-fno-llvm -fno-lld`) and with
//! LLVM, both `-O ReleaseFast -fstrip` for `wasm32-freestanding`. Every module runs in wasmi
//! (eager translation; only the call is timed, on a fresh instance each run); the answers must
//! agree. Reported: run time, code-section and module sizes, and wabe's ratios to both.

use crate::util::{self, dur, median, Json};
use crate::{Env, Section};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

struct Build {
    wasm: Vec<u8>,
    result: String,
    time: Duration,
}

/// The size of the code section.
fn code_size(wasm: &[u8]) -> Result<usize> {
    for p in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionStart {
            unchecked_range: range,
            ..
        } = p?
        {
            return Ok((range.end - range.start) as usize);
        }
    }
    Ok(0)
}

/// Runs `run(arg)` up to `runs` times, each on a fresh instance, timing the call only; stops
/// early once the runs took `budget` in all (a very slow build gets fewer runs).
fn measure(wasm: &[u8], arg: u32, runs: usize, budget: Duration) -> Result<(String, Duration)> {
    let mut config = wasmi::Config::default();
    config.compilation_mode(wasmi::CompilationMode::Eager);
    let engine = wasmi::Engine::new(&config);
    let module = wasmi::Module::new(&engine, wasm)?;
    let mut times = Vec::new();
    let mut result = String::new();
    for _ in 0..runs {
        let mut store = wasmi::Store::new(&engine, ());
        let instance =
            wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module)?;
        let f = instance
            .get_func(&store, "run")
            .context("no export `run`")?;
        let mut out = [wasmi::Val::I32(0)];
        let t = Instant::now();
        f.call(&mut store, &[wasmi::Val::I32(arg as i32)], &mut out)?;
        times.push(t.elapsed());
        let spent: Duration = times.iter().sum();
        result = match out[0] {
            wasmi::Val::I32(x) => (x as u32).to_string(),
            wasmi::Val::I64(x) => (x as u64).to_string(),
            wasmi::Val::F32(x) => format!("{:?}", f32::from(x)),
            wasmi::Val::F64(x) => format!("{:?}", f64::from(x)),
            ref other => format!("{other:?}"),
        };
        if spent > budget {
            break;
        }
    }
    Ok((result, median(&times)))
}

fn zig_build(env: &Env, zig_src: &Path, out: &Path, self_hosted: bool) -> Result<Vec<u8>> {
    let mut cmd = env.python_zig();
    cmd.arg("build-exe")
        .arg(zig_src)
        .args([
            "-target",
            "wasm32-freestanding",
            "-fno-entry",
            "-rdynamic",
            "-O",
            "ReleaseFast",
            "-fstrip",
        ])
        // Zig 0.15.2's self-hosted linker writes the initial `__stack_pointer` of the default
        // 1 MiB stack as an unsigned LEB (`80 80 40`, which reads as -1 MiB), so every program
        // that uses its stack traps; a 2 MiB stack encodes the same either way.
        .args(["--stack", "2097152"]);
    if self_hosted {
        cmd.args(["-fno-llvm", "-fno-lld"]);
    }
    cmd.arg(format!("-femit-bin={}", out.display()));
    let o = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !o.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(std::fs::read(out)?)
}

fn header_arg(src: &str, key: &str) -> Option<u32> {
    src.lines().find_map(|l| {
        l.strip_prefix(key)?
            .trim()
            .strip_prefix("run")?
            .trim()
            .parse()
            .ok()
    })
}

/// Runs the row.
pub fn run(env: &Env) -> Result<Section> {
    let dir = env.root.join("bench/programs");
    let out_dir = env.out.join("quality");
    std::fs::create_dir_all(&out_dir)?;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .into_string()
                .ok()?
                .strip_suffix(".air")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let runs = if env.quick { 3 } else { 5 };
    let budget = Duration::from_secs(if env.quick { 1 } else { 10 });
    let mut time_rows = Vec::new();
    let mut size_rows = Vec::new();
    let mut json = Vec::new();
    let mut notes = Vec::new();
    for name in &names {
        let src = std::fs::read_to_string(dir.join(format!("{name}.air")))?;
        let arg = header_arg(&src, if env.quick { "// quick:" } else { "// bench:" })
            .or_else(|| header_arg(&src, "// bench:"))
            .with_context(|| format!("{name}.air has no `// bench: run ARG` line"))?;
        let out = wabe::compile_str(&src, &wabe::Options::default())
            .map_err(|e| anyhow::anyhow!("{name}.air: {e}"))?;
        let (result, time) =
            measure(&out.wasm, arg, runs, budget).with_context(|| format!("running {name}.air"))?;
        let wabe = Build {
            wasm: out.wasm,
            result,
            time,
        };
        let zig_src = dir.join(format!("{name}.zig"));
        let mut zig: Vec<Option<Build>> = vec![None, None];
        if !zig_src.exists() {
            notes.push(format!(
                "`{name}`: no `{name}.zig` beside it, so no Zig columns."
            ));
        } else if env.zig.is_none() {
            notes.push(format!(
                "`{name}`: Zig is not installed (`cargo xtask setup`), so no Zig columns."
            ));
        } else {
            for (i, self_hosted) in [true, false].into_iter().enumerate() {
                let tag = if self_hosted { "zig-self" } else { "zig-llvm" };
                let path = out_dir.join(format!("{name}-{tag}.wasm"));
                match zig_build(env, &zig_src, &path, self_hosted).and_then(|wasm| {
                    measure(&wasm, arg, runs, budget).map(|(result, time)| Build {
                        wasm,
                        result,
                        time,
                    })
                }) {
                    Ok(b) => zig[i] = Some(b),
                    Err(e) => notes.push(format!("`{name}` with {tag}: not available: {e:#}")),
                }
            }
        }
        for (b, tag) in zig.iter().zip(["Zig self-hosted", "Zig LLVM"]) {
            if let Some(b) = b {
                if b.result != wabe.result {
                    notes.push(format!(
                        "`{name}`: DIFFERENT ANSWERS: wabe {} but {tag} {}",
                        wabe.result, b.result
                    ));
                }
            }
        }
        let t = |b: &Option<Build>| b.as_ref().map_or("–".into(), |b| dur(b.time));
        let rt = |b: &Option<Build>| {
            b.as_ref().map_or("–".into(), |b| {
                util::ratio(wabe.time.as_secs_f64(), b.time.as_secs_f64())
            })
        };
        time_rows.push(vec![
            format!("`{name}`"),
            arg.to_string(),
            wabe.result.clone(),
            dur(wabe.time),
            t(&zig[0]),
            t(&zig[1]),
            rt(&zig[0]),
            rt(&zig[1]),
        ]);
        let wc = code_size(&wabe.wasm)?;
        let cs = |b: &Option<Build>| -> Result<String> {
            Ok(match b {
                Some(b) => format!("{} / {}", code_size(&b.wasm)?, b.wasm.len()),
                None => "–".into(),
            })
        };
        let rc = |b: &Option<Build>| -> Result<String> {
            Ok(match b {
                Some(b) => util::ratio(wc as f64, code_size(&b.wasm)? as f64),
                None => "–".into(),
            })
        };
        size_rows.push(vec![
            format!("`{name}`"),
            format!("{wc} / {}", wabe.wasm.len()),
            cs(&zig[0])?,
            cs(&zig[1])?,
            rc(&zig[0])?,
            rc(&zig[1])?,
        ]);
        let bj = |b: &Option<Build>| -> Result<Json> {
            Ok(match b {
                Some(b) => Json::obj([
                    ("result", Json::str(b.result.clone())),
                    ("run_s", Json::secs(b.time)),
                    ("code_bytes", Json::Num(code_size(&b.wasm)? as f64)),
                    ("module_bytes", Json::Num(b.wasm.len() as f64)),
                ]),
                None => Json::Null,
            })
        };
        json.push((
            name.clone(),
            Json::obj([
                ("arg", Json::Num(arg as f64)),
                (
                    "wabe",
                    Json::obj([
                        ("result", Json::str(wabe.result.clone())),
                        ("run_s", Json::secs(wabe.time)),
                        ("code_bytes", Json::Num(wc as f64)),
                        ("module_bytes", Json::Num(wabe.wasm.len() as f64)),
                    ]),
                ),
                ("zig_self_hosted", bj(&zig[0])?),
                ("zig_llvm", bj(&zig[1])?),
            ]),
        ));
    }
    let mut md = format!(
        "Programs in `bench/programs/` (`.air` for wabe, `.zig` for Zig 0.15.2, `-O ReleaseFast \
         -fstrip`, self-hosted `-fno-llvm -fno-lld` and LLVM), each `run(n)` called in wasmi \
         (an interpreter: it rewards fewer executed instructions, not register allocation; eager \
         translation, the call alone timed, median of up to {runs} runs on fresh instances, fewer once they took {budget:?}). Ratios are \
         wabe / Zig.\n\n",
    );
    util::table(
        &mut md,
        &[
            "program",
            "n",
            "answer",
            "wabe",
            "Zig self-hosted",
            "Zig LLVM",
            "wabe / self-hosted",
            "wabe / LLVM",
        ],
        &time_rows,
    );
    md.push_str("Code size, bytes of the code section / of the whole module:\n\n");
    util::table(
        &mut md,
        &[
            "program",
            "wabe",
            "Zig self-hosted",
            "Zig LLVM",
            "code wabe / self-hosted",
            "code wabe / LLVM",
        ],
        &size_rows,
    );
    if notes.is_empty() {
        md.push_str("All three builds of every program compute the same answer.\n");
    } else {
        for n in &notes {
            md.push_str(&format!("- {n}\n"));
        }
    }
    Ok(Section {
        title: "4. Code quality".into(),
        md,
        json: Json::obj([
            ("programs", Json::Obj(json)),
            (
                "notes",
                Json::Arr(notes.into_iter().map(Json::Str).collect()),
            ),
        ]),
    })
}
