//! `TypePool::check_value`: one accepted and one rejected case per form of IR.md section 4.

use crate::parse::Env;
use wabe_types::{
    float_bits_from_f64, DeclAddr, FloatType, Int, PathElem, Target, TypeError, Value,
};

fn env() -> Env {
    let mut env = Env::new(Target::Wasm32);
    env.def("Point", "struct { x: i32, y: i32 }");
    env.def("Color", "enum(u8) { red, green = 5, blue }");
    env.def("Shape", "union(enum) { circle: f64, square: Point }");
    env.def("MyErr", "error { Oops, Bad }");
    env
}

fn int(v: i128) -> Value {
    Value::Int(Int::from_i128(v))
}

fn check(env: &mut Env, ty: &str, v: &Value) -> Result<(), TypeError> {
    let t = env.ty(ty);
    env.pool.check_value(t, v)
}

fn fails(env: &mut Env, ty: &str, v: &Value, msg: &str) {
    match check(env, ty, v) {
        Err(TypeError::Value(m)) => assert!(m.contains(msg), "`{m}` does not mention `{msg}`"),
        other => panic!("{v:?}: {ty} gave {other:?}, expected an error mentioning `{msg}`"),
    }
}

fn name(env: &mut Env, s: &str) -> wabe_types::NameId {
    env.pool.names.intern(s)
}

fn addr(env: &mut Env, decl: &str, slice: Option<(u64, u64)>) -> Value {
    let decl = name(env, decl);
    Value::DeclAddr(DeclAddr {
        decl,
        path: Box::new([PathElem::Index(2)]),
        slice,
    })
}

#[test]
fn ints() {
    let mut e = env();
    assert_eq!(check(&mut e, "u8", &int(255)), Ok(()));
    fails(&mut e, "u8", &int(256), "`256` does not fit `u8`");
    fails(&mut e, "u8", &int(-1), "does not fit");
    assert_eq!(check(&mut e, "i8", &int(-128)), Ok(()));
    assert_eq!(check(&mut e, "u0", &int(0)), Ok(()));
    fails(&mut e, "u0", &int(1), "does not fit");
    let big = Int::parse_digits("1_0000_0000_0000_0000_0000_0000_0000_0000_0000", 16).unwrap();
    assert_eq!(check(&mut e, "u200", &Value::Int(big.clone())), Ok(()));
    fails(&mut e, "u128", &Value::Int(big), "does not fit `u128`");
    assert_eq!(
        check(&mut e, "u128", &Value::Int(Int::from_u128(u128::MAX))),
        Ok(())
    );
    assert_eq!(check(&mut e, "usize", &int(u32::MAX as i128)), Ok(()));
    fails(&mut e, "usize", &int(1 << 32), "does not fit `usize`");
    fails(&mut e, "bool", &int(1), "does not fit `bool`");
    // An integer for a float must be finite in it.
    assert_eq!(check(&mut e, "f16", &int(65504)), Ok(()));
    fails(&mut e, "f16", &int(65520), "out of the range of `f16`");
    // An enum by number must be one of its values.
    assert_eq!(check(&mut e, "Color", &int(5)), Ok(()));
    fails(&mut e, "Color", &int(1), "not a value of the enum");
}

#[test]
fn floats_and_bools() {
    let mut e = env();
    let bits = |t, v| Value::Float(float_bits_from_f64(t, v));
    for (t, ft) in [
        ("f16", FloatType::F16),
        ("f32", FloatType::F32),
        ("f80", FloatType::F80),
    ] {
        assert_eq!(check(&mut e, t, &bits(ft, 1.5)), Ok(()));
    }
    assert_eq!(check(&mut e, "f128", &Value::Float(u128::MAX)), Ok(()));
    fails(
        &mut e,
        "f32",
        &Value::Float(1 << 40),
        "bits beyond the format of `f32`",
    );
    fails(
        &mut e,
        "u32",
        &bits(FloatType::F32, 1.0),
        "does not fit `u32`",
    );
    assert_eq!(check(&mut e, "bool", &Value::Bool(true)), Ok(()));
    fails(&mut e, "u1", &Value::Bool(true), "does not fit");
}

#[test]
fn undef_and_null() {
    let mut e = env();
    for t in ["u8", "Point", "?u32", "[3]Shape", "void", "MyErr!Point"] {
        assert_eq!(check(&mut e, t, &Value::Undef), Ok(()));
    }
    assert_eq!(check(&mut e, "?*u8", &Value::Null), Ok(()));
    assert_eq!(check(&mut e, "?Point", &Value::Null), Ok(()));
    assert_eq!(check(&mut e, "[*c]u8", &Value::Null), Ok(()));
    fails(&mut e, "*u8", &Value::Null, "`null` does not fit `*u8`");
    // A plain value in an optional is its payload.
    assert_eq!(check(&mut e, "?u8", &int(7)), Ok(()));
    fails(&mut e, "?u8", &int(700), "does not fit `u8`");
}

#[test]
fn bytes() {
    let mut e = env();
    let s = Value::Bytes(b"hello".to_vec().into());
    assert_eq!(check(&mut e, "[5]u8", &s), Ok(()));
    assert_eq!(check(&mut e, "[]const u8", &s), Ok(()));
    assert_eq!(check(&mut e, "*const [5]u8", &s), Ok(()));
    assert_eq!(check(&mut e, "[*]const u8", &s), Ok(()));
    assert_eq!(check(&mut e, "?[]const u8", &s), Ok(()));
    fails(&mut e, "[4]u8", &s, "does not fit `[4]u8`");
    fails(&mut e, "*const [4]u8", &s, "does not fit");
    fails(&mut e, "[]u8", &s, "does not fit `[]u8`");
    fails(&mut e, "[5]i8", &s, "does not fit");
}

