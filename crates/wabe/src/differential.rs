//! Differential testing: a generated program is run twice, once compiled to wasm in the
//! embedded runtime and once in the reference interpreter (`wabe-interp`), and the two readings
//! must agree on everything observable: the lines printed through the `print_*` imports,
//! `main`'s result, and whether the run trapped (NaNs compare as NaNs: both sides print them as
//! `NaN`).
//!
//! The final memory of every `const` and `var` is compared too (issue 6, item 3): after a run
//! that returned, each global's bytes are read from the interpreter's memory and from the wasm
//! instance's memory (at the address the linker gave it, [`crate::Compilation::data_address`])
//! and rendered as text by its type ([`render_globals`]), and the two renderings must be equal.
//! The rendering reads only what a program could observe: fields, elements, the payload of an
//! optional only when it is non-null, of an error union only without an error, of a tagged
//! union only its active field (bare unions are skipped: which field is live is not in memory);
//! padding is never read. Integers are rendered from all their bytes, so that the normalized
//! representation in memory is checked too; NaNs of one float type are equal whatever their
//! payload. Pointers differ by layout, so they are *translated*: a data pointer is rendered as
//! the declaration it points into and the offset (`@g2+4`; the end of a declaration is matched
//! only when no declaration contains the address), a function pointer as the function's name,
//! null as `null`, and an address outside every declaration (anonymous data such as string
//! literals, or the stack) as `?`. The elements of an empty slice are not read, nor its pointer.
//!
//! Programs come from `wabe-fuzzgen`. A program that hits illegal behaviour in the interpreter
//! (an `add` that overflows, ...) or runs out of its step budget is *discarded*: its compiled
//! behaviour is allowed to be anything. A program the compiler rejects as `unsupported` is
//! counted apart; any other compile error of a verified program is a failure.
//!
//! On a mismatch the program is shrunk ([`shrink`]): first the generator's input bytes (fewer
//! bytes make smaller programs), then the text line by line (keeping only versions that still
//! verify and still disagree). The result is written as a `.air` file with `// run:` and the
//! interpreter's `// expect:` lines, ready for `wabe run FILE --invoke main ARGS` and, once
//! checked by hand, for `tests/programs/`.
//!
//! A bounded run (500 programs, a fixed seed) is a unit test of this module, so
//! `cargo xtask test` catches regressions; `WABE_DIFF_SECONDS`, `WABE_DIFF_COUNT`,
//! `WABE_DIFF_SEED` and `WABE_DIFF_OUT` make it a longer fuzzing session (see `cargo xtask
//! fuzz`).

use crate::run::{invoke_with_memory, RunError};
use arbitrary::Unstructured;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wabe_air::{DeclIndex, DeclKind, Module};
use wabe_fuzzgen::{generate, Config, Program};
use wabe_interp::{Limits, PrintHost, Stop};
use wabe_types::{PtrSize, TypeId, TypeKey};

/// What a run showed: printed lines, then either results or a trap, and the final values of
/// the globals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// Lines printed through the `print_*` imports.
    pub printed: Vec<String>,
    /// `Ok(results)` or `Err(trap reason)`.
    pub outcome: Result<Vec<String>, String>,
    /// The final value of each global in memory, rendered by [`render_globals`] (empty after
    /// a trap).
    pub globals: Vec<String>,
}

impl Observed {
    /// Whether two runs agree: the same lines, results and globals, or the same lines and
    /// both trapped (trap messages differ between the engines and are not compared).
    pub fn agrees_with(&self, other: &Observed) -> bool {
        self.printed == other.printed
            && match (&self.outcome, &other.outcome) {
                (Ok(a), Ok(b)) => a == b && self.globals == other.globals,
                (Err(_), Err(_)) => true,
                _ => false,
            }
    }

