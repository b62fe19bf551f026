//! `lower`: bytes and pointer fields, checked against layouts computed by hand.

use wabe_declgen::{lower, Target, UNDEF_BYTE};
use wabe_types::{DeclAddr, PtrSize, TypeId, Value};

use crate::{decl, module};

/// Pointer fields as `(offset, target, addend)`, the target a declaration name or `"str"`.
type Ptrs = Vec<(u32, String, i64)>;

fn lowered(src: &str, name: &str) -> (Vec<u8>, Ptrs, bool) {
    let m = module(src);
    let d = decl(&m, name);
    let (wabe_air::DeclKind::Const(g) | wabe_air::DeclKind::Var(g)) = &m.decl(d).kind else {
        panic!("not data");
    };
    let blob = lower(&m, g.ty, &g.value, UNDEF_BYTE).unwrap();
    assert_eq!(blob.align as u64, m.types.abi_align(g.ty));
    let ptrs = blob
        .pointers
        .iter()
        .map(|p| {
            let t = match p.target {
                Target::Decl(d) => m.name_str(m.decl(d).name).to_string(),
                Target::Bytes(b) => format!("str:{}", String::from_utf8_lossy(b)),
            };
            (p.offset, t, p.addend)
        })
        .collect();
    (blob.bytes, ptrs, blob.zero)
}

fn bytes(src: &str, name: &str) -> Vec<u8> {
    let (b, p, _) = lowered(src, name);
    assert!(p.is_empty(), "unexpected pointers {p:?}");
    b
}

#[test]
fn integers() {
    let src = "
const a: u32 = 0x01020304
const b: i7 = -1
const c: u24 = 0x123456
const d: i128 = -2
const e: u0 = 0
const f: u65 = 1
const g: usize = 7
const h: i16 = -300
";
    assert_eq!(bytes(src, "a"), [4, 3, 2, 1]);
    assert_eq!(bytes(src, "b"), [0xff]);
    assert_eq!(bytes(src, "c"), [0x56, 0x34, 0x12, 0]);
    let mut minus2 = vec![0xff; 16];
    minus2[0] = 0xfe;
    assert_eq!(bytes(src, "d"), minus2);
    assert_eq!(bytes(src, "e"), Vec::<u8>::new());
    let mut one = vec![0; 16];
    one[0] = 1;
    assert_eq!(bytes(src, "f"), one);
    assert_eq!(bytes(src, "g"), [7, 0, 0, 0]);
    assert_eq!(bytes(src, "h"), (-300i16).to_le_bytes());
}

#[test]
fn bools_floats_enums_errors() {
    let src = "
type Color = enum(u8) { red, green = 5, blue }
type E = error{ Oops, Bad }
const t: bool = true
const h: f16 = 1.0
const s: f32 = 1.5
const d: f64 = -2.0
const x: f80 = 1.0
const q: f128 = 1.0
const c: Color = .blue
const c2: Color = 5
const e: E = error.Bad
";
    assert_eq!(bytes(src, "t"), [1]);
    assert_eq!(bytes(src, "h"), [0x00, 0x3c]);
    assert_eq!(bytes(src, "s"), 1.5f32.to_le_bytes());
    assert_eq!(bytes(src, "d"), (-2.0f64).to_le_bytes());
    // f80: 64-bit mantissa with explicit integer bit, then sign and 15-bit exponent; 6 bytes
    // of padding.
    assert_eq!(
        bytes(src, "x"),
        [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f, 0, 0, 0, 0, 0, 0]
    );
    let mut q = [0u8; 16];
    q[14] = 0xff;
    q[15] = 0x3f;
    assert_eq!(bytes(src, "q"), q);
    assert_eq!(bytes(src, "c"), [6]);
    assert_eq!(bytes(src, "c2"), [5]);
    // Error values count from 1 in order of first appearance: Oops = 1, Bad = 2.
    assert_eq!(bytes(src, "e"), [2, 0]);
}

