//! The library API end to end, as a compiler uses it: build a module in memory with
//! `FuncBuilder` (no text), verify it, compile it, run it.

use wabe_air::{Decl, DeclKind, FuncBuilder, Function, Module, Ref, Span, Tag, NO_NAME};
use wabe_types::{CallConv, Int, Target, TypeId, TypeKey, Value};

/// `export fn gcd(a: u64, b: u64) u64` with a loop, built through the API.
fn gcd_module() -> Module {
    let mut m = Module::new(Target::Wasm32);
    let fn_ty = m
        .types
        .intern(TypeKey::Fn {
            params: vec![TypeId::U64, TypeId::U64].into(),
            ret: TypeId::U64,
            callconv: CallConv::Auto,
        })
        .unwrap();
    let ptr = m
        .types
        .pointer(wabe_types::PtrSize::One, false, TypeId::U64);
    let (na, nb) = (m.name("a"), m.name("b"));
    let mut b = FuncBuilder::new();
    let a = b.arg(0, TypeId::U64, na);
    let bb = b.arg(1, TypeId::U64, nb);
    let x = b.alloc(ptr);
    let y = b.alloc(ptr);
    b.bin(Tag::Store, x, a);
    b.bin(Tag::Store, y, bb);
    let zero = b.constant(TypeId::U64, Value::Int(Int::ZERO));
    let done = b.begin_block(TypeId::U64);
    let lp = b.begin_loop();
    let yv = b.un(Tag::Load, y);
    let is_zero = b.bin(Tag::CmpEq, yv, zero);
    b.cond_br(
        is_zero,
        |b| {
            let xv = b.un(Tag::Load, x);
            b.br(done, xv);
        },
        |b| {
            let xv = b.un(Tag::Load, x);
            let r = b.bin(Tag::Rem, xv, yv);
            b.bin(Tag::Store, x, yv);
            b.bin(Tag::Store, y, r);
            b.repeat(lp);
        },
    );
    b.end_block(lp);
    b.end_block(done);
    b.ret(done);
    let air = b.finish();
    let name = m.name("gcd");
    m.add_decl(Decl {
        name,
        exported: true,
        span: Span::default(),
        kind: DeclKind::Fn(Function { ty: fn_ty, air }),
    })
    .unwrap();
    m
}

#[test]
fn built_module_compiles_and_runs() {
    let mut m = gcd_module();
    wabe_air::verify(&mut m).unwrap();
    let wasm = wabe::Compilation::new(&m, &wabe::Options::default())
        .unwrap()
        .flush()
        .unwrap();
    crate::validate(&wasm);
    for (a, b, want) in [
        ("48", "18", "6"),
        ("17", "5", "1"),
        ("0", "9", "9"),
        ("1000000007000", "7000", "1000"),
    ] {
        let out = wabe::run::invoke(&m, &wasm, "gcd", &[a.into(), b.into()]).unwrap();
        assert_eq!(out.values, vec![want.to_string()], "gcd({a}, {b})");
    }
    // The printed text of a built module parses back and compiles to the same bytes.
    let text = wabe_air::print(&m);
    let again = wabe::compile_str(&text, &wabe::Options::default()).unwrap();
    assert_eq!(again.wasm, wasm, "printed:\n{text}");
}

#[test]
fn ill_typed_built_module_is_an_error_not_a_panic() {
    let mut m = gcd_module();
    // Break the module: make the function return `u32` while its body returns `u64`.
    let bad_ty = m
        .types
        .intern(TypeKey::Fn {
            params: vec![TypeId::U64, TypeId::U64].into(),
            ret: TypeId::U32,
            callconv: CallConv::Auto,
        })
        .unwrap();
    if let DeclKind::Fn(f) = &mut m.decls[0].kind {
        f.ty = bad_ty;
    }
    let err = wabe_air::verify(&mut m).unwrap_err();
    assert!(err.to_string().contains("returns `u32`"), "{err}");
    let _ = (Ref::NONE, NO_NAME);
}

#[test]
fn unverified_module_with_a_bad_function_type_is_an_error() {
    let mut m = gcd_module();
    // Skip `verify` and give the function a type that is not a function type.
    if let DeclKind::Fn(f) = &mut m.decls[0].kind {
        f.ty = TypeId::U32;
    }
    let err = wabe::Compilation::new(&m, &wabe::Options::default())
        .err()
        .map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("not a function type")),
        "{err:?}"
    );
}