    /// The `// expect:` / `// trap:` lines of a program file.
    pub fn expect_lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .printed
            .iter()
            .map(|l| format!("expect: {l}"))
            .collect();
        match &self.outcome {
            Ok(results) => v.extend(results.iter().map(|l| format!("expect: {l}"))),
            Err(reason) => v.push(format!("trap: {reason}")),
        }
        v
    }
}

/// The verdict on one program.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Both readings agree.
    Match,
    /// The interpreter found illegal behaviour or ran out of steps: not compared.
    Discarded(String),
    /// The compiler does not support something the program uses (yet).
    Unsupported(String),
    /// The program does not parse or verify: a generator bug.
    Invalid(String),
    /// The compiler failed on a verified program, or produced a module that does not load.
    CompileError(String),
    /// The readings disagree.
    Mismatch {
        /// What the interpreter saw.
        interp: Observed,
        /// What the compiled module did.
        wasm: Observed,
    },
}

impl Verdict {
    /// Whether this verdict is a failure to report (a mismatch, a compile error, an invalid
    /// program).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Verdict::Mismatch { .. } | Verdict::CompileError(_) | Verdict::Invalid(_)
        )
    }
}

/// The interpreter's step budget for one generated program.
pub const STEP_LIMIT: u64 = 200_000;

/// Runs a program both ways and compares.
pub fn check_program(p: &Program) -> Verdict {
    let mut module = match wabe_air::parse(&p.text) {
        Ok(m) => m,
        Err(e) => return Verdict::Invalid(e.to_string()),
    };
    if let Err(e) = wabe_air::verify(&mut module) {
        return Verdict::Invalid(e.to_string());
    }
    let mut host = PrintHost::default();
    let limits = Limits {
        max_steps: STEP_LIMIT,
        ..Limits::default()
    };
    let mut it = match wabe_interp::Interpreter::new(&module, limits) {
        Ok(it) => it,
        Err(e) => return Verdict::Invalid(format!("the interpreter: {e}")),
    };
    let interp = match wabe_interp::run_in(&mut it, &module, &mut host, &p.entry, &p.args) {
        // (The globals are rendered below, once the linker has said which it kept.)
        Ok(r) => Observed {
            printed: host.printed,
            outcome: Ok(r.values),
            globals: Vec::new(),
        },
        Err(Stop::Trap(reason)) => Observed {
            printed: host.printed,
            outcome: Err(reason),
            globals: Vec::new(),
        },
        Err(Stop::Illegal(what)) => {
            return Verdict::Discarded(format!("illegal behaviour: {what}"))
        }
        Err(Stop::StepLimit(n)) => return Verdict::Discarded(format!("more than {n} steps")),
        Err(e) => return Verdict::Invalid(format!("the interpreter: {e}")),
    };
    let mut compilation = match crate::Compilation::new(&module, &crate::Options::default()) {
        Ok(c) => c,
        Err(e) => return compile_failure(e),
    };
    let wasm = match compilation.flush() {
        Ok(w) => w,
        Err(e) => return compile_failure(e),
    };
    let mut interp = interp;
    let wasm = match invoke_with_memory(&module, &wasm, &p.entry, &p.args) {
        Ok((r, memory)) => {
            // Globals the linker left out (nothing refers to them) cannot be observed.
            let view = Layout::of_compilation(&module, &compilation);
            let mut iview = Layout::of_interpreter(&module, &it);
            for (i, a) in iview.data.iter_mut().enumerate() {
                if view.data[i].is_none() {
                    *a = None;
                }
            }
            if interp.outcome.is_ok() {
                interp.globals = render_globals(&module, it.memory(), &iview);
            }
            Observed {
                printed: r.printed,
                outcome: Ok(r.values),
                globals: render_globals(&module, &memory, &view),
            }
        }
        Err(RunError::Trap { reason, printed }) => Observed {
            printed,
            outcome: Err(reason),
            globals: Vec::new(),
        },
        Err(e) => return Verdict::CompileError(format!("the compiled module: {e}")),
    };
    if interp.agrees_with(&wasm) {
        Verdict::Match
    } else {
        Verdict::Mismatch { interp, wasm }
    }
}