#[test]
fn aggregates() {
    let mut e = env();
    let (x, y, z) = (name(&mut e, "x"), name(&mut e, "y"), name(&mut e, "z"));
    let pt = Value::Aggregate(Box::new([int(1), int(-2)]));
    assert_eq!(check(&mut e, "Point", &pt), Ok(()));
    assert_eq!(check(&mut e, "[2]i32", &pt), Ok(()));
    fails(&mut e, "[3]i32", &pt, "has 2 elements for `[3]i32`");
    fails(
        &mut e,
        "Point",
        &Value::Aggregate(Box::new([int(1)])),
        "has 1 values for the fields",
    );
    let deep = Value::Aggregate(Box::new([
        pt.clone(),
        Value::Aggregate(Box::new([int(0), int(1 << 40)])),
    ]));
    fails(&mut e, "[2]Point", &deep, "(at `[1].y`)");
    let by_name = Value::Fields(Box::new([(y, int(2)), (x, int(1))]));
    assert_eq!(check(&mut e, "Point", &by_name), Ok(()));
    fails(
        &mut e,
        "Point",
        &Value::Fields(Box::new([(x, int(1))])),
        "missing field `y`",
    );
    fails(
        &mut e,
        "Point",
        &Value::Fields(Box::new([(x, int(1)), (z, int(1))])),
        "no field `z`",
    );
    fails(
        &mut e,
        "Point",
        &Value::Fields(Box::new([(x, int(1)), (x, int(1))])),
        "field `x` twice",
    );
    assert_eq!(
        check(&mut e, "void", &Value::Aggregate(Box::new([]))),
        Ok(())
    );
    assert_eq!(
        check(&mut e, "struct {}", &Value::Aggregate(Box::new([]))),
        Ok(())
    );
}

#[test]
fn unions_enums_errors() {
    let mut e = env();
    let (circle, square, red, purple) = (
        name(&mut e, "circle"),
        name(&mut e, "square"),
        name(&mut e, "red"),
        name(&mut e, "purple"),
    );
    let one = Value::Float(float_bits_from_f64(FloatType::F64, 1.5));
    assert_eq!(
        check(
            &mut e,
            "Shape",
            &Value::Fields(Box::new([(circle, one.clone())]))
        ),
        Ok(())
    );
    fails(
        &mut e,
        "Shape",
        &Value::Fields(Box::new([(square, one.clone())])),
        "(at `.square`)",
    );
    fails(
        &mut e,
        "Shape",
        &Value::Fields(Box::new([])),
        "exactly one field",
    );
    fails(
        &mut e,
        "Shape",
        &Value::Aggregate(Box::new([one])),
        "does not fit `Shape`",
    );
    assert_eq!(check(&mut e, "Color", &Value::EnumLiteral(red)), Ok(()));
    fails(
        &mut e,
        "Color",
        &Value::EnumLiteral(purple),
        "`.purple` is not a value of `Color`",
    );
    let (oops, other) = (name(&mut e, "Oops"), name(&mut e, "Other"));
    assert_eq!(check(&mut e, "MyErr", &Value::Error(oops)), Ok(()));
    assert_eq!(check(&mut e, "anyerror", &Value::Error(other)), Ok(()));
    fails(
        &mut e,
        "MyErr",
        &Value::Error(other),
        "`error.Other` is not in the error set `MyErr`",
    );
    assert_eq!(check(&mut e, "MyErr!u32", &Value::Error(oops)), Ok(()));
    assert_eq!(check(&mut e, "MyErr!u32", &int(3)), Ok(()));
    fails(
        &mut e,
        "MyErr!u32",
        &Value::Error(other),
        "not in the error set",
    );
    fails(&mut e, "u16", &Value::Error(oops), "does not fit `u16`");
}

#[test]
fn decl_addresses() {
    let mut e = env();
    let a = addr(&mut e, "table", None);
    for t in [
        "*u8",
        "*const Point",
        "[*]u8",
        "?*const Point",
        "[]const u8",
        "*const fn () void",
    ] {
        assert_eq!(check(&mut e, t, &a), Ok(()), "{t}");
    }
    fails(
        &mut e,
        "usize",
        &a,
        "`@table` is an address, which does not fit `usize`",
    );
    fails(&mut e, "Point", &a, "does not fit");
    let s = addr(&mut e, "table", Some((1, 4)));
    assert_eq!(check(&mut e, "[]const u8", &s), Ok(()));
    assert_eq!(check(&mut e, "?[]const u8", &s), Ok(()));
    fails(&mut e, "*const u8", &s, "is a slice");
    let backwards = addr(&mut e, "table", Some((4, 1)));
    fails(&mut e, "[]const u8", &backwards, "ends before its start");
}

#[test]
fn interning_is_structural_except_for_names() {
    let mut e = env();
    assert_eq!(e.ty("error { B, A, B }"), e.ty("error { A, B }"));
    assert_eq!(
        e.ty("struct { x: i32, y: i32 }"),
        e.ty("struct { x: i32, y: i32 }")
    );
    assert_ne!(e.ty("Point"), e.ty("struct { x: i32, y: i32 }"));
    // A second nominal struct with the same fields is another type.
    assert_ne!(e.ty("Point"), e.def("Point2", "struct { x: i32, y: i32 }"));
    assert_eq!(e.ty("?*const Point"), e.ty("?*const Point"));
    assert_ne!(e.ty("*const Point"), e.ty("*Point"));
}
