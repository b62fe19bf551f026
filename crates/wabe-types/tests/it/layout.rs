//! The layout table of a fixed corpus of types (IR.md 3.1 and 3.2), as an `insta` snapshot per
//! target, plus spot checks of the rules that the table shows.

use crate::parse::Env;
use std::fmt::Write;
use wabe_types::{CAbiClass, Target, TypeId, TypeKey, TypePool};

/// Named types the corpus refers to, defined first (name, definition).
pub const DEFS: &[(&str, &str)] = &[
    ("Pair", "struct { a: u32, b: u32 }"),
    ("Vec3", "struct { x: f64, y: f64, z: f64 }"),
    ("One", "extern struct { x: f32 }"),
    ("Wrap", "struct { inner: One }"),
    ("Arr1", "extern struct { a: [1]f32 }"),
    ("Big", "extern struct { a: u8, b: u128 }"),
    ("Color", "enum(u8) { red, green = 5, blue }"),
    ("Tag32", "enum(u32) { a, b }"),
    ("MyErr", "error { Oops, Bad }"),
];

/// The corpus: every row of IR.md 3.1, and the corners between them.
pub const CORPUS: &[&str] = &[
    // Integers: 0 bits, up to 8/16/32/64, and above 64 rounded to multiples of 128 bits.
    "u0",
    "u1",
    "i1",
    "u7",
    "u8",
    "i8",
    "u9",
    "u16",
    "i16",
    "u17",
    "u24",
    "u32",
    "i32",
    "u33",
    "u48",
    "u63",
    "u64",
    "i64",
    "u65",
    "u100",
    "u128",
    "i128",
    "u129",
    "u255",
    "u256",
    "u257",
    "u1000",
    // Other scalars.
    "void",
    "noreturn",
    "bool",
    "usize",
    "isize",
    "f16",
    "f32",
    "f64",
    "f80",
    "f128",
    // Pointers and slices.
    "*u8",
    "*const u8",
    "[*]u32",
    "[*c]u8",
    "[]u8",
    "[]const u16",
    "*const fn (u32) void",
    "*Vec3",
    // Arrays.
    "[0]u32",
    "[3]u8",
    "[3]u16",
    "[2]u64",
    "[4]void",
    "[2][3]u16",
    "[2]u128",
    "[2]Pair",
    // Optionals: pointer-like, payload + flag, zero-bit payload.
    "?*u8",
    "?[*]u8",
    "?[*c]u8",
    "?*const fn () void",
    "?u8",
    "?u16",
    "?u32",
    "?u64",
    "?void",
    "?bool",
    "?[]u8",
    "??*u8",
    "?f80",
    "?Pair",
    "?Color",
    "?MyErr",
    "?[0]u64",
    // Error sets and error unions.
    "anyerror",
    "MyErr",
    "error { A, B }",
    "error {}",
    "anyerror!void",
    "anyerror!u8",
    "anyerror!bool",
    "anyerror!u16",
    "anyerror!u32",
    "anyerror!u64",
    "anyerror!u128",
    "anyerror![3]u8",
    "anyerror!?u32",
    "anyerror!Pair",
    "MyErr!f64",
    "error {}!u32",
    "error {}!u8",
    // Structs: auto (sorted by alignment) and extern (declaration order).
    "struct {}",
    "struct { a: u8, b: u64, c: u16 }",
    "extern struct { a: u8, b: u64, c: u16 }",
    "struct { a: u8, b: u16, c: u8, d: u16 }",
    "struct { x: void, y: u32 }",
    "struct { z: [0]u64, x: u32 }",
    "extern struct { x: u32, z: [0]u64 }",
    "struct { a: bool, p: *u8, s: []u8, n: usize }",
    "Pair",
    "Vec3",
    "One",
    "Wrap",
    "Arr1",
    "Big",
    "extern struct { c: u8, f: f80 }",
    "struct { e: struct {}, f: f32 }",
    // Enums take their tag's layout.
    "Color",
    "Tag32",
    "enum(u0) { only }",
    "enum(u64) { a, b }",
    "enum(u128) { a, b }",
    "enum(i8) { neg = -1, pos = 1 }",
    // Unions: bare and tagged (payload first unless the tag is more aligned).
    "union {}",
    "union { a: u8, b: u32 }",
    "union { a: u8, b: [5]u8 }",
    "union { f: f32 }",
    "union(enum) { a: u32, b: f64 }",
    "union(enum) { a: u8, b: u16 }",
    "union(enum) { a: u8 }",
    "union(enum) { a: void, b: void }",
    "union(Tag32) { a: u8, b: bool }",
    "union(enum) { a: u128, b: u8 }",
    // Function types have no runtime bits.
    "fn (u32) void",
    "fn (Pair, u128) Pair callconv(c)",
];

fn c_class(pool: &TypePool, ty: TypeId) -> String {
    match pool.c_abi_class(ty) {
        CAbiClass::Ignore => "ignore".into(),
        CAbiClass::Direct(v) => format!("direct {}", v.name()),
        CAbiClass::Pair => "i64 i64".into(),
        CAbiClass::Indirect => "indirect".into(),
    }
}

