//! The cross-check against a real C compiler (clang, as `zig cc`).
//!
//! `extern struct`s and bare unions are written here in IR syntax; the test turns them into C
//! definitions and `_Static_assert`s of wabe's `sizeof`, `_Alignof` and `offsetof`, so that the
//! C compiler itself checks the layout. Functions with the C calling convention are turned into
//! C function definitions, compiled to a wasm object, and the wasm signature of each is compared
//! with [`wabe_types::lower_fn_type`].
//!
//! Zig comes from the project's setup (`ziglang==0.15.2` from PyPI in `.tools/python`); the
//! environment variable `WABE_ZIG` may name another command prefix (`zig`, `python3 -m ziglang`).
//! When zig cannot be run the test fails: it never passes without checking.

use crate::parse::Env;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use wabe_types::{FloatType, PtrSize, Signedness, Target, TypeId, TypeKey, TypePool, ValType};

/// The C types under test, defined in this order (IR syntax; each may name the ones before it).
const TYPES: &[(&str, &str)] = &[
    ("S1", "extern struct { a: u8, b: u32 }"),
    ("S2", "extern struct { a: u8, b: u16, c: u8 }"),
    ("S3", "extern struct { a: u64, b: u8 }"),
    ("S4", "extern struct { a: f32, b: f64, c: f32 }"),
    ("S5", "extern struct { p: *u8, n: usize, q: *const S1 }"),
    ("S6", "extern struct { a: u8, inner: S1, b: u8 }"),
    ("S7", "extern struct { flag: bool, v: [3]u16, w: u32 }"),
    ("S8", "extern struct { a: u8, x: i128 }"),
    ("S9", "extern struct { a: u16, x: f128 }"),
    ("S10", "extern struct { arr: [2]S3, tail: u8 }"),
    ("S11", "extern struct { a: i8, b: i16, c: i32, d: i64 }"),
    (
        "S12",
        "extern struct { f: *const fn (u32) void, g: ?*const fn () void, c: u8 }",
    ),
    ("Empty", "extern struct {}"),
    ("S13", "extern struct { e: Empty, a: u32 }"),
    ("S14", "extern struct { bytes: [5]u8, w: u16 }"),
    ("U1", "union { a: u32, b: [6]u8 }"),
    ("S15", "extern struct { u: U1, b: u8 }"),
    ("S16", "extern struct { m: [2][3]u8, d: f64 }"),
    ("S17", "extern struct { x: u128, y: u8, z: u64 }"),
    ("S18", "extern struct { a: bool, b: bool, c: f32, d: bool }"),
    (
        "S19",
        "extern struct { p: [*]u32, c: [*c]u8, o: ?*u8, s: isize }",
    ),
    ("S20", "extern struct { a: u32, z: [0]u64 }"),
    ("Color", "enum(u8) { red, green, blue }"),
    ("S21", "extern struct { c: Color, d: u16, e: Color }"),
    ("S22", "extern struct { a: u8, b: S8, c: u8 }"),
    ("One", "extern struct { x: f32 }"),
    ("Two", "extern struct { a: i32, b: i32 }"),
    ("Wrap", "extern struct { o: One }"),
    ("Nested", "extern struct { w: Wrap }"),
    ("Arr1", "extern struct { a: [1]f64 }"),
    ("Big128", "extern struct { x: i128 }"),
    ("LD", "extern struct { x: f128 }"),
    ("U2", "union { f: f32, i: i32 }"),
    ("U3", "union { o: One }"),
    ("PtrOnly", "extern struct { p: *u8 }"),
    ("ZeroPad", "extern struct { x: f32, z: [0]f64 }"),
    ("EmptyThenF", "extern struct { e: Empty, f: f64 }"),
    ("U64One", "extern struct { x: u64 }"),
];