#[test]
fn structs_and_padding() {
    let src = "
type A = struct { a: u8, b: u32, c: u16 }
type X = extern struct { a: u8, b: u32, c: u16 }
const auto: A = .{ 1, 2, 3 }
const ext: X = .{ 1, 2, 3 }
const named: X = .{ .c = 3, .a = 1, .b = 2 }
const part: X = .{ undef, 5, 6 }
const arr: [2]X = .{ .{ 1, 2, 3 }, .{ 4, 5, 6 } }
";
    // Auto layout: b (align 4) at 0, c at 4, a at 6; size 8.
    assert_eq!(bytes(src, "auto"), [2, 0, 0, 0, 3, 0, 1, 0]);
    // Extern: a at 0, b at 4, c at 8; size 12; padding zero.
    let ext = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0];
    assert_eq!(bytes(src, "ext"), ext);
    assert_eq!(bytes(src, "named"), ext);
    // undef bytes are 0xaa, padding stays zero.
    assert_eq!(bytes(src, "part"), [0xaa, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0]);
    let arr = bytes(src, "arr");
    assert_eq!(arr.len(), 24);
    assert_eq!(arr[12..], [4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0]);
}

#[test]
fn undef_and_zero() {
    let src = "
type X = extern struct { a: u8, b: u32 }
const u: [3]u8 = undef
var z: X = .{ 0, 0 }
var mixed: X = .{ undef, 0 }
var nz: X = .{ undef, 1 }
";
    assert_eq!(bytes(src, "u"), [0xaa; 3]);
    let (b, _, zero) = lowered(src, "z");
    assert_eq!((b, zero), (vec![0; 8], true));
    // Undef and zero parts only: still zero-initialisable.
    let (b, _, zero) = lowered(src, "mixed");
    assert_eq!((b, zero), (vec![0xaa, 0, 0, 0, 0, 0, 0, 0], true));
    let (_, _, zero) = lowered(src, "nz");
    assert!(!zero);
}