fn compile_failure(e: crate::Error) -> Verdict {
    let msg = e.to_string();
    if msg.contains("unsupported") {
        Verdict::Unsupported(msg)
    } else {
        Verdict::CompileError(msg)
    }
}

/// Where one reading put the declarations: the data address of each `const`/`var` (`None`
/// when it is not in memory) and the function-pointer value of each function.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Per declaration, the data address.
    pub data: Vec<Option<u64>>,
    /// Per declaration, the table index (function pointer value).
    pub table: Vec<Option<u64>>,
}

impl Layout {
    /// The interpreter's layout.
    pub fn of_interpreter(module: &Module, it: &wabe_interp::Interpreter<'_>) -> Layout {
        let mut l = Layout::default();
        for (i, d) in module.decls.iter().enumerate() {
            let a = it.decl_address(DeclIndex(i as u32));
            let is_data = matches!(d.kind, DeclKind::Const(_) | DeclKind::Var(_));
            l.data.push(is_data.then_some(a));
            l.table.push((!is_data).then_some(a));
        }
        l
    }

    /// The layout of a flushed compilation.
    pub fn of_compilation(module: &Module, c: &crate::Compilation<'_>) -> Layout {
        let mut l = Layout::default();
        for i in 0..module.decls.len() {
            let d = DeclIndex(i as u32);
            l.data.push(c.data_address(d));
            l.table.push(c.table_index(d).map(u64::from));
        }
        l
    }
}

/// The final value of every `const` and `var` placed in `memory` by `layout`, one line each
/// (`NAME = VALUE`), read as described in the module docs.
pub fn render_globals(module: &Module, memory: &[u8], layout: &Layout) -> Vec<String> {
    let r = Render {
        module,
        memory,
        layout,
    };
    let mut out = Vec::new();
    for (i, d) in module.decls.iter().enumerate() {
        let (DeclKind::Const(g) | DeclKind::Var(g)) = &d.kind else {
            continue;
        };
        let Some(addr) = layout.data[i] else {
            continue;
        };
        let mut s = String::new();
        r.value(g.ty, addr, &mut s, 0);
        out.push(format!("{} = {s}", module.name_str(d.name)));
    }
    out
}

struct Render<'a> {
    module: &'a Module,
    memory: &'a [u8],
    layout: &'a Layout,
}