/// C functions: a name and an IR function type with `callconv(c)`.
const FNS: &[(&str, &str)] = &[
    ("pass_two", "fn (Two) void"),
    ("pass_one", "fn (One) void"),
    ("ret_one", "fn () One"),
    ("ret_two", "fn () Two"),
    ("pass_i128", "fn (i128) void"),
    ("ret_i128", "fn () i128"),
    ("f128_both", "fn (f128) f128"),
    ("wrap_arr1", "fn (Wrap, Arr1) Wrap"),
    ("big128", "fn (Big128) Big128"),
    ("pass_ld", "fn (LD, u8) void"),
    ("union2", "fn (U2) U2"),
    ("union3", "fn (U3) U3"),
    ("empty", "fn (Empty, u32) Empty"),
    ("scalars", "fn (u8, i16, u32, i64, f32, f64, bool) f64"),
    ("pointers", "fn (*u8, usize, ?*u8, [*c]u8) *u8"),
    ("mixed", "fn (S1, S5, S8) S4"),
    ("ptr_only", "fn (PtrOnly) PtrOnly"),
    ("nested", "fn (Nested) Nested"),
    ("zero_pad", "fn (ZeroPad) ZeroPad"),
    ("many", "fn ([*]u32, isize) void"),
    ("color", "fn (Color) Color"),
    ("fn_ptrs", "fn (*const fn (u32) void) ?*const fn () void"),
    ("with_empty", "fn (S13, EmptyThenF) EmptyThenF"),
    ("wide", "fn (u64, i128, u32) u64"),
    ("u64_one", "fn (U64One, u128) U64One"),
    ("arrays_in", "fn (S7, S16) S16"),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The zig command prefix, checked to run.
fn zig() -> Vec<String> {
    let prefix: Vec<String> = match std::env::var("WABE_ZIG") {
        Ok(v) if !v.trim().is_empty() => v.split_whitespace().map(String::from).collect(),
        _ => ["python3", "-m", "ziglang"].map(String::from).to_vec(),
    };
    let out = zig_command(&prefix).arg("version").output();
    match out {
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
                workspace_root().join(".tools/python").display(),
                detail.trim()
            )
        }
    }
}

fn zig_command(prefix: &[String]) -> Command {
    let mut cmd = Command::new(&prefix[0]);
    cmd.args(&prefix[1..]);
    let mut pythonpath = workspace_root().join(".tools/python").into_os_string();
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        pythonpath.push(":");
        pythonpath.push(old);
    }
    cmd.env("PYTHONPATH", pythonpath);
    cmd
}