#[test]
fn optionals_and_error_unions() {
    let src = "
const a: u32 = 1
const o1: ?u32 = 7
const o2: ?u32 = null
const o3: ?*const u32 = null
const o4: ?*const u32 = @a
const o5: ?u0 = 0
const e1: anyerror!u32 = 5
const e2: anyerror!u32 = error.Oops
const e3: anyerror!u8 = 3
const e4: anyerror!void = error.Oops
const e5: anyerror!?[]const u8 = \"ok\"
";
    assert_eq!(bytes(src, "o1"), [7, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(bytes(src, "o2"), [0; 8]);
    assert_eq!(bytes(src, "o3"), [0; 4]);
    assert_eq!(
        lowered(src, "o4"),
        (vec![0; 4], vec![(0, "a".into(), 0)], false)
    );
    assert_eq!(bytes(src, "o5"), [1]);
    // Payload first (alignment 4 >= 2), then the u16 error.
    assert_eq!(bytes(src, "e1"), [5, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(bytes(src, "e2"), [0, 0, 0, 0, 1, 0, 0, 0]);
    // A payload of alignment 1 comes after the error.
    assert_eq!(bytes(src, "e3"), [0, 0, 3, 0]);
    assert_eq!(bytes(src, "e4"), [1, 0]);
    // ?[]const u8 is { ptr, len, flag } (12 bytes); the error follows at 12; size 16.
    let (b, p, _) = lowered(src, "e5");
    assert_eq!(b, [0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(p, [(0, "str:ok".into(), 0)]);
}

#[test]
fn unions() {
    let src = "
type T = union(enum) { a: u32, b: u8 }
type B = union { a: u32, b: u16 }
type W = union(enum) { a: u8, b: u8 }
const t: T = .{ .b = 7 }
const b: B = .{ .b = 0x1234 }
const w: W = .{ .b = 9 }
";
    // Payload (4 bytes, align 4) first, then the u1 tag; size 8.
    assert_eq!(bytes(src, "t"), [7, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(bytes(src, "b"), [0x34, 0x12, 0, 0]);
    assert_eq!(bytes(src, "w"), [9, 1]);
}

#[test]
fn strings_slices_and_addresses() {
    let src = "
type P = extern struct { x: u32, y: u32 }
const t: [4]u32 = .{ 1, 2, 3, 4 }
const pt: P = .{ 5, 6 }
const s: []const u8 = \"hey\"
const a: *const [2]u8 = \"hi\"
const m: [*]const u8 = \"x\"
const e3: *const u32 = @t[3]
const py: *const u32 = @pt.y
const sl: []const u32 = @t[1..3]
const whole: *const [4]u32 = @t
const many: [*]const u32 = @t
const abs: *const u32 = 0x1000
fn f() void {
  ret
}
const fp: *const fn () void = @f
const ofp: ?*const fn () void = null
";
    let p =
        |v: &[(u32, &str, i64)]| -> Ptrs { v.iter().map(|&(o, t, a)| (o, t.into(), a)).collect() };
    assert_eq!(
        lowered(src, "s"),
        (vec![0, 0, 0, 0, 3, 0, 0, 0], p(&[(0, "str:hey", 0)]), false)
    );
    assert_eq!(lowered(src, "a").1, p(&[(0, "str:hi", 0)]));
    assert_eq!(lowered(src, "m").1, p(&[(0, "str:x", 0)]));
    // An element or field is the declaration plus an addend, never a copy.
    assert_eq!(lowered(src, "e3").1, p(&[(0, "t", 12)]));
    assert_eq!(lowered(src, "py").1, p(&[(0, "pt", 4)]));
    assert_eq!(
        lowered(src, "sl"),
        (vec![0, 0, 0, 0, 2, 0, 0, 0], p(&[(0, "t", 4)]), false)
    );
    assert_eq!(lowered(src, "whole").1, p(&[(0, "t", 0)]));
    assert_eq!(lowered(src, "many").1, p(&[(0, "t", 0)]));
    assert_eq!(bytes(src, "abs"), [0, 0x10, 0, 0]);
    assert_eq!(lowered(src, "fp").1, p(&[(0, "f", 0)]));
    assert_eq!(bytes(src, "ofp"), [0; 4]);
}

#[test]
fn wasm64_pointers() {
    let src = "
target wasm64
const t: [2]u64 = .{ 1, 2 }
const s: []const u8 = \"abc\"
const q: *const u64 = @t[1]
";
    let (b, p, _) = lowered(src, "s");
    assert_eq!(b, [0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(p, [(0, "str:abc".to_string(), 0)]);
    assert_eq!(
        lowered(src, "q"),
        (vec![0; 8], vec![(0, "t".to_string(), 8)], false)
    );
}

#[test]
fn function_address_as_data_is_an_error() {
    let mut m = module("const x: u32 = 1\nfn f() void {\n  ret\n}\n");
    let ptr = m.types.pointer(PtrSize::One, true, TypeId::U32);
    let f = m.types.names.get("f").unwrap();
    let v = Value::DeclAddr(DeclAddr {
        decl: f,
        path: Box::new([]),
        slice: None,
    });
    let err = lower(&m, ptr, &v, UNDEF_BYTE).unwrap_err();
    assert!(err.contains("`@f`") && err.contains("function"), "{err}");

    let x = m.types.names.get("x").unwrap();
    let fn_ty = match &m.decl(crate::decl(&m, "f")).kind {
        wabe_air::DeclKind::Fn(func) => func.ty,
        _ => unreachable!(),
    };
    let fptr = m.types.pointer(PtrSize::One, true, fn_ty);
    let v = Value::DeclAddr(DeclAddr {
        decl: x,
        path: Box::new([]),
        slice: None,
    });
    let err = lower(&m, fptr, &v, UNDEF_BYTE).unwrap_err();
    assert!(err.contains("`@x`") && err.contains("data"), "{err}");

    // A value that does not fit is an error, not a panic.
    let err = lower(&m, TypeId::U8, &Value::Bool(true), UNDEF_BYTE).unwrap_err();
    assert!(err.contains("does not fit"), "{err}");
}