/// Where the parts of a type sit: struct fields in declaration order, a union's payload and
/// tag, an optional's flag, an error union's error and payload.
fn parts(pool: &TypePool, ty: TypeId) -> String {
    let mut s = String::new();
    match pool.key(ty) {
        TypeKey::Struct { fields, .. } => {
            for (i, f) in fields.iter().enumerate() {
                let _ = write!(
                    s,
                    "{}{}@{}",
                    if i > 0 { " " } else { "" },
                    pool.names.resolve(f.name),
                    pool.field_offset(ty, i)
                );
            }
        }
        TypeKey::Union { tag, .. } => {
            let _ = write!(s, "payload@{}", pool.union_payload_offset(ty));
            if tag.is_some() {
                let _ = write!(s, " tag@{}", pool.union_tag_offset(ty));
            }
        }
        TypeKey::Optional(_) if pool.is_pointer_like_optional(ty) => s.push_str("null=0"),
        TypeKey::Optional(_) => {
            let _ = write!(s, "flag@{}", pool.optional_flag_offset(ty));
        }
        TypeKey::ErrorUnion { payload, .. } => {
            if pool.has_runtime_bits(*payload) {
                let (e, p) = pool.error_union_offsets(ty);
                let _ = write!(s, "err@{e} payload@{p}");
            } else {
                s.push_str("err only");
            }
        }
        _ => {}
    }
    s
}

/// The layout table of the corpus for one target.
pub fn table(target: Target) -> String {
    let mut env = Env::new(target);
    for (name, src) in DEFS {
        env.def(name, src);
    }
    let rows: Vec<[String; 7]> = CORPUS
        .iter()
        .map(|src| {
            let t = env.ty(src);
            let p = &env.pool;
            let vt = p.valtype(t).map_or("-", |v| v.name());
            [
                src.to_string(),
                p.abi_size(t).to_string(),
                p.abi_align(t).to_string(),
                if p.is_by_ref(t) { "by-ref" } else { "-" }.into(),
                vt.into(),
                c_class(p, t),
                parts(p, t),
            ]
        })
        .collect();
    let header = [
        "type", "size", "align", "by-ref", "valtype", "C class", "parts",
    ];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "target {}", target.name());
    for (name, src) in DEFS {
        let _ = writeln!(out, "type {name} = {src}");
    }
    let line = |out: &mut String, cells: &[&str]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            let _ = if i == 0 {
                write!(l, "{c:<w$}")
            } else {
                write!(l, " | {c:<w$}")
            };
        }
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(&mut out, &header);
    for r in &rows {
        line(&mut out, &r.each_ref().map(|s| s.as_str()));
    }
    out
}

#[test]
fn corpus_is_large_enough() {
    assert!(CORPUS.len() >= 60, "the corpus has {} types", CORPUS.len());
}

#[test]
fn layout_table_wasm32() {
    insta::assert_snapshot!("layout_wasm32", table(Target::Wasm32));
}

#[test]
fn layout_table_wasm64() {
    insta::assert_snapshot!("layout_wasm64", table(Target::Wasm64));
}

/// Spot checks of IR.md 3.1, one per rule, independent of the snapshot.
#[test]
fn ir_layout_rules() {
    let mut env = Env::new(Target::Wasm32);
    for (name, src) in DEFS {
        env.def(name, src);
    }
    let mut l = |src: &str| {
        let t = env.ty(src);
        (env.pool.abi_size(t), env.pool.abi_align(t))
    };
    assert_eq!(l("u0"), (0, 1));
    assert_eq!(l("u24"), (4, 4));
    assert_eq!(l("u65"), (16, 16));
    assert_eq!(l("u129"), (32, 16));
    assert_eq!(l("bool"), (1, 1));
    assert_eq!(l("f16"), (2, 2));
    assert_eq!(l("f80"), (16, 16));
    assert_eq!(l("*u8"), (4, 4));
    assert_eq!(l("[]u8"), (8, 4));
    assert_eq!(l("anyerror"), (2, 2));
    assert_eq!(l("Color"), (1, 1));
    assert_eq!(l("[3]u16"), (6, 2));
    assert_eq!(l("?*u8"), (4, 4));
    assert_eq!(l("?u32"), (8, 4));
    assert_eq!(l("?void"), (1, 1));
    assert_eq!(l("anyerror!void"), (2, 2));
    assert_eq!(l("anyerror!u8"), (4, 2));
    assert_eq!(l("anyerror!u64"), (16, 8));
    assert_eq!(l("union { a: u8, b: [5]u8 }"), (5, 1));
    assert_eq!(l("union(enum) { a: u8, b: u16 }"), (4, 2));
    assert_eq!(l("union(Tag32) { a: u8, b: bool }"), (8, 4));
    assert_eq!(l("error {}"), (0, 1));
}

#[test]
fn auto_struct_field_order() {
    let mut env = Env::new(Target::Wasm32);
    let s = env.ty("struct { a: u8, b: u64, c: u16, d: u64, e: u8 }");
    assert_eq!(env.pool.struct_field_order(s), vec![1, 3, 2, 0, 4]);
    let offsets: Vec<u64> = (0..5).map(|i| env.pool.field_offset(s, i)).collect();
    assert_eq!(offsets, vec![18, 0, 16, 8, 19]);
    let e = env.ty("extern struct { a: u8, b: u64, c: u16, d: u64, e: u8 }");
    assert_eq!(env.pool.struct_field_order(e), vec![0, 1, 2, 3, 4]);
}