/// Compiles `source` to a wasm object for `target` and returns its bytes, or panics with the
/// compiler's message.
fn compile(source: &str, target: Target, what: &str, extra: &[&str]) -> Vec<u8> {
    let prefix = zig();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "wabe-types-c-abi-{}-{}-{what}",
        std::process::id(),
        target.name()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (c, o) = (dir.join(format!("{what}.c")), dir.join(format!("{what}.o")));
    std::fs::write(&c, source).unwrap();
    let out = zig_command(&prefix)
        .current_dir(&dir)
        .args([
            "cc",
            &format!("--target={}-freestanding", target.name()),
            "-std=gnu11",
            "-c",
        ])
        .args(extra)
        .arg(&c)
        .arg("-o")
        .arg(&o)
        .output()
        .expect("running zig cc");
    let bytes = std::fs::read(&o);
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        panic!(
            "zig cc disagrees with wabe-types ({what}, {}):\n{}\n--- the C source ---\n{source}",
            target.name(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    bytes.expect("zig cc wrote no object")
}

/// Writes C declarations for wabe types, one typedef per type (`t<id>`), so that declarators
/// never nest.
struct CGen<'a> {
    pool: &'a TypePool,
    /// Struct and union names by type.
    names: HashMap<TypeId, String>,
    done: HashMap<TypeId, String>,
    out: String,
}

impl CGen<'_> {
    fn c(&mut self, ty: TypeId) -> String {
        if let Some(s) = self.done.get(&ty) {
            return s.clone();
        }
        let p = self.pool;
        let name = format!("t{}", ty.0);
        let s = match p.key(ty).clone() {
            TypeKey::Void => "void".to_string(),
            TypeKey::Bool => "_Bool".to_string(),
            TypeKey::Usize => "__SIZE_TYPE__".to_string(),
            TypeKey::Isize => "__PTRDIFF_TYPE__".to_string(),
            TypeKey::Int { signedness, bits } => {
                let base = match bits {
                    8 => "char",
                    16 => "short",
                    32 => "int",
                    64 => "long long",
                    128 => "__int128",
                    _ => panic!("no C type for u{bits}"),
                };
                match signedness {
                    Signedness::Signed => format!("signed {base}"),
                    Signedness::Unsigned => format!("unsigned {base}"),
                }
            }
            TypeKey::Float(FloatType::F32) => "float".to_string(),
            TypeKey::Float(FloatType::F64) => "double".to_string(),
            TypeKey::Float(FloatType::F128) => "long double".to_string(),
            TypeKey::Enum { tag, .. } => self.c(tag),
            TypeKey::Optional(c) if p.is_pointer_like_optional(ty) => self.c(c),
            TypeKey::Pointer {
                size,
                is_const,
                child,
            } => {
                assert_ne!(size, PtrSize::Slice, "C has no slices");
                if let TypeKey::Fn { params, ret, .. } = p.key(child).clone() {
                    let params = self.param_list(&params);
                    let ret = self.c(ret);
                    let _ = writeln!(self.out, "typedef {ret} (*{name})({params});");
                } else {
                    let c = self.c(child);
                    let q = if is_const { "const " } else { "" };
                    let _ = writeln!(self.out, "typedef {q}{c} *{name};");
                }
                name
            }
            TypeKey::Array { len, elem } => {
                let e = self.c(elem);
                let _ = writeln!(self.out, "typedef {e} {name}[{len}];");
                name
            }
            TypeKey::Struct { fields, .. }
            | TypeKey::Union {
                fields, tag: None, ..
            } => {
                let kw = if matches!(p.key(ty), TypeKey::Struct { .. }) {
                    "struct"
                } else {
                    "union"
                };
                let tags = self
                    .names
                    .get(&ty)
                    .cloned()
                    .unwrap_or_else(|| format!("s{}", ty.0));
                let mut body = String::new();
                for f in fields.iter() {
                    let ft = self.c(f.ty);
                    let _ = write!(body, " {ft} {};", p.names.resolve(f.name));
                }
                let _ = writeln!(
                    self.out,
                    "{kw} {tags} {{{body} }};\ntypedef {kw} {tags} {name};"
                );
                name
            }
            _ => panic!("no C type for `{}`", p.display(ty)),
        };
        self.done.insert(ty, s.clone());
        s
    }

    fn param_list(&mut self, params: &[TypeId]) -> String {
        if params.is_empty() {
            return "void".into();
        }
        let ps: Vec<String> = params.iter().map(|&t| self.c(t)).collect();
        ps.join(", ")
    }
}

fn env(target: Target) -> (Env, HashMap<TypeId, String>) {
    let mut env = Env::new(target);
    let mut names = HashMap::new();
    for (name, src) in TYPES {
        let t = env.def(name, src);
        names.insert(t, name.to_string());
    }
    (env, names)
}