impl Render<'_> {
    fn bytes(&self, addr: u64, len: u64) -> Option<&[u8]> {
        let end = addr.checked_add(len)?;
        self.memory.get(addr as usize..end as usize)
    }

    fn uint(&self, addr: u64, len: u64) -> Option<u64> {
        let b = self.bytes(addr, len.min(8))?;
        Some(b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | x as u64))
    }

    fn data_pointer(&self, p: u64) -> String {
        if p == 0 {
            return "null".into();
        }
        let pool = &self.module.types;
        let mut end_match = None;
        for (i, d) in self.module.decls.iter().enumerate() {
            let (DeclKind::Const(g) | DeclKind::Var(g)) = &d.kind else {
                continue;
            };
            let Some(a) = self.layout.data[i] else {
                continue;
            };
            let size = pool.abi_size(g.ty);
            let name = self.module.name_str(d.name);
            if p >= a && p - a < size {
                return format!("@{name}+{}", p - a);
            }
            if p == a + size && end_match.is_none() {
                end_match = Some(format!("@{name}+{size}"));
            }
        }
        end_match.unwrap_or_else(|| "?".into())
    }

    fn fn_pointer(&self, p: u64) -> String {
        if p == 0 {
            return "null".into();
        }
        match self.layout.table.iter().position(|&t| t == Some(p)) {
            Some(i) => format!("@{}", self.module.name_str(self.module.decls[i].name)),
            None => "?".into(),
        }
    }

    fn pointer(&self, ptr_ty: TypeId, addr: u64, out: &mut String) {
        let pool = &self.module.types;
        let size = pool.target().ptr_size();
        let Some(p) = self.uint(addr, size) else {
            out.push_str("<out of memory>");
            return;
        };
        let to_fn = pool
            .ptr_info(ptr_ty)
            .is_some_and(|i| matches!(pool.key(i.child), TypeKey::Fn { .. }));
        out.push_str(&if to_fn {
            self.fn_pointer(p)
        } else {
            self.data_pointer(p)
        });
    }

    fn value(&self, ty: TypeId, addr: u64, out: &mut String, depth: u32) {
        let pool = &self.module.types;
        let size = pool.abi_size(ty);
        if size == 0 {
            out.push_str("{}");
            return;
        }
        if depth > 64 {
            out.push_str("...");
            return;
        }
        match pool.key(ty) {
            TypeKey::Float(f) => {
                let Some(b) = self.bytes(addr, size) else {
                    out.push_str("<out of memory>");
                    return;
                };
                let mut raw = [0u8; 16];
                raw[..b.len().min(16)].copy_from_slice(&b[..b.len().min(16)]);
                let bits = u128::from_le_bytes(raw);
                let x = wabe_interp::float::to_f64(*f, bits);
                if x.is_nan() {
                    out.push_str("nan");
                } else {
                    let _ = write!(out, "{x:?}");
                }
            }
            TypeKey::Pointer {
                size: PtrSize::Slice,
                ..
            } => {
                let w = pool.target().ptr_size();
                let len = self.uint(addr + w, w).unwrap_or(0);
                if len == 0 {
                    out.push_str("[]");
                } else {
                    out.push('[');
                    self.pointer(ty, addr, out);
                    let _ = write!(out, "; {len}]");
                }
            }
            TypeKey::Pointer { .. } => self.pointer(ty, addr, out),
            TypeKey::Array { len, elem } => {
                let esize = pool.abi_size(*elem);
                out.push('[');
                for i in 0..*len {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.value(*elem, addr + i * esize, out, depth + 1);
                }
                out.push(']');
            }
            TypeKey::Struct { fields, .. } => {
                out.push('{');
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.value(f.ty, addr + pool.field_offset(ty, i), out, depth + 1);
                }
                out.push('}');
            }
            TypeKey::Optional(child) => {
                if pool.is_pointer_like_optional(ty) {
                    self.pointer(*child, addr, out);
                    return;
                }
                match self.uint(addr + pool.optional_flag_offset(ty), 1) {
                    Some(0) => out.push_str("null"),
                    Some(1) => self.value(*child, addr, out, depth + 1),
                    other => {
                        let _ = write!(out, "<flag {other:?}>");
                    }
                }
            }
            TypeKey::ErrorUnion { error, payload } => {
                let (eoff, poff) = pool.error_union_offsets(ty);
                let e = self.uint(addr + eoff, pool.abi_size(*error)).unwrap_or(0);
                if e != 0 || !pool.has_runtime_bits(*payload) {
                    let _ = write!(out, "error {e}");
                } else {
                    self.value(*payload, addr + poff, out, depth + 1);
                }
            }
            TypeKey::Union { tag: Some(tag), .. } => {
                let toff = pool.union_tag_offset(ty);
                let tsize = pool.abi_size(*tag);
                let t = if tsize == 0 {
                    0
                } else {
                    self.uint(addr + toff, tsize).unwrap_or(u64::MAX)
                };
                let field = (0..pool.union_fields(ty).len()).find(|&i| {
                    pool.union_field_tag(ty, i)
                        .is_some_and(|v| v.to_u64() == Some(t))
                });
                match field {
                    Some(i) => {
                        let name = pool.names.resolve(pool.union_fields(ty)[i].name);
                        let _ = write!(out, ".{name} = ");
                        let fty = pool.union_fields(ty)[i].ty;
                        self.value(fty, addr + pool.union_payload_offset(ty), out, depth + 1);
                    }
                    None => {
                        let _ = write!(out, "<tag {t}>");
                    }
                }
            }
            TypeKey::Union { tag: None, .. } => out.push_str("<bare union>"),
            TypeKey::Bool => {
                let _ = write!(out, "{}", self.uint(addr, 1).unwrap_or(u64::MAX));
            }
            _ => {
                // Integers, enums, error sets: all their bytes, most significant first.
                match self.bytes(addr, size) {
                    Some(b) => {
                        out.push_str("0x");
                        for x in b.iter().rev() {
                            let _ = write!(out, "{x:02x}");
                        }
                    }
                    None => out.push_str("<out of memory>"),
                }
            }
        }
    }
}