/// The C source asserting wabe's layout of every type in [`TYPES`].
fn layout_source(target: Target) -> (String, usize) {
    let (env, names) = env(target);
    let pool = &env.pool;
    let mut g = CGen {
        pool,
        names,
        done: HashMap::new(),
        out: String::new(),
    };
    let mut asserts = String::new();
    let mut count = 0;
    let mut assert = |cond: String, what: String| {
        let _ = writeln!(asserts, "_Static_assert({cond}, \"{what}\");");
        count += 1;
    };
    for (name, _) in TYPES {
        let t = env.named[*name];
        if matches!(pool.key(t), TypeKey::Enum { .. }) {
            continue;
        }
        let c = g.c(t);
        let (size, align) = (pool.abi_size(t), pool.abi_align(t));
        assert(
            format!("sizeof({c}) == {size}"),
            format!("wabe: sizeof({name}) == {size}"),
        );
        assert(
            format!("_Alignof({c}) == {align}"),
            format!("wabe: _Alignof({name}) == {align}"),
        );
        let kw = if matches!(pool.key(t), TypeKey::Struct { .. }) {
            "struct"
        } else {
            "union"
        };
        for (i, f) in pool
            .struct_fields(t)
            .iter()
            .chain(pool.union_fields(t))
            .enumerate()
        {
            let field = pool.names.resolve(f.name);
            let off = pool.field_offset(t, i);
            assert(
                format!("__builtin_offsetof({kw} {name}, {field}) == {off}"),
                format!("wabe: offsetof({name}, {field}) == {off}"),
            );
            let fc = g.c(f.ty);
            let (fs, fa) = (pool.abi_size(f.ty), pool.abi_align(f.ty));
            let ft = pool.display(f.ty);
            assert(
                format!("sizeof({fc}) == {fs}"),
                format!("wabe: sizeof({ft}) == {fs}"),
            );
            assert(
                format!("_Alignof({fc}) == {fa}"),
                format!("wabe: _Alignof({ft}) == {fa}"),
            );
        }
    }
    (format!("{}\n{asserts}", g.out), count)
}

fn check_layouts(target: Target) {
    let structs = TYPES
        .iter()
        .filter(|(_, s)| s.starts_with("extern struct"))
        .count();
    assert!(structs >= 20, "only {structs} extern structs");
    let (source, count) = layout_source(target);
    assert!(count > 100, "only {count} assertions");
    compile(&source, target, "layout", &[]);
}

#[test]
fn extern_struct_layout_matches_clang_wasm32() {
    check_layouts(Target::Wasm32);
}

#[test]
fn extern_struct_layout_matches_clang_wasm64() {
    check_layouts(Target::Wasm64);
}

/// The C source defining every function of [`FNS`], and wabe's lowering of each.
/// A wasm signature: parameters and results.
type Sig = (Vec<ValType>, Vec<ValType>);

fn fn_source(target: Target) -> (String, Vec<(&'static str, Sig)>) {
    let (mut env, names) = env(target);
    let fns: Vec<(&str, TypeId)> = FNS
        .iter()
        .map(|(name, src)| (*name, env.ty(&format!("{src} callconv(c)"))))
        .collect();
    let pool = &env.pool;
    let mut g = CGen {
        pool,
        names,
        done: HashMap::new(),
        out: String::new(),
    };
    let mut defs = String::new();
    let mut expected = Vec::new();
    for (name, f) in fns {
        let (params, ret, _) = pool.fn_info(f).unwrap();
        let ret_c = g.c(ret);
        let ps: Vec<String> = params
            .iter()
            .enumerate()
            .map(|(i, &p)| format!("{} p{i}", g.c(p)))
            .collect();
        let ps = if ps.is_empty() {
            "void".to_string()
        } else {
            ps.join(", ")
        };
        let body = if ret == TypeId::VOID {
            String::new()
        } else {
            format!("{ret_c} r; __builtin_memset(&r, 0, sizeof r); return r;")
        };
        let _ = writeln!(defs, "{ret_c} {name}({ps}) {{ {body} }}");
        let sig = wabe_types::lower_fn_type(pool, f).unwrap();
        expected.push((name, (sig.params, sig.results)));
    }
    (format!("{}\n{defs}", g.out), expected)
}

/// Each defined function's wasm signature, by symbol name, read from a relocatable object.
fn signatures(obj: &[u8]) -> HashMap<String, Sig> {
    use wasmparser::{KnownCustom, Linking, Payload, SymbolInfo, TypeRef};
    let conv = |v: &wasmparser::ValType| match v {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        other => panic!("unexpected value type {other:?}"),
    };
    let mut types = Vec::new();
    let mut funcs = Vec::new();
    let mut symbols = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(obj) {
        match payload.expect("a valid wasm object") {
            Payload::TypeSection(r) => {
                for group in r {
                    for sub in group.unwrap().into_types() {
                        let ft = sub.unwrap_func();
                        let params = ft.params().iter().map(conv).collect::<Vec<_>>();
                        let results = ft.results().iter().map(conv).collect::<Vec<_>>();
                        types.push((params, results));
                    }
                }
            }
            Payload::ImportSection(r) => {
                for import in r.into_imports() {
                    if let TypeRef::Func(t) = import.unwrap().ty {
                        funcs.push(t);
                    }
                }
            }
            Payload::FunctionSection(r) => funcs.extend(r.into_iter().map(Result::unwrap)),
            Payload::CustomSection(c) => {
                if let KnownCustom::Linking(l) = c.as_known() {
                    for sub in l.subsections() {
                        if let Linking::SymbolTable(map) = sub.unwrap() {
                            for sym in map {
                                if let SymbolInfo::Func {
                                    index,
                                    name: Some(n),
                                    ..
                                } = sym.unwrap()
                                {
                                    symbols.push((n.to_string(), index));
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    symbols
        .into_iter()
        .map(|(n, i)| (n, types[funcs[i as usize] as usize].clone()))
        .collect()
}

fn show(params: &[ValType], results: &[ValType]) -> String {
    let n = |v: &[ValType]| v.iter().map(|t| t.name()).collect::<Vec<_>>().join(" ");
    format!("(param {}) (result {})", n(params), n(results))
}

fn check_signatures(target: Target) {
    let (source, expected) = fn_source(target);
    let obj = compile(&source, target, "signatures", &["-O1"]);
    let found = signatures(&obj);
    let mut mismatches = String::new();
    for (name, (params, results)) in &expected {
        let Some((cp, cr)) = found.get(*name) else {
            let _ = writeln!(mismatches, "{name}: not found in the object");
            continue;
        };
        if (cp, cr) != (params, results) {
            let src = FNS.iter().find(|(n, _)| n == name).unwrap().1;
            let _ = writeln!(
                mismatches,
                "{name} = {src}: clang {}, wabe {}",
                show(cp, cr),
                show(params, results)
            );
        }
    }
    assert!(
        mismatches.is_empty(),
        "C signatures differ on {}:\n{mismatches}--- the C source ---\n{source}",
        target.name()
    );
}

#[test]
fn c_signatures_match_clang_wasm32() {
    check_signatures(Target::Wasm32);
}

#[test]
fn c_signatures_match_clang_wasm64() {
    check_signatures(Target::Wasm64);
}

/// A few signatures spelled out, so that a reader sees what the cross-check compares.
#[test]
fn c_signature_examples() {
    let (mut env, _) = env(Target::Wasm32);
    let mut sig = |src: &str| {
        let f = env.ty(&format!("{src} callconv(c)"));
        let s = wabe_types::lower_fn_type(&env.pool, f).unwrap();
        show(&s.params, &s.results)
    };
    assert_eq!(sig("fn (Two) void"), "(param i32) (result )");
    assert_eq!(sig("fn (One) One"), "(param f32) (result f32)");
    assert_eq!(sig("fn (i128) void"), "(param i64 i64) (result )");
    assert_eq!(sig("fn (u32) Two"), "(param i32 i32) (result )");
    assert_eq!(sig("fn (Big128) void"), "(param i64 i64) (result )");
    assert_eq!(sig("fn () f128"), "(param i32) (result )");
}