/// Generates a program from bytes and checks it.
pub fn check_bytes(data: &[u8], cfg: &Config) -> (Option<Program>, Verdict) {
    match generate(&mut Unstructured::new(data), cfg) {
        Ok(p) => {
            let v = check_program(&p);
            (Some(p), v)
        }
        Err(e) => (None, Verdict::Invalid(format!("the generator: {e}"))),
    }
}

fn same_kind(a: &Verdict, b: &Verdict) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Shrinks a failing program: first its generator input, then its text line by line, keeping
/// each smaller version that still fails the same way. Stops after `budget`.
pub fn shrink(data: &[u8], cfg: &Config, budget: Duration) -> (Program, Verdict) {
    let start = Instant::now();
    let (p0, v0) = check_bytes(data, cfg);
    let Some(mut best_p) = p0 else {
        return (
            Program {
                text: String::new(),
                entry: "main".into(),
                args: vec![],
            },
            v0,
        );
    };
    let mut best_v = v0.clone();
    let mut best = data.to_vec();
    let fails = |d: &[u8]| -> Option<(Program, Verdict)> {
        let (p, v) = check_bytes(d, cfg);
        (v.is_failure() && same_kind(&v, &v0)).then(|| (p.expect("generated"), v))
    };
    // Bytes: remove chunks, largest first.
    let mut chunk = best.len().div_ceil(2).max(1);
    while chunk >= 1 && start.elapsed() < budget / 2 {
        let mut i = 0;
        while i < best.len() && start.elapsed() < budget / 2 {
            let mut cand = best.clone();
            cand.drain(i..(i + chunk).min(best.len()));
            if let Some((p, v)) = fails(&cand) {
                best = cand;
                best_p = p;
                best_v = v;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    // Text: remove single lines (and the two lines of a `store` + `load` pair are removed one
    // at a time: the verifier rejects a use of a removed value, so only dead lines go).
    let mut lines: Vec<String> = best_p.text.lines().map(String::from).collect();
    let mut changed = true;
    while changed && start.elapsed() < budget {
        changed = false;
        let mut i = 0;
        while i < lines.len() && start.elapsed() < budget {
            let l = lines[i].trim();
            if l.is_empty() || l == "}" || l.ends_with('{') || l.starts_with("extern") {
                if l.is_empty() || l.starts_with("extern") {
                    let mut cand = lines.clone();
                    cand.remove(i);
                    let p = Program {
                        text: cand.join("\n") + "\n",
                        ..best_p.clone()
                    };
                    let v = check_program(&p);
                    if v.is_failure() && same_kind(&v, &v0) {
                        lines = cand;
                        best_p = p;
                        best_v = v;
                        changed = true;
                        continue;
                    }
                }
                i += 1;
                continue;
            }
            let mut cand = lines.clone();
            cand.remove(i);
            let p = Program {
                text: cand.join("\n") + "\n",
                ..best_p.clone()
            };
            let v = check_program(&p);
            if v.is_failure() && same_kind(&v, &v0) {
                lines = cand;
                best_p = p;
                best_v = v;
                changed = true;
            } else {
                i += 1;
            }
        }
    }
    (best_p, best_v)
}

/// Writes a failing program as a `.air` file in `dir` and returns its path.
pub fn write_reproduction(dir: &Path, p: &Program, v: &Verdict) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut header =
        String::from("Found by wabe's differential fuzzer (crates/wabe/src/differential.rs).\n");
    let mut expect = Vec::new();
    match v {
        Verdict::Mismatch { interp, wasm } => {
            let _ = writeln!(header, "The reference interpreter: {:?}", interp);
            let _ = writeln!(header, "The compiled module:        {:?}", wasm);
            header.push_str("The expect lines are the interpreter's; check them by hand before\nadding this file to tests/programs/.\n");
            expect = interp.expect_lines();
        }
        other => {
            let _ = writeln!(header, "{other:?}");
        }
    }
    let text = p.to_file(&header, &expect);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let path = dir.join(format!("diff-{:016x}.air", h));
    std::fs::write(&path, text)?;
    Ok(path)
}

/// Counts of a differential session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Programs generated.
    pub generated: u64,
    /// Programs compared (both readings ran).
    pub compared: u64,
    /// Programs discarded for illegal behaviour or the step limit.
    pub discarded: u64,
    /// Programs the compiler does not support yet.
    pub unsupported: u64,
    /// Failures: mismatches, compile errors of verified programs, invalid programs.
    pub failures: u64,
    /// What the unsupported programs used (the compiler's message from `unsupported:` on),
    /// with counts.
    pub unsupported_kinds: std::collections::BTreeMap<String, u64>,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} generated, {} compared, {} discarded (illegal behaviour or step limit), {} unsupported, {} failures",
            self.generated, self.compared, self.discarded, self.unsupported, self.failures
        )
    }
}

/// How a session runs.
#[derive(Clone, Debug)]
pub struct Session {
    /// The seed of the input bytes.
    pub seed: u64,
    /// Stop after this many programs.
    pub count: u64,
    /// Or after this long.
    pub time: Option<Duration>,
    /// Where to write shrunk reproductions (none: do not shrink).
    pub out: Option<PathBuf>,
    /// What to generate.
    pub config: Config,
    /// Input bytes per program.
    pub input_len: usize,
    /// The index of the first program (to re-run one program of a session).
    pub first: u64,
    /// The most failures to shrink (shrinking takes up to a minute each).
    pub shrink_max: usize,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            seed: 1,
            count: 500,
            time: None,
            out: None,
            config: Config::default(),
            input_len: 4096,
            first: 0,
            shrink_max: 5,
        }
    }
}

/// A small deterministic generator of input bytes (xorshift64*).
pub fn seeded_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Runs a session; returns the counts and the failures (with reproduction paths when `out`
/// is set).
pub fn run_session(s: &Session) -> (Stats, Vec<String>) {
    let start = Instant::now();
    let mut stats = Stats::default();
    let mut failures = Vec::new();
    let mut k = s.first;
    while k - s.first < s.count && s.time.is_none_or(|t| start.elapsed() < t) {
        let data = seeded_bytes(s.seed.wrapping_mul(1_000_003).wrapping_add(k), s.input_len);
        k += 1;
        stats.generated += 1;
        let (p, v) = check_bytes(&data, &s.config);
        match &v {
            Verdict::Match => stats.compared += 1,
            Verdict::Discarded(_) => stats.discarded += 1,
            Verdict::Unsupported(msg) => {
                stats.unsupported += 1;
                let what = msg.split("unsupported: ").nth(1).unwrap_or(msg);
                let what = what.lines().next().unwrap_or_default().to_string();
                *stats.unsupported_kinds.entry(what).or_default() += 1;
            }
            _ => {
                stats.failures += 1;
                if let Verdict::Mismatch { .. } = v {
                    stats.compared += 1;
                }
                let mut report = format!("program {} (seed {}): {v:?}", k - 1, s.seed);
                if let (Some(dir), Some(_), true) = (&s.out, &p, failures.len() < s.shrink_max) {
                    let (sp, sv) = shrink(&data, &s.config, Duration::from_secs(60));
                    match write_reproduction(dir, &sp, &sv) {
                        Ok(path) => {
                            let _ = write!(
                                report,
                                "\n  shrunk to {} lines: wabe run {} --invoke {} {}",
                                sp.text.lines().count(),
                                path.display(),
                                sp.entry,
                                sp.args.join(" ")
                            );
                        }
                        Err(e) => {
                            let _ = write!(report, "\n  cannot write the reproduction: {e}");
                        }
                    }
                } else if let (Some(p), None) = (&p, &s.out) {
                    let _ = write!(report, "\n{}", p.text);
                }
                failures.push(report);
            }
        }
    }
    (stats, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }

    /// The final memory of globals is compared with pointers translated: both readings agree
    /// on this program, and the rendering names the targets.
    #[test]
    fn globals_are_compared_with_pointers_translated() {
        let text = "type S = struct { a: u8, b: *u32, c: ?f16 }
type U = union(enum) { x: u32, y: [2]u16 }
var n: [3]u32 = .{ 1, 2, 3 }
var s: S = .{ 7, @n[1], null }
var u: U = .{ .y = .{ 5, 6 } }
var f: *const fn () u32 = @k
var e: []u32 = @n[1..3]
fn k() u32 {
  ret 3:u32
}
export fn main() u32 {
  %p = struct_field_ptr @s, 1
  store %p, @n[2]:*u32
  %q = struct_field_ptr @s, 2
  store %q, 1.5:?f16
  %u = load @u
  %f = load @f
  %e = load @e
  %r = call %f()
  ret %r
}
";
        let p = Program {
            text: text.into(),
            entry: "main".into(),
            args: vec![],
        };
        assert!(matches!(check_program(&p), Verdict::Match));
        let mut m = wabe_air::parse(text).unwrap();
        wabe_air::verify(&mut m).unwrap();
        let mut c = crate::Compilation::new(&m, &crate::Options::default()).unwrap();
        let wasm = c.flush().unwrap();
        let (_, memory) = invoke_with_memory(&m, &wasm, "main", &[]).unwrap();
        let globals = render_globals(&m, &memory, &Layout::of_compilation(&m, &c));
        assert_eq!(
            globals,
            vec![
                "n = [0x00000001, 0x00000002, 0x00000003]",
                "s = {0x07, @n+8, 1.5}",
                "u = .y = [0x0005, 0x0006]",
                "f = @k",
                "e = [@n+4; 2]",
            ]
        );
    }

    /// The bounded differential run of `cargo xtask test`: 500 programs from a fixed seed.
    /// `WABE_DIFF_COUNT`, `WABE_DIFF_SECONDS`, `WABE_DIFF_SEED`, `WABE_DIFF_FIRST` (the index
    /// of the first program) and `WABE_DIFF_OUT` (a directory for shrunk reproductions) turn it
    /// into a longer session or re-run one program.
    #[test]
    fn differential() {
        let seconds: Option<u64> = env("WABE_DIFF_SECONDS");
        let session = Session {
            seed: env("WABE_DIFF_SEED").unwrap_or(1),
            count: env("WABE_DIFF_COUNT").unwrap_or(if seconds.is_some() { u64::MAX } else { 500 }),
            time: seconds.map(Duration::from_secs),
            out: std::env::var_os("WABE_DIFF_OUT").map(PathBuf::from),
            first: env("WABE_DIFF_FIRST").unwrap_or(0),
            shrink_max: env("WABE_DIFF_SHRINK_MAX").unwrap_or(5),
            ..Session::default()
        };
        let (stats, failures) = run_session(&session);
        eprintln!("differential: {stats}");
        for (what, n) in &stats.unsupported_kinds {
            eprintln!("  unsupported {n}x: {what}");
        }
        assert!(failures.is_empty(), "{stats}\n{}", failures.join("\n\n"));
        assert!(
            stats.generated < 100 || stats.compared * 2 > stats.generated,
            "too few programs compared: {stats}"
        );
    }
}
