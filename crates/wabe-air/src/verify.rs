//! The verifier, which is also the type inferencer.
//!
//! Parsing and [`FuncBuilder`](crate::FuncBuilder) leave the result type of most instructions as
//! a placeholder (`void`), and some constants untyped ([`INFER`]). [`verify`] walks every function
//! body in order, checks each instruction against IR.md 5.1, and writes the computed result type
//! into [`Air::types`]; it types `@name` addresses (`*const T`, `*T`, `*const fn (..) R`, or a
//! pointer or slice into the declaration) and switch case items (the operand's type). It collects
//! every error it finds rather than stopping at the first.
//!
//! # Invariants
//!
//! When [`verify`] returns `Ok`, later stages (liveness, funcgen, declgen, the interpreter) may
//! rely on the following without checking again:
//!
//! 1. Every type id anywhere in the module (pool, declarations, instructions, constants) names a
//!    type of the module's pool, and every type that is used by value is complete.
//! 2. In every function, the instruction arrays (`tags`, `data`, `types`, `spans`, `names`) have
//!    the same length; every body, `cond_br`/`switch_br` layout, call argument list, aggregate
//!    element list and `memset`/`memcpy` operand triple lies inside `extra`; every instruction
//!    index is in range and appears in at most one body.
//! 3. Bodies are non-empty, nested at most [`MAX_BODY_DEPTH`] deep, end with an instruction that
//!    does not return normally (a terminator, a call of a `noreturn` function, or a `block` of type
//!    `noreturn`), and have no instruction after their first such one.
//! 4. The main body starts with exactly one `arg` per parameter, in order, typed like the
//!    parameters; `arg` appears nowhere else.
//! 5. Every operand is a constant of the pool or the result of an instruction defined earlier in
//!    the same or an enclosing body (never a `block`/`loop` from inside its own body), which has a
//!    value (not `void` from a `call` or `block`, not `noreturn`, not an instruction without
//!    result).
//! 6. `br` targets a `block` that encloses it and carries a value exactly when the block's type is
//!    not `void`; `repeat` targets a `loop` that encloses it.
//! 7. Every instruction's type in [`Air::types`] is its result type per IR.md 5.1 (`noreturn` for
//!    terminators, `void` for `store`, `memset`, `memcpy`, `set_union_tag`, `dbg_stmt` and calls
//!    of `void` functions), and operand types are as IR.md 5.1 requires.
//! 8. Every constant that is used has a type, and its value fits that type ([`check_value`]);
//!    switch case items have exactly the operand's type, and a switch without `else` covers every
//!    value of its operand type.
//! 9. `const`/`var` values fit their types; `@name` references name existing declarations.
//!
//! # Decisions where IR.md is silent
//!
//! - Shift amounts (`shl`, `shr`, `shl_exact`, `shr_exact`, `shl_sat`, `shl_with_overflow`) may be
//!   any integer type, signed or not; the result has the left operand's type.
//! - Ordering comparisons (`cmp_lt`, ...) accept ints, floats, bools, enums and error sets;
//!   pointers and optional pointers compare with `cmp_eq`/`cmp_neq` only.
//! - `bitcast` needs equal bit widths (as Zig's `@bitCast`), between ints, floats, enums, pointers
//!   (not slices) and optional pointers.
//! - `call_always_tail` needs the callee's return type and calling convention to equal the
//!   caller's; its own type is `noreturn`.
//! - `block noreturn` ends a body like a terminator; a `br` to it is an error.
//! - `@name` also types as a many-item pointer to the element type of an array declaration, and
//!   `@name[i]` as a many-item pointer to the element.
//! - `wasm_memory_size`/`wasm_memory_grow` accept memory index 0 only.
//! - A `switch_br` without `else` must cover every value: checked exactly for `bool`, enums
//!   (every field), error sets (every name) and integers of up to 128 bits (cases and ranges
//!   together); integers wider than 128 bits and `anyerror` always need an `else`. A value that
//!   two cases handle is an error, as in Zig.
//! - C pointers (`[*c]T`) are accepted wherever a single-item pointer (`load`, `store`,
//!   `struct_field_ptr`, ...) or a many-item pointer (`ptr_elem_ptr`, `ptr_add`, `memcpy`) is.
//! - `cmp_eq`/`cmp_neq` also compare optional pointers (`?*T`); `ptrtoint` accepts them, and
//!   `inttoptr` may produce them.
//! - `wrap_errunion_err E!T, %e` accepts any error set contained in `E` (error values are
//!   module-wide, so this costs nothing); `anyerror` only into `anyerror!T`.
//! - `byte_swap` needs an integer whose width is a multiple of 8 bits, as Zig's `@byteSwap`.
//! - An `arg` whose type is still the `void` placeholder takes its parameter's type.

use crate::air::{Air, Ref, Span, INFER, NO_NAME};
use crate::inst::{Form, Tag};
use crate::module::{DeclKind, Module};
use crate::{Diagnostic, Error};
use std::ops::Range;
use wabe_types::{
    CallConv, ContainerLayout, DeclAddr, Field, FloatType, Interner, PathElem, PtrSize, TypeId,
    TypeKey, TypePool, Value,
};

/// The deepest nesting of bodies the verifier accepts, so that later stages can walk bodies
/// recursively without running out of stack.
pub const MAX_BODY_DEPTH: usize = 512;

/// The deepest nesting of constant values (aggregates, optionals, ...) that is checked.
const MAX_VALUE_DEPTH: usize = 256;

/// Checks a module and computes the result type of every instruction.
///
/// On success every invariant listed in the [module documentation](self) holds. On failure the
/// error holds every diagnostic found, in source order.
pub fn verify(module: &mut Module) -> Result<(), Error> {
    if let Err(message) = check_pool(&module.types) {
        return Err(Error::new(Span::default(), message));
    }
    let mut diags = Vec::new();
    for i in 0..module.decls.len() {
        check_decl(module, i, &mut diags);
    }
    for i in 0..module.decls.len() {
        let mut air = match &mut module.decls[i].kind {
            DeclKind::Fn(f) => std::mem::take(&mut f.air),
            _ => continue,
        };
        FnCheck::run(module, i, &mut air, &mut diags);
        if let DeclKind::Fn(f) = &mut module.decls[i].kind {
            f.air = air;
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        // Stable: diagnostics at the same place keep the order they were found in.
        diags.sort_by_key(|d| d.span);
        Err(Error { diagnostics: diags })
    }
}

/// Checks that `value` is a valid constant of type `ty` (IR.md section 4), knowing the module's
/// declarations.
///
/// The type must have values (not `noreturn`, not a bare function type, defined); the value must
/// fit it by [`TypePool::check_value`] (integers in range, enum literals naming a field, error
/// names in their set, strings and aggregates of the right length, ...); and every `@name`
/// address inside it must name a declaration, follow a valid path of elements and fields, and
/// have a pointer type that matches what it points at (`*T`/`*const T` to the item, `[*]T` to an
/// element, `[]T` for `@name[a..b]`), pointing to const when the declaration is a `const` or a
/// function.
///
/// Returns a sentence describing the first problem. Shared with the parser and declgen.
pub fn check_value(module: &Module, ty: TypeId, value: &Value) -> Result<(), String> {
    check_value_type(&module.types, ty)?;
    module
        .types
        .check_value(ty, value)
        .map_err(|e| e.to_string())?;
    check_addrs(module, ty, value, 0)
}

/// The type of an untyped `@name...` constant: `*const T` / `*T` for a declaration or an element
/// or field inside it (constness from `const`/`var`), `*const fn (..) R` for a function, and
/// `[]const T` / `[]T` for a slice `@name[a..b]` of an array declaration.
pub fn decl_addr_type(module: &mut Module, addr: &DeclAddr) -> Result<TypeId, String> {
    let target = resolve_decl_addr(module, addr)?;
    Ok(match target.kind {
        AddrKind::Single(t) => module.types.pointer(PtrSize::One, target.is_const, t),
        AddrKind::Slice(e) => module.types.pointer(PtrSize::Slice, target.is_const, e),
    })
}

// ---------------------------------------------------------------------------------------------
// Types and declarations.

/// Checks that every type of the pool refers only to types of the pool, so that any id taken
/// from inside the pool can be looked up without a bounds check.
fn check_pool(pool: &TypePool) -> Result<(), String> {
    let n = pool.len() as u32;
    let bad = |t: &TypeId| t.0 >= n;
    for id in 0..n {
        let dangling = match pool.key(TypeId(id)) {
            TypeKey::Pointer { child, .. } | TypeKey::Optional(child) => bad(child),
            TypeKey::Array { elem, .. } => bad(elem),
            TypeKey::ErrorUnion { error, payload } => bad(error) || bad(payload),
            TypeKey::Struct { fields, .. } => fields.iter().any(|f| bad(&f.ty)),
            TypeKey::Union { tag, fields, .. } => {
                tag.as_ref().is_some_and(bad) || fields.iter().any(|f| bad(&f.ty))
            }
            TypeKey::Enum { tag, .. } => bad(tag),
            TypeKey::Fn { params, ret, .. } => bad(ret) || params.iter().any(bad),
            _ => false,
        };
        if dangling {
            return Err(format!(
                "type t{id} of the module refers to a type id that does not exist"
            ));
        }
    }
    Ok(())
}

/// A type as text for messages (never panics on a bad id).
fn show(pool: &TypePool, t: TypeId) -> String {
    if (t.0 as usize) < pool.len() {
        pool.display(t).to_string()
    } else if t == INFER {
        "(untyped)".to_string()
    } else {
        format!("(invalid type id {})", t.0)
    }
}

fn type_exists(pool: &TypePool, t: TypeId) -> Result<(), String> {
    if (t.0 as usize) < pool.len() {
        Ok(())
    } else if t == INFER {
        Err("the type has not been inferred".to_string())
    } else {
        Err(format!("type id {} does not exist", t.0))
    }
}

/// A type that values can have: exists, complete, not `noreturn`, not a bare function type.
fn check_value_type(pool: &TypePool, t: TypeId) -> Result<(), String> {
    type_exists(pool, t)?;
    match pool.key(t) {
        TypeKey::NoReturn => Err("`noreturn` has no values".to_string()),
        TypeKey::Fn { .. } => Err(format!(
            "`{}` is a function type and has no values; use a pointer `*const {}`",
            show(pool, t),
            show(pool, t)
        )),
        _ if !pool.is_complete(t) => Err(format!("type `{}` is not defined", show(pool, t))),
        _ => Ok(()),
    }
}

fn check_fn_type(pool: &TypePool, t: TypeId) -> Result<(), String> {
    type_exists(pool, t)?;
    let TypeKey::Fn { params, ret, .. } = pool.key(t) else {
        return Err(format!(
            "the type of a function must be a function type, not `{}`",
            show(pool, t)
        ));
    };
    for (i, &p) in params.iter().enumerate() {
        if let Err(m) = check_value_type(pool, p) {
            return Err(format!("parameter {}: {m}", i + 1));
        }
    }
    if *ret != TypeId::NORETURN {
        if let Err(m) = check_value_type(pool, *ret) {
            return Err(format!("return type: {m}"));
        }
    }
    Ok(())
}

fn check_decl(module: &Module, i: usize, diags: &mut Vec<Diagnostic>) {
    let decl = &module.decls[i];
    let result = match &decl.kind {
        DeclKind::Fn(f) => check_fn_type(&module.types, f.ty),
        DeclKind::Extern(e) => check_fn_type(&module.types, e.ty),
        DeclKind::Const(g) | DeclKind::Var(g) => {
            check_value_type(&module.types, g.ty).and_then(|()| check_value(module, g.ty, &g.value))
        }
    };
    if let Err(m) = result {
        diags.push(Diagnostic {
            span: decl.span,
            message: format!("`@{}`: {m}", module.name_str(decl.name)),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Constant values.

fn describe_value(names: &Interner, v: &Value) -> String {
    match v {
        Value::Int(i) => format!("`{i}`"),
        Value::Float(_) => "a float".to_string(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Undef => "`undef`".to_string(),
        Value::Null => "`null`".to_string(),
        Value::Bytes(b) => format!("a string of {} bytes", b.len()),
        Value::Aggregate(v) => format!("an aggregate of {} elements", v.len()),
        Value::Fields(f) => format!("a value with {} named fields", f.len()),
        Value::EnumLiteral(n) => format!("`.{}`", names.resolve(*n)),
        Value::Error(n) => format!("`error.{}`", names.resolve(*n)),
        Value::DeclAddr(a) => format!("`{}`", format_addr(names, a)),
    }
}

fn format_addr(names: &Interner, a: &DeclAddr) -> String {
    let mut s = format!("@{}", names.resolve(a.decl));
    for p in a.path.iter() {
        match p {
            PathElem::Index(i) => s += &format!("[{i}]"),
            PathElem::Field(n) => s += &format!(".{}", names.resolve(*n)),
        }
    }
    if let Some((lo, hi)) = a.slice {
        s += &format!("[{lo}..{hi}]");
    }
    s
}

/// Checks the `@name` addresses inside a value whose shape already fits its type: each names a
/// declaration and has a pointer type compatible with what it points at.
fn check_addrs(module: &Module, ty: TypeId, value: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err("the value is nested too deeply".to_string());
    }
    let pool = &module.types;
    let names = &pool.names;
    let nested = |ty, v| check_addrs(module, ty, v, depth + 1);
    match (pool.key(ty), value) {
        (_, Value::Undef | Value::Null) => Ok(()),
        // In an optional or an error union, a plain value is the payload.
        (TypeKey::Optional(child), v) => nested(*child, v),
        (TypeKey::ErrorUnion { .. }, Value::Error(_)) => Ok(()),
        (TypeKey::ErrorUnion { payload, .. }, v) => nested(*payload, v),
        (_, Value::DeclAddr(a)) => check_decl_addr(module, ty, a),
        (TypeKey::Array { elem, .. }, Value::Aggregate(vs)) => {
            for (i, v) in vs.iter().enumerate() {
                nested(*elem, v).map_err(|e| format!("element {i}: {e}"))?;
            }
            Ok(())
        }
        (TypeKey::Struct { fields, .. }, Value::Aggregate(vs)) => {
            for (f, v) in fields.iter().zip(vs.iter()) {
                nested(f.ty, v).map_err(|e| format!("field `{}`: {e}", names.resolve(f.name)))?;
            }
            Ok(())
        }
        (TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. }, Value::Fields(fs)) => {
            for (n, v) in fs.iter() {
                if let Some(f) = fields.iter().find(|f| f.name == *n) {
                    nested(f.ty, v).map_err(|e| format!("field `{}`: {e}", names.resolve(*n)))?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// What an `@name...` address points at.
struct AddrTarget {
    /// Whether the memory is read-only (`const` declarations and functions).
    is_const: bool,
    kind: AddrKind,
}

enum AddrKind {
    /// One item of this type (a function type for `@f`).
    Single(TypeId),
    /// A slice of elements of this type.
    Slice(TypeId),
}

fn resolve_decl_addr(module: &Module, addr: &DeclAddr) -> Result<AddrTarget, String> {
    let pool = &module.types;
    let names = &pool.names;
    let text = || format_addr(names, addr);
    let Some(di) = module.decl_by_name(addr.decl) else {
        return Err(format!("`@{}` is not declared", names.resolve(addr.decl)));
    };
    let Some(decl) = module.decls.get(di.0 as usize) else {
        return Err(format!("`@{}` is not declared", names.resolve(addr.decl)));
    };
    let (is_const, mut ty) = match &decl.kind {
        DeclKind::Fn(f) => (true, f.ty),
        DeclKind::Extern(e) => (true, e.ty),
        DeclKind::Const(g) => (true, g.ty),
        DeclKind::Var(g) => (false, g.ty),
    };
    type_exists(pool, ty)?;
    if matches!(pool.key(ty), TypeKey::Fn { .. }) && (!addr.path.is_empty() || addr.slice.is_some())
    {
        return Err(format!(
            "`{}`: a function has no elements or fields",
            text()
        ));
    }
    for p in addr.path.iter() {
        ty = match (p, pool.key(ty)) {
            (PathElem::Index(i), TypeKey::Array { len, elem }) => {
                if i >= len {
                    return Err(format!(
                        "`{}`: index {i} is out of bounds for `{}`",
                        text(),
                        show(pool, ty)
                    ));
                }
                *elem
            }
            (
                PathElem::Field(n),
                TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. },
            ) => match fields.iter().find(|f| f.name == *n) {
                Some(f) => f.ty,
                None => {
                    return Err(format!(
                        "`{}`: `{}` has no field `{}`",
                        text(),
                        show(pool, ty),
                        names.resolve(*n)
                    ))
                }
            },
            (PathElem::Index(_), _) => {
                return Err(format!(
                    "`{}`: `{}` is not an array",
                    text(),
                    show(pool, ty)
                ))
            }
            (PathElem::Field(_), _) => {
                return Err(format!("`{}`: `{}` has no fields", text(), show(pool, ty)))
            }
        };
    }
    let kind = match addr.slice {
        None => AddrKind::Single(ty),
        Some((lo, hi)) => match pool.key(ty) {
            TypeKey::Array { len, elem } => {
                if lo > hi || hi > *len {
                    return Err(format!(
                        "`{}`: the range is out of bounds for `{}`",
                        text(),
                        show(pool, ty)
                    ));
                }
                AddrKind::Slice(*elem)
            }
            _ => {
                return Err(format!(
                    "`{}`: only arrays can be sliced, not `{}`",
                    text(),
                    show(pool, ty)
                ))
            }
        },
    };
    Ok(AddrTarget { is_const, kind })
}

fn check_decl_addr(module: &Module, ty: TypeId, addr: &DeclAddr) -> Result<(), String> {
    let pool = &module.types;
    let target = resolve_decl_addr(module, addr)?;
    let TypeKey::Pointer {
        size,
        is_const,
        child,
    } = *pool.key(ty)
    else {
        return Err(format!(
            "`{}` is an address and cannot have type `{}`",
            format_addr(&pool.names, addr),
            show(pool, ty)
        ));
    };
    let ok = match (&target.kind, size) {
        (AddrKind::Single(t), PtrSize::One | PtrSize::C) => *t == child,
        (AddrKind::Single(t), PtrSize::Many) => {
            *t == child || matches!(pool.key(*t), TypeKey::Array { elem, .. } if *elem == child)
        }
        (AddrKind::Slice(e), PtrSize::Slice) => *e == child,
        _ => false,
    };
    let (what, t) = match target.kind {
        AddrKind::Single(t) => ("a pointer to", t),
        AddrKind::Slice(t) => ("a slice of", t),
    };
    if !ok {
        return Err(format!(
            "`{}` is {what} `{}` and cannot have type `{}`",
            format_addr(&pool.names, addr),
            show(pool, t),
            show(pool, ty)
        ));
    }
    if target.is_const && !is_const {
        return Err(format!(
            "`{}` points to read-only memory, so its type must point to const, not `{}`",
            format_addr(&pool.names, addr),
            show(pool, ty)
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Functions.

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum State {
    /// Not reached yet.
    Unseen,
    /// A `block`, `loop`, `cond_br` or `switch_br` whose bodies are being walked.
    Open,
    /// Visited and in scope.
    Defined,
    /// Visited, in a body that has ended.
    Closed,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum ConstState {
    Unchecked,
    Good,
    Bad,
}

/// The nested bodies of an instruction, as ranges of `extra`.
enum Shape {
    Leaf,
    Bodies(Vec<Range<usize>>),
    Switch(SwitchShape),
}

struct SwitchShape {
    cases: Vec<CaseShape>,
    else_body: Option<Range<usize>>,
}

struct CaseShape {
    items: Range<usize>,
    ranges: Range<usize>,
    body: Range<usize>,
}

fn extra_range(extra: &[u32], start: usize, len: usize) -> Option<Range<usize>> {
    let end = start.checked_add(len)?;
    (end <= extra.len()).then_some(start..end)
}

/// A length-prefixed list in `extra` (a body, call arguments, aggregate elements).
fn list_range(extra: &[u32], at: u32) -> Option<Range<usize>> {
    let at = at as usize;
    let len = *extra.get(at)? as usize;
    extra_range(extra, at.checked_add(1)?, len)
}

fn decode_switch(extra: &[u32], at: u32) -> Option<SwitchShape> {
    let at = at as usize;
    let count = *extra.get(at)?;
    let has_else = *extra.get(at.checked_add(1)?)? != 0;
    let mut p = at + 2;
    let mut cases = Vec::new();
    // Each case takes at least three words, so a bad count ends at the end of `extra`.
    for _ in 0..count {
        let ni = *extra.get(p)? as usize;
        let nr = *extra.get(p + 1)? as usize;
        let nb = *extra.get(p + 2)? as usize;
        let items = extra_range(extra, p + 3, ni)?;
        let ranges = extra_range(extra, items.end, nr.checked_mul(2)?)?;
        let body = extra_range(extra, ranges.end, nb)?;
        p = body.end;
        cases.push(CaseShape {
            items,
            ranges,
            body,
        });
    }
    let else_body = if has_else {
        let n = *extra.get(p)? as usize;
        Some(extra_range(extra, p + 1, n)?)
    } else {
        None
    };
    Some(SwitchShape { cases, else_body })
}

fn shape(air: &Air, inst: usize) -> Option<Shape> {
    let d = air.data[inst];
    let extra = &air.extra[..];
    Some(match air.tags[inst].form() {
        Form::Block | Form::Loop => Shape::Bodies(vec![list_range(extra, d.a)?]),
        Form::CondBr => {
            let at = d.b as usize;
            let tl = *extra.get(at)? as usize;
            let el = *extra.get(at.checked_add(1)?)? as usize;
            let then_body = extra_range(extra, at + 2, tl)?;
            let else_body = extra_range(extra, then_body.end, el)?;
            Shape::Bodies(vec![then_body, else_body])
        }
        Form::SwitchBr => Shape::Switch(decode_switch(extra, d.b)?),
        _ => Shape::Leaf,
    })
}

/// What a `switch_br` has covered so far.
enum Cover {
    /// Integers of at most 128 bits: inclusive ranges of keys (value minus the type's minimum).
    Int {
        signed: bool,
        bits: u32,
        ranges: Vec<(u128, u128)>,
    },
    /// Wider integers: an `else` is required; the inclusive ranges seen (to find overlaps).
    Wide(Vec<(wabe_types::Int, wabe_types::Int)>),
    Bool([bool; 2]),
    /// Which enum fields are covered.
    Enum(Vec<bool>),
    /// Which errors of the set are covered.
    Errors(Vec<bool>),
    /// `anyerror`: an `else` is required; the names seen (to find duplicates).
    AnyError(Vec<wabe_types::NameId>),
}

fn int_key(signed: bool, bits: u32, v: &wabe_types::Int) -> u128 {
    let raw = v.to_u128_wrapping();
    if signed && bits > 0 {
        raw.wrapping_add(1u128 << (bits - 1))
    } else {
        raw
    }
}

/// Orders two integer constants by value (of any width).
fn int_cmp(a: &wabe_types::Int, b: &wabe_types::Int) -> std::cmp::Ordering {
    let ((na, ma), (nb, mb)) = (a.sign_mag(), b.sign_mag());
    let mag = |x: &[u64], y: &[u64]| {
        let trim = |v: &[u64]| v.len() - v.iter().rev().take_while(|&&l| l == 0).count();
        let (lx, ly) = (trim(x), trim(y));
        lx.cmp(&ly)
            .then_with(|| x[..lx].iter().rev().cmp(y[..ly].iter().rev()))
    };
    let a_neg = na && !ma.iter().all(|&l| l == 0);
    let b_neg = nb && !mb.iter().all(|&l| l == 0);
    match (a_neg, b_neg) {
        (false, true) => std::cmp::Ordering::Greater,
        (true, false) => std::cmp::Ordering::Less,
        (false, false) => mag(&ma, &mb),
        (true, true) => mag(&mb, &ma),
    }
}

fn key_text(signed: bool, bits: u32, key: u128) -> String {
    if signed && bits > 0 {
        (key.wrapping_sub(1u128 << (bits - 1)) as i128).to_string()
    } else {
        key.to_string()
    }
}

struct FnCheck<'a> {
    module: &'a mut Module,
    air: &'a mut Air,
    diags: &'a mut Vec<Diagnostic>,
    fn_span: Span,
    params: Vec<TypeId>,
    ret: TypeId,
    callconv: CallConv,
    state: Vec<State>,
    poisoned: Vec<bool>,
    consts: Vec<ConstState>,
    /// Constants whose type the verifier set (switch items), which may be re-typed by copying.
    inferred: Vec<bool>,
    /// Instructions defined in the bodies being walked, innermost last.
    defined: Vec<u32>,
    depth: usize,
    args: usize,
}

impl<'a> FnCheck<'a> {
    fn run(module: &'a mut Module, decl: usize, air: &'a mut Air, diags: &'a mut Vec<Diagnostic>) {
        let fn_span = module.decls[decl].span;
        let fn_ty = match &module.decls[decl].kind {
            DeclKind::Fn(f) => f.ty,
            _ => return,
        };
        // A bad function type was reported by `check_decl`.
        if check_fn_type(&module.types, fn_ty).is_err() {
            return;
        }
        let TypeKey::Fn {
            params,
            ret,
            callconv,
        } = module.types.key(fn_ty)
        else {
            return;
        };
        let (params, ret, callconv) = (params.to_vec(), *ret, *callconv);
        let n = air.tags.len();
        if [
            air.data.len(),
            air.types.len(),
            air.spans.len(),
            air.names.len(),
        ]
        .iter()
        .any(|&l| l != n)
        {
            diags.push(Diagnostic {
                span: fn_span,
                message: format!(
                    "the instruction arrays of `@{}` have different lengths",
                    module.name_str(module.decls[decl].name)
                ),
            });
            return;
        }
        let nconsts = air.consts.len();
        let mut c = FnCheck {
            module,
            air,
            diags,
            fn_span,
            params,
            ret,
            callconv,
            state: vec![State::Unseen; n],
            poisoned: vec![false; n],
            consts: vec![ConstState::Unchecked; nconsts],
            inferred: vec![false; nconsts],
            defined: Vec::new(),
            depth: 0,
            args: 0,
        };
        match list_range(&c.air.extra, c.air.main_body) {
            Some(body) => c.walk_body(body, None),
            None => c.fail_at(fn_span, "the main body lies outside `extra`".to_string()),
        }
        if c.args < c.params.len() {
            let msg = format!(
                "the function has {} parameters, but its body starts with {} `arg` instructions",
                c.params.len(),
                c.args
            );
            c.fail_at(fn_span, msg);
        }
    }

    // --- Reporting ---

    fn fail_at(&mut self, span: Span, message: String) {
        self.diags.push(Diagnostic { span, message });
    }

    fn fail(&mut self, inst: u32, message: String) {
        let span = self.air.spans[inst as usize];
        self.fail_at(span, message);
    }

    fn show(&self, t: TypeId) -> String {
        show(&self.module.types, t)
    }

    fn tag(&self, inst: u32) -> Tag {
        self.air.tags[inst as usize]
    }

    fn inst_name(&self, inst: u32) -> String {
        match self.air.names.get(inst as usize) {
            Some(&n) if n != NO_NAME => format!("%{}", self.module.name_str(n)),
            _ => format!("%{inst}"),
        }
    }

    /// `what` describes the expected operand: "`add` needs {what}, not `T`".
    fn need(&mut self, inst: u32, ok: bool, what: &str, t: TypeId) -> Option<()> {
        if !ok {
            let msg = format!(
                "`{}` needs {what}, not `{}`",
                self.tag(inst).name(),
                self.show(t)
            );
            self.fail(inst, msg);
            return None;
        }
        Some(())
    }

    // --- Type classification (ids are valid) ---

    fn key(&self, t: TypeId) -> &TypeKey {
        self.module.types.key(t)
    }

    fn is_int(&self, t: TypeId) -> bool {
        matches!(
            self.key(t),
            TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize
        )
    }

    fn float(&self, t: TypeId) -> Option<FloatType> {
        match self.key(t) {
            TypeKey::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn is_enum(&self, t: TypeId) -> bool {
        matches!(self.key(t), TypeKey::Enum { .. })
    }

    fn is_error_set(&self, t: TypeId) -> bool {
        matches!(self.key(t), TypeKey::AnyError | TypeKey::ErrorSet { .. })
    }

    fn int_bits(&self, t: TypeId) -> u32 {
        self.module.types.int_info(t).map_or(0, |(_, b)| b)
    }

    /// `(size, is_const, child)` of a pointer type.
    fn ptr(&self, t: TypeId) -> Option<(PtrSize, bool, TypeId)> {
        match *self.key(t) {
            TypeKey::Pointer {
                size,
                is_const,
                child,
            } => Some((size, is_const, child)),
            _ => None,
        }
    }

    /// A single-item pointer (`*T`, or a C pointer): `(is_const, child)`.
    fn single_ptr(&self, t: TypeId) -> Option<(bool, TypeId)> {
        match self.ptr(t)? {
            (PtrSize::One | PtrSize::C, c, child) => Some((c, child)),
            _ => None,
        }
    }

    /// A pointer that can be indexed: `[*]T`, `[*c]T` or `*[N]T`: `(is_const, element)`.
    fn indexable_ptr(&self, t: TypeId) -> Option<(bool, TypeId)> {
        match self.ptr(t)? {
            (PtrSize::Many | PtrSize::C, c, child) => Some((c, child)),
            (PtrSize::One, c, child) => match self.key(child) {
                TypeKey::Array { elem, .. } => Some((c, *elem)),
                _ => None,
            },
            _ => None,
        }
    }

    /// A pointer that is not a slice, or an optional of one (nullable pointers).
    fn is_address(&self, t: TypeId) -> bool {
        match self.key(t) {
            TypeKey::Pointer { size, .. } => *size != PtrSize::Slice,
            TypeKey::Optional(c) => self.module.types.is_pointer_like_optional_child(*c),
            _ => false,
        }
    }

    /// The bit width for `bitcast`, for the kinds it accepts.
    fn bitcast_bits(&self, t: TypeId) -> Option<u32> {
        match self.key(t) {
            TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize | TypeKey::Enum { .. } => {
                Some(self.int_bits(t))
            }
            TypeKey::Float(f) => Some(f.bits()),
            _ if self.is_address(t) => Some(self.module.types.target().ptr_size() as u32 * 8),
            _ => None,
        }
    }

    fn const_u8_slice(&mut self) -> TypeId {
        self.module.types.pointer(PtrSize::Slice, true, TypeId::U8)
    }

    /// Ends control flow. For the check that a body ends properly a poisoned call counts as
    /// ending it (its callee is unknown); for "unreachable after" it does not.
    fn ends_control(&self, inst: u32, poisoned_call_ends: bool) -> bool {
        let i = inst as usize;
        match self.air.tags[i] {
            Tag::Call => {
                if self.poisoned[i] {
                    poisoned_call_ends
                } else {
                    self.air.types[i] == TypeId::NORETURN
                }
            }
            Tag::Block => !self.poisoned[i] && self.air.types[i] == TypeId::NORETURN,
            t => t.is_terminator(),
        }
    }

    fn describe_end(&self, inst: u32) -> String {
        match self.tag(inst) {
            Tag::Call => "a call of a `noreturn` function".to_string(),
            Tag::Block => "a `noreturn` block".to_string(),
            t => format!("`{}`", t.name()),
        }
    }

    // --- Walking bodies ---

    fn walk_body(&mut self, body: Range<usize>, owner: Option<u32>) {
        let first_defined = self.defined.len();
        let mut ended_by: Option<u32> = None;
        let mut unreachable_reported = false;
        let mut last: Option<u32> = None;
        for (k, pos) in body.clone().enumerate() {
            let inst = self.air.extra[pos];
            let i = inst as usize;
            last = None;
            if i >= self.air.len() {
                let span = owner.map_or(self.fn_span, |o| self.air.spans[o as usize]);
                let msg = format!(
                    "a body refers to instruction %{inst}, but the function has {} instructions",
                    self.air.len()
                );
                self.fail_at(span, msg);
                continue;
            }
            if self.state[i] != State::Unseen {
                let msg = format!(
                    "instruction `{}` appears more than once in the bodies",
                    self.inst_name(inst)
                );
                self.fail(inst, msg);
                continue;
            }
            if let Some(end) = ended_by {
                if !unreachable_reported {
                    unreachable_reported = true;
                    let msg = format!("unreachable instruction after {}", self.describe_end(end));
                    self.fail(inst, msg);
                }
            }
            let tag = self.air.tags[i];
            let shape = match shape(self.air, i) {
                Some(s) => s,
                None => {
                    let msg = format!("the bodies of `{}` lie outside `extra`", tag.name());
                    self.fail(inst, msg);
                    Shape::Leaf
                }
            };
            let result = if tag == Tag::Arg {
                self.check_arg(inst, owner.is_none(), k)
            } else {
                self.check_inst(inst, &shape)
            };
            match result {
                Some(t) => self.air.types[i] = t,
                None => self.poisoned[i] = true,
            }
            let bodies: Vec<Range<usize>> = match shape {
                Shape::Leaf => Vec::new(),
                Shape::Bodies(b) => b,
                Shape::Switch(s) => s
                    .cases
                    .into_iter()
                    .map(|c| c.body)
                    .chain(s.else_body)
                    .collect(),
            };
            if !bodies.is_empty() {
                self.state[i] = State::Open;
                if self.depth >= MAX_BODY_DEPTH {
                    self.fail(
                        inst,
                        format!("bodies are nested more than {MAX_BODY_DEPTH} deep"),
                    );
                } else {
                    self.depth += 1;
                    for b in bodies {
                        self.walk_body(b, Some(inst));
                    }
                    self.depth -= 1;
                }
            }
            self.state[i] = State::Defined;
            self.defined.push(inst);
            if ended_by.is_none() && self.ends_control(inst, false) {
                ended_by = Some(inst);
            }
            last = Some(inst);
        }
        if body.is_empty() {
            let (span, msg) = match owner {
                Some(o) => (
                    self.air.spans[o as usize],
                    format!("a body of `{}` is empty", self.tag(o).name()),
                ),
                None => (
                    self.fn_span,
                    "the body of the function is empty".to_string(),
                ),
            };
            self.fail_at(span, msg);
        } else if let (None, Some(l)) = (ended_by, last) {
            // (A body with an earlier end has been reported as having unreachable code.)
            if !self.ends_control(l, true) {
                let msg = format!(
                    "body does not end with a terminator: its last instruction `{}` returns normally",
                    self.tag(l).name()
                );
                self.fail(l, msg);
            }
        }
        for k in first_defined..self.defined.len() {
            let d = self.defined[k] as usize;
            self.state[d] = State::Closed;
        }
        self.defined.truncate(first_defined);
    }

    fn check_arg(&mut self, inst: u32, in_main: bool, position: usize) -> Option<TypeId> {
        if !in_main || position != self.args {
            self.fail(
                inst,
                "`arg` instructions must come first in the main body".to_string(),
            );
            return None;
        }
        self.args += 1;
        let index = self.air.data[inst as usize].a as usize;
        if index != position {
            let msg = format!(
                "`arg` {position} is for parameter {index}; `arg` instructions must follow the parameter order"
            );
            self.fail(inst, msg);
            return None;
        }
        let Some(&p) = self.params.get(index) else {
            let msg = format!(
                "`arg` {index} has no parameter: the function has {}",
                self.params.len()
            );
            self.fail(inst, msg);
            return None;
        };
        let declared = self.air.types[inst as usize];
        if declared != TypeId::VOID && declared != p {
            let msg = format!(
                "`arg` {index} has type `{}`, but the parameter has type `{}`",
                self.show(declared),
                self.show(p)
            );
            self.fail(inst, msg);
            return None;
        }
        Some(p)
    }

    // --- Operands ---

    /// Checks an operand and returns its type (`None` after reporting, or when the operand's
    /// own definition was bad).
    fn op(&mut self, inst: u32, raw: u32) -> Option<TypeId> {
        let r = Ref(raw);
        let tag = self.tag(inst).name();
        if r.is_none() {
            self.fail(inst, format!("`{tag}` is missing an operand"));
            return None;
        }
        if let Some(c) = r.to_const() {
            return self.constant(inst, c);
        }
        let i = raw as usize;
        if i >= self.air.len() {
            let msg = format!(
                "operand %{raw} of `{tag}` does not exist: the function has {} instructions",
                self.air.len()
            );
            self.fail(inst, msg);
            return None;
        }
        let problem = match self.state[i] {
            State::Defined => None,
            State::Unseen => Some("is used before it is defined"),
            State::Open => Some("is used inside its own body"),
            State::Closed => Some("is not in scope here: it is defined in another body"),
        };
        if let Some(problem) = problem {
            let msg = format!("`{}` {problem}", self.inst_name(raw));
            self.fail(inst, msg);
            return None;
        }
        if self.poisoned[i] {
            return None;
        }
        let (otag, ty) = (self.air.tags[i], self.air.types[i]);
        let no_value = !otag.has_result()
            || (matches!(otag, Tag::Call | Tag::CallAlwaysTail | Tag::Block) && ty == TypeId::VOID);
        if no_value {
            let msg = format!(
                "`{}` (`{}`) has no value to use as an operand",
                self.inst_name(raw),
                otag.name()
            );
            self.fail(inst, msg);
            return None;
        }
        if ty == TypeId::NORETURN {
            let msg = format!(
                "`{}` has type `noreturn` and cannot be used as an operand",
                self.inst_name(raw)
            );
            self.fail(inst, msg);
            return None;
        }
        Some(ty)
    }

    fn constant(&mut self, inst: u32, c: u32) -> Option<TypeId> {
        let ci = c as usize;
        if ci >= self.air.consts.len() {
            let msg = format!(
                "constant c{c} does not exist: the pool has {}",
                self.air.consts.len()
            );
            self.fail(inst, msg);
            return None;
        }
        match self.consts[ci] {
            ConstState::Good => return Some(self.air.consts[ci].ty),
            ConstState::Bad => return None,
            ConstState::Unchecked => {}
        }
        let mut ty = self.air.consts[ci].ty;
        if ty == INFER {
            let inferred = match &self.air.consts[ci].value {
                Value::DeclAddr(a) => decl_addr_type(self.module, a),
                v => Err(format!(
                    "cannot infer the type of constant {}: write it as `VALUE:TYPE`",
                    describe_value(&self.module.types.names, v)
                )),
            };
            match inferred {
                Ok(t) => {
                    self.air.consts[ci].ty = t;
                    ty = t;
                }
                Err(m) => {
                    self.consts[ci] = ConstState::Bad;
                    self.fail(inst, m);
                    return None;
                }
            }
        }
        match check_value(self.module, ty, &self.air.consts[ci].value) {
            Ok(()) => {
                self.consts[ci] = ConstState::Good;
                Some(ty)
            }
            Err(m) => {
                self.consts[ci] = ConstState::Bad;
                self.fail(inst, m);
                None
            }
        }
    }

    /// The explicit result type of an instruction, checked to be a type of values.
    fn explicit_type(&mut self, inst: u32) -> Option<TypeId> {
        let t = self.air.types[inst as usize];
        match check_value_type(&self.module.types, t) {
            Ok(()) => Some(t),
            Err(m) => {
                let msg = format!("`{}`: {m}", self.tag(inst).name());
                self.fail(inst, msg);
                None
            }
        }
    }

    /// Two operands of the same type.
    fn same(&mut self, inst: u32, a: u32, b: u32) -> Option<TypeId> {
        let (ta, tb) = (self.op(inst, a), self.op(inst, b));
        let (ta, tb) = (ta?, tb?);
        if ta != tb {
            let msg = format!(
                "operands of `{}` have different types: `{}` and `{}`",
                self.tag(inst).name(),
                self.show(ta),
                self.show(tb)
            );
            self.fail(inst, msg);
            return None;
        }
        Some(ta)
    }

    fn usize_operand(&mut self, inst: u32, raw: u32, what: &str) -> Option<()> {
        let t = self.op(inst, raw)?;
        self.need(inst, t == TypeId::USIZE, &format!("a `usize` {what}"), t)
    }

    // --- Instructions ---

    fn check_inst(&mut self, inst: u32, shape: &Shape) -> Option<TypeId> {
        use Tag::*;
        let tag = self.tag(inst);
        let d = self.air.data[inst as usize];
        match tag {
            Arg => None,
            Add | Sub | Mul | Min | Max => {
                let t = self.same(inst, d.a, d.b)?;
                let ok = self.is_int(t) || self.float(t).is_some();
                self.need(inst, ok, "integer or float operands", t)?;
                Some(t)
            }
            AddWrap | SubWrap | MulWrap | AddSat | SubSat | MulSat | DivTrunc | DivFloor
            | DivExact | Rem | Mod => {
                let t = self.same(inst, d.a, d.b)?;
                self.need(inst, self.is_int(t), "integer operands", t)?;
                Some(t)
            }
            DivFloat => {
                let t = self.same(inst, d.a, d.b)?;
                self.need(inst, self.float(t).is_some(), "float operands", t)?;
                Some(t)
            }
            AddWithOverflow | SubWithOverflow | MulWithOverflow => {
                let t = self.same(inst, d.a, d.b)?;
                self.need(inst, self.is_int(t), "integer operands", t)?;
                self.overflow_type(inst, t)
            }
            ShlWithOverflow => {
                let t = self.shift(inst, d.a, d.b)?;
                self.overflow_type(inst, t)
            }
            ShlSat | Shl | Shr | ShlExact | ShrExact => self.shift(inst, d.a, d.b),
            Neg | Sqrt | Floor | Ceil | TruncFloat | Round | Fabs => {
                let t = self.op(inst, d.a)?;
                self.need(inst, self.float(t).is_some(), "a float operand", t)?;
                Some(t)
            }
            BitAnd | BitOr | Xor => {
                let t = self.same(inst, d.a, d.b)?;
                let ok = self.is_int(t) || t == TypeId::BOOL;
                self.need(inst, ok, "integer or `bool` operands", t)?;
                Some(t)
            }
            Not => {
                let t = self.op(inst, d.a)?;
                let ok = self.is_int(t) || t == TypeId::BOOL;
                self.need(inst, ok, "an integer or `bool` operand", t)?;
                Some(t)
            }
            BoolAnd | BoolOr => {
                let t = self.same(inst, d.a, d.b)?;
                self.need(inst, t == TypeId::BOOL, "`bool` operands", t)?;
                Some(t)
            }
            Clz | Ctz | Popcount | BitReverse => {
                let t = self.op(inst, d.a)?;
                self.need(inst, self.is_int(t), "an integer operand", t)?;
                Some(t)
            }
            ByteSwap => {
                let t = self.op(inst, d.a)?;
                let ok = self.is_int(t) && self.int_bits(t).is_multiple_of(8);
                self.need(
                    inst,
                    ok,
                    "an integer operand whose width is a multiple of 8 bits",
                    t,
                )?;
                Some(t)
            }
            CmpEq | CmpNeq => {
                let t = self.same(inst, d.a, d.b)?;
                let ok = self.is_int(t)
                    || self.float(t).is_some()
                    || t == TypeId::BOOL
                    || self.is_enum(t)
                    || self.is_error_set(t)
                    || self.is_address(t);
                self.need(
                    inst,
                    ok,
                    "integer, float, bool, enum, error set or pointer operands",
                    t,
                )?;
                Some(TypeId::BOOL)
            }
            CmpLt | CmpLte | CmpGt | CmpGte => {
                let t = self.same(inst, d.a, d.b)?;
                let ok = self.is_int(t)
                    || self.float(t).is_some()
                    || t == TypeId::BOOL
                    || self.is_enum(t)
                    || self.is_error_set(t);
                self.need(
                    inst,
                    ok,
                    "integer, float, bool, enum or error set operands",
                    t,
                )?;
                Some(TypeId::BOOL)
            }
            Intcast | Trunc | Fpext | Fptrunc | IntToFloat | FloatToInt | Bitcast | IntToPtr
            | WrapOptional | WrapErrunionPayload | WrapErrunionErr | ArrayToSlice => {
                let t = self.explicit_type(inst);
                let x = self.op(inst, d.a);
                self.cast(inst, t?, x?)
            }
            PtrToInt => {
                let x = self.op(inst, d.a)?;
                self.need(inst, self.is_address(x), "a pointer operand", x)?;
                Some(TypeId::USIZE)
            }
            BoolToInt => {
                let x = self.op(inst, d.a)?;
                self.need(inst, x == TypeId::BOOL, "a `bool` operand", x)?;
                Some(TypeId::U1)
            }

            Block => {
                // Any type, including `void` and `noreturn`.
                let t = self.air.types[inst as usize];
                if let Err(m) = type_exists(&self.module.types, t) {
                    self.fail(inst, format!("`block`: {m}"));
                    return None;
                }
                if t != TypeId::NORETURN && t != TypeId::VOID {
                    self.explicit_type(inst)?;
                }
                Some(t)
            }
            Loop => Some(TypeId::NORETURN),
            Repeat => {
                let target = d.a as usize;
                let ok = target < self.air.len()
                    && self.air.tags[target] == Tag::Loop
                    && self.state[target] == State::Open;
                if !ok {
                    let msg = format!(
                        "`repeat` target {} is not a `loop` that encloses it",
                        self.target_name(d.a)
                    );
                    self.fail(inst, msg);
                }
                Some(TypeId::NORETURN)
            }
            Br => {
                self.br(inst, d.a, d.b);
                Some(TypeId::NORETURN)
            }
            CondBr => {
                if let Some(t) = self.op(inst, d.a) {
                    self.need(inst, t == TypeId::BOOL, "a `bool` condition", t);
                }
                Some(TypeId::NORETURN)
            }
            SwitchBr => {
                let sw = match shape {
                    Shape::Switch(s) => Some(s),
                    _ => None,
                };
                self.switch(inst, d.a, sw);
                Some(TypeId::NORETURN)
            }
            Ret => {
                self.ret(inst, d.a);
                Some(TypeId::NORETURN)
            }
            RetPtr => {
                if self.ret == TypeId::NORETURN {
                    self.fail(
                        inst,
                        "`ret_ptr` in a function that returns `noreturn`".to_string(),
                    );
                    return None;
                }
                Some(self.module.types.pointer(PtrSize::One, false, self.ret))
            }
            RetLoad => {
                if let Some(p) = self.op(inst, d.a) {
                    let ok = self.single_ptr(p).is_some_and(|(_, c)| c == self.ret)
                        && self.ret != TypeId::NORETURN;
                    let what = format!("a pointer to the return type `{}`", self.show(self.ret));
                    self.need(inst, ok, &what, p);
                }
                Some(TypeId::NORETURN)
            }
            Unreach | Trap => Some(TypeId::NORETURN),
            Call => self.call(inst, d.a, d.b, false),
            CallAlwaysTail => self.call(inst, d.a, d.b, true),

            Alloc => {
                let t = self.air.types[inst as usize];
                if let Err(m) = type_exists(&self.module.types, t) {
                    self.fail(inst, format!("`alloc`: {m}"));
                    return None;
                }
                let Some((PtrSize::One, false, child)) = self.ptr(t) else {
                    let msg = format!(
                        "the result type of `alloc` must be a mutable single-item pointer `*T`, not `{}`",
                        self.show(t)
                    );
                    self.fail(inst, msg);
                    return None;
                };
                if let Err(m) = check_value_type(&self.module.types, child) {
                    self.fail(
                        inst,
                        format!("cannot `alloc` a `{}`: {m}", self.show(child)),
                    );
                    return None;
                }
                Some(t)
            }
            Load => {
                let p = self.op(inst, d.a)?;
                let child = self.single_ptr(p).map(|(_, c)| c);
                let ok = child.is_some_and(|c| check_value_type(&self.module.types, c).is_ok());
                self.need(inst, ok, "a single-item pointer to a value", p)?;
                child
            }
            Store => {
                let (p, v) = (self.op(inst, d.a), self.op(inst, d.b));
                let (p, v) = (p?, v?);
                let Some((is_const, child)) = self.single_ptr(p) else {
                    self.need(inst, false, "a single-item pointer", p);
                    return None;
                };
                if is_const {
                    self.fail(
                        inst,
                        format!("`store` through `{}`, a pointer to const", self.show(p)),
                    );
                    return None;
                }
                if v != child {
                    let msg = format!(
                        "`store` of a `{}` value through `{}`, which points to `{}`",
                        self.show(v),
                        self.show(p),
                        self.show(child)
                    );
                    self.fail(inst, msg);
                    return None;
                }
                Some(TypeId::VOID)
            }
            Memset | Memcpy => self.mem(inst, tag, d.a),
            StructFieldPtr => {
                let p = self.op(inst, d.a)?;
                let ptr = self.single_ptr(p);
                let container = ptr.filter(|&(_, c)| self.fields(c).is_some());
                let Some((is_const, container)) = container else {
                    self.need(inst, false, "a pointer to a struct or union", p);
                    return None;
                };
                let f = self.field(inst, container, d.b)?;
                Some(self.module.types.pointer(PtrSize::One, is_const, f))
            }
            StructFieldVal => {
                let s = self.op(inst, d.a)?;
                self.need(
                    inst,
                    self.fields(s).is_some(),
                    "a struct or union operand",
                    s,
                )?;
                self.field(inst, s, d.b)
            }
            PtrElemPtr | PtrElemVal => {
                let p = self.op(inst, d.a);
                let idx = self.usize_operand(inst, d.b, "index");
                let p = p?;
                let Some((is_const, elem)) = self.indexable_ptr(p) else {
                    self.need(inst, false, "a `[*]T` or `*[N]T` pointer", p);
                    return None;
                };
                idx?;
                if tag == PtrElemPtr {
                    Some(self.module.types.pointer(PtrSize::One, is_const, elem))
                } else {
                    Some(elem)
                }
            }
            ArrayElemVal => {
                let a = self.op(inst, d.a);
                let idx = self.usize_operand(inst, d.b, "index");
                let a = a?;
                let elem = match self.key(a) {
                    TypeKey::Array { elem, .. } => Some(*elem),
                    _ => None,
                };
                self.need(inst, elem.is_some(), "an array operand", a)?;
                idx?;
                elem
            }
            SliceElemPtr | SliceElemVal => {
                let s = self.op(inst, d.a);
                let idx = self.usize_operand(inst, d.b, "index");
                let s = s?;
                let Some((PtrSize::Slice, is_const, elem)) = self.ptr(s) else {
                    self.need(inst, false, "a slice operand", s);
                    return None;
                };
                idx?;
                if tag == SliceElemPtr {
                    Some(self.module.types.pointer(PtrSize::One, is_const, elem))
                } else {
                    Some(elem)
                }
            }
            SlicePtr | SliceLen => {
                let s = self.op(inst, d.a)?;
                let Some((PtrSize::Slice, is_const, elem)) = self.ptr(s) else {
                    self.need(inst, false, "a slice operand", s);
                    return None;
                };
                if tag == SlicePtr {
                    Some(self.module.types.pointer(PtrSize::Many, is_const, elem))
                } else {
                    Some(TypeId::USIZE)
                }
            }
            Slice => {
                let t = self.explicit_type(inst);
                let p = self.op(inst, d.a);
                let len = self.usize_operand(inst, d.b, "length");
                let (t, p) = (t?, p?);
                let Some((PtrSize::Slice, slice_const, elem)) = self.ptr(t) else {
                    let msg = format!(
                        "the result type of `slice` must be a slice, not `{}`",
                        self.show(t)
                    );
                    self.fail(inst, msg);
                    return None;
                };
                let ok = self
                    .indexable_ptr(p)
                    .is_some_and(|(c, e)| e == elem && (slice_const || !c));
                let what = format!("a pointer to the elements of `{}`", self.show(t));
                self.need(inst, ok, &what, p)?;
                len?;
                Some(t)
            }
            PtrAdd | PtrSub => {
                let p = self.op(inst, d.a);
                let n = self.usize_operand(inst, d.b, "offset");
                let p = p?;
                let ok = matches!(self.ptr(p), Some((PtrSize::Many | PtrSize::C, _, _)));
                self.need(inst, ok, "a many-item pointer `[*]T`", p)?;
                n?;
                Some(p)
            }
            AggregateInit => self.aggregate(inst, d.a),
            UnionInit => {
                let t = self.explicit_type(inst);
                let v = self.op(inst, d.b);
                let t = t?;
                let fields = match self.key(t) {
                    TypeKey::Union { fields, .. } => fields.clone(),
                    _ => {
                        let msg = format!(
                            "the result type of `union_init` must be a union, not `{}`",
                            self.show(t)
                        );
                        self.fail(inst, msg);
                        return None;
                    }
                };
                let Some(f) = fields.get(d.a as usize) else {
                    let msg = format!(
                        "`{}` has no field {}: it has {} fields",
                        self.show(t),
                        d.a,
                        fields.len()
                    );
                    self.fail(inst, msg);
                    return None;
                };
                let v = v?;
                if v != f.ty {
                    let msg = format!(
                        "field {} (`{}`) of `{}` has type `{}`, but the value has type `{}`",
                        d.a,
                        self.module.name_str(f.name),
                        self.show(t),
                        self.show(f.ty),
                        self.show(v)
                    );
                    self.fail(inst, msg);
                    return None;
                }
                Some(t)
            }
            GetUnionTag => {
                let u = self.op(inst, d.a)?;
                let tag_ty = self.union_tag(u);
                self.need(inst, tag_ty.is_some(), "a tagged union operand", u)?;
                tag_ty
            }
            SetUnionTag => {
                let (p, v) = (self.op(inst, d.a), self.op(inst, d.b));
                let (p, v) = (p?, v?);
                let tag_ty = match self.single_ptr(p) {
                    Some((false, u)) => self.union_tag(u),
                    _ => None,
                };
                self.need(
                    inst,
                    tag_ty.is_some(),
                    "a mutable pointer to a tagged union",
                    p,
                )?;
                if tag_ty != Some(v) {
                    let msg = format!(
                        "the tag of `{}` has type `{}`, but the operand has type `{}`",
                        self.show(p),
                        self.show(tag_ty.unwrap_or(TypeId::VOID)),
                        self.show(v)
                    );
                    self.fail(inst, msg);
                    return None;
                }
                Some(TypeId::VOID)
            }

            IsNull | IsNonNull | OptionalPayload => {
                let o = self.op(inst, d.a)?;
                let child = match self.key(o) {
                    TypeKey::Optional(c) => Some(*c),
                    _ => None,
                };
                self.need(inst, child.is_some(), "an optional operand", o)?;
                if tag == OptionalPayload {
                    child
                } else {
                    Some(TypeId::BOOL)
                }
            }
            IsNullPtr | IsNonNullPtr | OptionalPayloadPtr | OptionalPayloadPtrSet => {
                let p = self.op(inst, d.a)?;
                let inner = self.single_ptr(p).and_then(|(c, o)| match self.key(o) {
                    TypeKey::Optional(child) => Some((c, *child)),
                    _ => None,
                });
                let mutable = tag == OptionalPayloadPtrSet;
                let ok = inner.is_some_and(|(c, _)| !mutable || !c);
                let what = if mutable {
                    "a mutable pointer to an optional"
                } else {
                    "a pointer to an optional"
                };
                self.need(inst, ok, what, p)?;
                let (is_const, child) = inner?;
                match tag {
                    IsNullPtr | IsNonNullPtr => Some(TypeId::BOOL),
                    _ => Some(self.module.types.pointer(PtrSize::One, is_const, child)),
                }
            }
            IsErr | IsNonErr | UnwrapErrunionPayload | UnwrapErrunionErr => {
                let e = self.op(inst, d.a)?;
                let parts = self.error_union(e);
                self.need(inst, parts.is_some(), "an error union operand", e)?;
                let (error, payload) = parts?;
                match tag {
                    UnwrapErrunionPayload => Some(payload),
                    UnwrapErrunionErr => Some(error),
                    _ => Some(TypeId::BOOL),
                }
            }
            IsErrPtr
            | IsNonErrPtr
            | UnwrapErrunionPayloadPtr
            | UnwrapErrunionErrPtr
            | ErrunionPayloadPtrSet => {
                let p = self.op(inst, d.a)?;
                let inner = self
                    .single_ptr(p)
                    .and_then(|(c, eu)| self.error_union(eu).map(|(e, pl)| (c, e, pl)));
                let mutable = tag == ErrunionPayloadPtrSet;
                let ok = inner.is_some_and(|(c, _, _)| !mutable || !c);
                let what = if mutable {
                    "a mutable pointer to an error union"
                } else {
                    "a pointer to an error union"
                };
                self.need(inst, ok, what, p)?;
                let (is_const, error, payload) = inner?;
                match tag {
                    IsErrPtr | IsNonErrPtr => Some(TypeId::BOOL),
                    UnwrapErrunionErrPtr => Some(error),
                    _ => Some(self.module.types.pointer(PtrSize::One, is_const, payload)),
                }
            }
            ErrorName => {
                let e = self.op(inst, d.a)?;
                self.need(inst, self.is_error_set(e), "an error set operand", e)?;
                Some(self.const_u8_slice())
            }
            TagName => {
                let e = self.op(inst, d.a)?;
                self.need(inst, self.is_enum(e), "an enum operand", e)?;
                Some(self.const_u8_slice())
            }
            WasmMemorySize | WasmMemoryGrow => {
                if d.a != 0 {
                    self.fail(
                        inst,
                        format!(
                            "`{}`: memory {} does not exist; only memory 0 does",
                            tag.name(),
                            d.a
                        ),
                    );
                }
                if tag == WasmMemoryGrow {
                    self.usize_operand(inst, d.b, "page count")?;
                    Some(TypeId::ISIZE)
                } else {
                    Some(TypeId::USIZE)
                }
            }
            DbgStmt => Some(TypeId::VOID),
        }
    }

    fn target_name(&self, target: u32) -> String {
        if (target as usize) < self.air.len() {
            format!("`{}`", self.inst_name(target))
        } else {
            format!("%{target} (out of range)")
        }
    }

    fn overflow_type(&mut self, inst: u32, t: TypeId) -> Option<TypeId> {
        let pool = &mut self.module.types;
        let (n0, n1) = (pool.names.intern("0"), pool.names.intern("1"));
        let key = TypeKey::Struct {
            name: None,
            layout: ContainerLayout::Auto,
            fields: vec![
                Field { name: n0, ty: t },
                Field {
                    name: n1,
                    ty: TypeId::U1,
                },
            ]
            .into(),
        };
        match pool.intern(key) {
            Ok(s) => Some(s),
            Err(e) => {
                self.fail(inst, e.to_string());
                None
            }
        }
    }

    fn shift(&mut self, inst: u32, a: u32, b: u32) -> Option<TypeId> {
        let (ta, tb) = (self.op(inst, a), self.op(inst, b));
        let ta = ta?;
        self.need(inst, self.is_int(ta), "an integer to shift", ta)?;
        let tb = tb?;
        self.need(inst, self.is_int(tb), "an integer shift amount", tb)?;
        Some(ta)
    }

    /// Fields of a struct or union.
    fn fields(&self, t: TypeId) -> Option<&[Field]> {
        match self.key(t) {
            TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. } => Some(fields),
            _ => None,
        }
    }

    fn field(&mut self, inst: u32, container: TypeId, index: u32) -> Option<TypeId> {
        let fields = self.fields(container)?;
        match fields.get(index as usize) {
            Some(f) => Some(f.ty),
            None => {
                let msg = format!(
                    "`{}` has no field {index}: it has {} fields",
                    self.show(container),
                    fields.len()
                );
                self.fail(inst, msg);
                None
            }
        }
    }

    fn union_tag(&self, t: TypeId) -> Option<TypeId> {
        match self.key(t) {
            TypeKey::Union { tag: Some(e), .. } => Some(*e),
            _ => None,
        }
    }

    fn error_union(&self, t: TypeId) -> Option<(TypeId, TypeId)> {
        match self.key(t) {
            TypeKey::ErrorUnion { error, payload } => Some((*error, *payload)),
            _ => None,
        }
    }

    fn cast(&mut self, inst: u32, t: TypeId, x: TypeId) -> Option<TypeId> {
        use Tag::*;
        let tag = self.tag(inst);
        let int_or_enum = |c: &Self, t| c.is_int(t) || c.is_enum(t);
        let reason: Option<String> = match tag {
            Intcast => (!(int_or_enum(self, t) && int_or_enum(self, x)))
                .then(|| "it converts between integers and enums".to_string()),
            Trunc => {
                if !(self.is_int(t) && self.is_int(x)) {
                    Some("it converts between integers".to_string())
                } else if self.int_bits(t) > self.int_bits(x) {
                    Some("it cannot widen; use `intcast`".to_string())
                } else {
                    None
                }
            }
            Fpext | Fptrunc => match (self.float(x), self.float(t)) {
                (Some(fx), Some(ft)) => {
                    if tag == Fpext && ft.bits() < fx.bits() {
                        Some("it cannot narrow; use `fptrunc`".to_string())
                    } else if tag == Fptrunc && ft.bits() > fx.bits() {
                        Some("it cannot widen; use `fpext`".to_string())
                    } else {
                        None
                    }
                }
                _ => Some("it converts between floats".to_string()),
            },
            IntToFloat => (!(self.is_int(x) && self.float(t).is_some()))
                .then(|| "it converts an integer to a float".to_string()),
            FloatToInt => (!(self.float(x).is_some() && self.is_int(t)))
                .then(|| "it converts a float to an integer".to_string()),
            Bitcast => match (self.bitcast_bits(x), self.bitcast_bits(t)) {
                (Some(bx), Some(bt)) if bx != bt => Some(format!(
                    "it needs types of the same size, and they have {bx} and {bt} bits"
                )),
                (Some(_), Some(_)) => None,
                _ => Some("it reinterprets integers, floats, enums and pointers".to_string()),
            },
            IntToPtr => (!(x == TypeId::USIZE && self.is_address(t)))
                .then(|| "it converts a `usize` to a pointer".to_string()),
            WrapOptional => match self.key(t) {
                TypeKey::Optional(c) if *c == x => None,
                TypeKey::Optional(_) => {
                    Some("the value must have the optional's payload type".to_string())
                }
                _ => Some("the result type must be an optional".to_string()),
            },
            WrapErrunionPayload => match self.error_union(t) {
                Some((_, p)) if p == x => None,
                Some(_) => Some("the value must have the error union's payload type".to_string()),
                None => Some("the result type must be an error union".to_string()),
            },
            WrapErrunionErr => match self.error_union(t) {
                Some((e, _)) if self.error_set_within(x, e) => None,
                Some(_) => {
                    Some("the operand must be an error of the error union's set".to_string())
                }
                None => Some("the result type must be an error union".to_string()),
            },
            ArrayToSlice => {
                let src = self.single_ptr(x).and_then(|(c, a)| match self.key(a) {
                    TypeKey::Array { elem, .. } => Some((c, *elem)),
                    _ => None,
                });
                match (src, self.ptr(t)) {
                    (Some((xc, xe)), Some((PtrSize::Slice, tc, te))) if xe == te && (tc || !xc) => {
                        None
                    }
                    (Some(_), Some((PtrSize::Slice, _, _))) => Some(
                        "the slice must have the array's element type and keep `const`".to_string(),
                    ),
                    _ => Some("it converts a `*[N]T` to a `[]T`".to_string()),
                }
            }
            _ => None,
        };
        if let Some(r) = reason {
            let msg = format!(
                "`{}` cannot convert `{}` to `{}`: {r}",
                tag.name(),
                self.show(x),
                self.show(t)
            );
            self.fail(inst, msg);
            return None;
        }
        Some(t)
    }

    /// Whether every error of set `sub` is in set `sup`.
    fn error_set_within(&self, sub: TypeId, sup: TypeId) -> bool {
        match (self.key(sub), self.key(sup)) {
            (TypeKey::AnyError | TypeKey::ErrorSet { .. }, TypeKey::AnyError) => true,
            (TypeKey::ErrorSet { names: a, .. }, TypeKey::ErrorSet { names: b, .. }) => {
                a.iter().all(|n| b.contains(n))
            }
            _ => false,
        }
    }

    fn br(&mut self, inst: u32, target: u32, value: u32) {
        let t = target as usize;
        let ok =
            t < self.air.len() && self.air.tags[t] == Tag::Block && self.state[t] == State::Open;
        let v = (!Ref(value).is_none()).then(|| self.op(inst, value));
        if !ok {
            let msg = format!(
                "`br` target {} is not a `block` that encloses it",
                self.target_name(target)
            );
            self.fail(inst, msg);
            return;
        }
        if self.poisoned[t] {
            return;
        }
        let bt = self.air.types[t];
        let name = self.inst_name(target);
        let msg = match v {
            _ if bt == TypeId::NORETURN => {
                format!("`br` to `{name}`, a block of type `noreturn`, which no `br` may leave")
            }
            None if bt == TypeId::VOID => return,
            None => format!("`br` to `{name}` needs a value of type `{}`", self.show(bt)),
            Some(_) if bt == TypeId::VOID => {
                format!("`br` to `{name}` takes no value: the block has type `void`")
            }
            Some(None) => return,
            Some(Some(vt)) if vt == bt => return,
            Some(Some(vt)) => format!(
                "`br` to `{name}` carries a value of type `{}`, but the block has type `{}`",
                self.show(vt),
                self.show(bt)
            ),
        };
        self.fail(inst, msg);
    }

    fn ret(&mut self, inst: u32, value: u32) {
        let ret = self.ret;
        if ret == TypeId::NORETURN {
            if !Ref(value).is_none() {
                self.op(inst, value);
            }
            self.fail(
                inst,
                "`ret` in a function that returns `noreturn`".to_string(),
            );
            return;
        }
        if Ref(value).is_none() {
            if ret != TypeId::VOID {
                let msg = format!("`ret` needs a value of type `{}`", self.show(ret));
                self.fail(inst, msg);
            }
            return;
        }
        let v = self.op(inst, value);
        if ret == TypeId::VOID {
            self.fail(
                inst,
                "`ret` takes no value: the function returns `void`".to_string(),
            );
            return;
        }
        if let Some(v) = v {
            if v != ret {
                let msg = format!(
                    "`ret` of a value of type `{}`, but the function returns `{}`",
                    self.show(v),
                    self.show(ret)
                );
                self.fail(inst, msg);
            }
        }
    }

    fn callee_name(&self, raw: u32) -> String {
        let r = Ref(raw);
        if let Some(c) = r.to_const().and_then(|c| self.air.consts.get(c as usize)) {
            if let Value::DeclAddr(a) = &c.value {
                return format!("`{}`", format_addr(&self.module.types.names, a));
            }
        }
        if let Some(i) = r.to_inst().filter(|&i| (i as usize) < self.air.len()) {
            return format!("`{}`", self.inst_name(i));
        }
        "the callee".to_string()
    }

    fn call(&mut self, inst: u32, callee: u32, args_at: u32, tail: bool) -> Option<TypeId> {
        let name = self.tag(inst).name();
        let callee_ty = self.op(inst, callee);
        let Some(args) = list_range(&self.air.extra, args_at) else {
            self.fail(
                inst,
                format!("the arguments of `{name}` lie outside `extra`"),
            );
            return None;
        };
        let mut arg_tys: Vec<Option<TypeId>> = Vec::with_capacity(args.len());
        for pos in args {
            let t = self.op(inst, self.air.extra[pos]);
            arg_tys.push(t);
        }
        let callee_ty = callee_ty?;
        let fn_ty = match self.ptr(callee_ty) {
            Some((PtrSize::One, _, child)) if matches!(self.key(child), TypeKey::Fn { .. }) => {
                child
            }
            _ => {
                let what = "a function or a function pointer `*const fn (..) R`";
                self.need(inst, false, what, callee_ty);
                return None;
            }
        };
        let TypeKey::Fn {
            params,
            ret,
            callconv,
        } = self.key(fn_ty)
        else {
            return None;
        };
        let (ret, callconv) = (*ret, *callconv);
        if arg_tys.len() != params.len() {
            let msg = format!(
                "`{name}` of {} passes {} argument{}, but `{}` takes {}",
                self.callee_name(callee),
                arg_tys.len(),
                if arg_tys.len() == 1 { "" } else { "s" },
                self.show(fn_ty),
                params.len()
            );
            self.fail(inst, msg);
        } else {
            for i in 0..arg_tys.len() {
                let p = match self.key(fn_ty) {
                    TypeKey::Fn { params, .. } => params[i],
                    _ => return None,
                };
                match arg_tys[i] {
                    Some(a) if a != p => {
                        let msg = format!(
                            "argument {} of `{name}` of {} has type `{}`, but the parameter has type `{}`",
                            i + 1,
                            self.callee_name(callee),
                            self.show(a),
                            self.show(p)
                        );
                        self.fail(inst, msg);
                    }
                    _ => {}
                }
            }
        }
        if tail {
            if ret != self.ret {
                let msg = format!(
                    "`call_always_tail` of {}, which returns `{}`, in a function that returns `{}`",
                    self.callee_name(callee),
                    self.show(ret),
                    self.show(self.ret)
                );
                self.fail(inst, msg);
            } else if callconv != self.callconv {
                let msg = format!(
                    "`call_always_tail` of {} needs the caller's calling convention",
                    self.callee_name(callee)
                );
                self.fail(inst, msg);
            }
            return Some(TypeId::NORETURN);
        }
        Some(ret)
    }

    fn mem(&mut self, inst: u32, tag: Tag, at: u32) -> Option<TypeId> {
        let at = at as usize;
        let Some(r) = extra_range(&self.air.extra, at, 3) else {
            self.fail(
                inst,
                format!("the operands of `{}` lie outside `extra`", tag.name()),
            );
            return None;
        };
        let words = [
            self.air.extra[r.start],
            self.air.extra[r.start + 1],
            self.air.extra[r.start + 2],
        ];
        let dst = self.op(inst, words[0]);
        let mid = self.op(inst, words[1]);
        let len = self.usize_operand(inst, words[2], "length");
        let byte_ptr = |c: &Self, t: TypeId, mutable: bool| {
            c.indexable_ptr(t)
                .is_some_and(|(k, e)| e == TypeId::U8 && (!mutable || !k))
        };
        let mut ok = true;
        if let Some(dst) = dst {
            let good = byte_ptr(self, dst, true);
            ok &= self
                .need(inst, good, "a mutable `[*]u8` or `*[N]u8` destination", dst)
                .is_some();
        } else {
            ok = false;
        }
        if let Some(mid) = mid {
            let good = if tag == Tag::Memset {
                mid == TypeId::U8
            } else {
                byte_ptr(self, mid, false)
            };
            let what = if tag == Tag::Memset {
                "a `u8` byte"
            } else {
                "a `[*]const u8` or `*const [N]u8` source"
            };
            ok &= self.need(inst, good, what, mid).is_some();
        } else {
            ok = false;
        }
        (ok && len.is_some()).then_some(TypeId::VOID)
    }

    fn aggregate(&mut self, inst: u32, at: u32) -> Option<TypeId> {
        let t = self.explicit_type(inst);
        let Some(elems) = list_range(&self.air.extra, at) else {
            self.fail(
                inst,
                "the elements of `aggregate_init` lie outside `extra`".to_string(),
            );
            return None;
        };
        let mut tys: Vec<Option<TypeId>> = Vec::with_capacity(elems.len());
        for pos in elems {
            let t = self.op(inst, self.air.extra[pos]);
            tys.push(t);
        }
        let t = t?;
        let expected_len = match self.key(t) {
            TypeKey::Struct { fields, .. } => fields.len() as u64,
            TypeKey::Array { len, .. } => *len,
            _ => {
                let msg = format!(
                    "`aggregate_init` needs a struct or array type, not `{}`",
                    self.show(t)
                );
                self.fail(inst, msg);
                return None;
            }
        };
        if expected_len != tys.len() as u64 {
            let msg = format!(
                "`aggregate_init` of `{}` needs {expected_len} elements, not {}",
                self.show(t),
                tys.len()
            );
            self.fail(inst, msg);
            return None;
        }
        let mut ok = true;
        for (i, got) in tys.into_iter().enumerate() {
            let (want, field) = match self.key(t) {
                TypeKey::Struct { fields, .. } => (fields[i].ty, Some(fields[i].name)),
                TypeKey::Array { elem, .. } => (*elem, None),
                _ => return None,
            };
            match got {
                Some(g) if g != want => {
                    let what = match field {
                        Some(n) => format!("field {i} (`{}`)", self.module.name_str(n)),
                        None => format!("element {i}"),
                    };
                    let msg = format!(
                        "{what} of `{}` has type `{}`, but the element has type `{}`",
                        self.show(t),
                        self.show(want),
                        self.show(g)
                    );
                    self.fail(inst, msg);
                    ok = false;
                }
                Some(_) => {}
                None => ok = false,
            }
        }
        ok.then_some(t)
    }

    // --- switch_br ---

    fn switch(&mut self, inst: u32, operand: u32, sw: Option<&SwitchShape>) {
        let Some(t) = self.op(inst, operand) else {
            return;
        };
        let Some(sw) = sw else { return };
        let mut cover = match self.key(t) {
            TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize => {
                let (signed, bits) = self.module.types.int_info(t).unwrap_or((false, 0));
                if bits <= 128 {
                    Cover::Int {
                        signed,
                        bits,
                        ranges: Vec::new(),
                    }
                } else {
                    Cover::Wide(Vec::new())
                }
            }
            TypeKey::Bool => Cover::Bool([false; 2]),
            TypeKey::Enum { fields, .. } => Cover::Enum(vec![false; fields.len()]),
            TypeKey::ErrorSet { names, .. } => Cover::Errors(vec![false; names.len()]),
            TypeKey::AnyError => Cover::AnyError(Vec::new()),
            _ => {
                self.need(
                    inst,
                    false,
                    "an integer, enum, error set or `bool` operand",
                    t,
                );
                return;
            }
        };
        let mut range_reported = false;
        for case in &sw.cases {
            for pos in case.items.clone() {
                if let Some(v) = self.switch_item(inst, pos, t) {
                    self.cover_item(inst, t, &mut cover, &v);
                }
            }
            for pos in case.ranges.clone().step_by(2) {
                let lo = self.switch_item(inst, pos, t);
                let hi = self.switch_item(inst, pos + 1, t);
                if !matches!(cover, Cover::Int { .. } | Cover::Wide(_)) {
                    if !range_reported {
                        range_reported = true;
                        self.need(inst, false, "an integer operand for case ranges", t);
                    }
                    continue;
                }
                let (Some(Value::Int(lo)), Some(Value::Int(hi))) = (lo, hi) else {
                    continue;
                };
                let (signed, bits, ranges) = match &mut cover {
                    Cover::Int {
                        signed,
                        bits,
                        ranges,
                    } => (*signed, *bits, ranges),
                    Cover::Wide(wide) => {
                        if int_cmp(&lo, &hi).is_gt() {
                            self.fail(inst, format!("the case range `{lo}...{hi}` is empty"));
                        } else {
                            wide.push((lo, hi));
                        }
                        continue;
                    }
                    _ => continue,
                };
                let (kl, kh) = (int_key(signed, bits, &lo), int_key(signed, bits, &hi));
                if kl > kh {
                    self.fail(inst, format!("the case range `{lo}...{hi}` is empty"));
                } else {
                    ranges.push((kl, kh));
                }
            }
        }
        self.finish_cover(inst, t, cover, sw.else_body.is_some());
    }

    /// Types a case item (a constant) with the operand type and checks it.
    fn switch_item(&mut self, inst: u32, pos: usize, t: TypeId) -> Option<Value> {
        let raw = self.air.extra[pos];
        let Some(c) = Ref(raw).to_const() else {
            let what = if Ref(raw).is_none() {
                "missing".to_string()
            } else {
                format!("`%{raw}`")
            };
            self.fail(
                inst,
                format!("switch case items must be constants, not {what}"),
            );
            return None;
        };
        let mut ci = c as usize;
        if ci >= self.air.consts.len() {
            let msg = format!(
                "constant c{c} does not exist: the pool has {}",
                self.air.consts.len()
            );
            self.fail(inst, msg);
            return None;
        }
        let cty = self.air.consts[ci].ty;
        if cty == INFER {
            self.air.consts[ci].ty = t;
            self.inferred[ci] = true;
            self.consts[ci] = ConstState::Unchecked;
        } else if cty != t {
            if !self.inferred[ci] {
                let msg = format!(
                    "a switch case item has type `{}`, but the operand has type `{}`",
                    self.show(cty),
                    self.show(t)
                );
                self.fail(inst, msg);
                return None;
            }
            // The same untyped constant serves switches on different types: give this use a
            // copy of its own.
            let value = self.air.consts[ci].value.clone();
            let r = self.air.add_const(t, value);
            self.air.extra[pos] = r.0;
            self.consts
                .resize(self.air.consts.len(), ConstState::Unchecked);
            self.inferred.resize(self.air.consts.len(), false);
            ci = r.to_const().map_or(ci, |c| c as usize);
            self.inferred[ci] = true;
        }
        if self.air.consts[ci].value == Value::Undef {
            self.fail(inst, "`undef` cannot be a switch case item".to_string());
            return None;
        }
        match self.consts[ci] {
            ConstState::Good => {}
            ConstState::Bad => return None,
            ConstState::Unchecked => {
                match check_value(self.module, t, &self.air.consts[ci].value) {
                    Ok(()) => self.consts[ci] = ConstState::Good,
                    Err(m) => {
                        self.consts[ci] = ConstState::Bad;
                        self.fail(inst, m);
                        return None;
                    }
                }
            }
        }
        Some(self.air.consts[ci].value.clone())
    }

    fn cover_item(&mut self, inst: u32, t: TypeId, cover: &mut Cover, v: &Value) {
        let names = &self.module.types.names;
        let dup = match (&mut *cover, self.module.types.key(t), v) {
            (
                Cover::Int {
                    signed,
                    bits,
                    ranges,
                },
                _,
                Value::Int(i),
            ) => {
                let k = int_key(*signed, *bits, i);
                ranges.push((k, k));
                None
            }
            (Cover::Wide(wide), _, Value::Int(i)) => {
                wide.push((i.clone(), i.clone()));
                None
            }
            (Cover::Bool(seen), _, Value::Bool(b)) => {
                std::mem::replace(&mut seen[*b as usize], true).then(|| format!("`{b}`"))
            }
            (Cover::Enum(seen), TypeKey::Enum { fields, .. }, v) => {
                let index = match v {
                    Value::EnumLiteral(n) => fields.iter().position(|f| f.name == *n),
                    Value::Int(i) => fields.iter().position(|f| f.value == *i),
                    _ => None,
                };
                index.and_then(|i| {
                    std::mem::replace(&mut seen[i], true)
                        .then(|| format!("`.{}`", names.resolve(fields[i].name)))
                })
            }
            (Cover::Errors(seen), TypeKey::ErrorSet { names: set, .. }, Value::Error(n)) => {
                set.iter().position(|e| e == n).and_then(|i| {
                    std::mem::replace(&mut seen[i], true)
                        .then(|| format!("`error.{}`", names.resolve(*n)))
                })
            }
            (Cover::AnyError(seen), _, Value::Error(n)) => {
                if seen.contains(n) {
                    Some(format!("`error.{}`", names.resolve(*n)))
                } else {
                    seen.push(*n);
                    None
                }
            }
            _ => None,
        };
        if let Some(d) = dup {
            self.fail(
                inst,
                format!("switch case value {d} appears more than once"),
            );
        }
    }

    /// Reports overlapping integer cases and, without `else`, the first value not covered.
    fn finish_cover(&mut self, inst: u32, t: TypeId, cover: Cover, has_else: bool) {
        let names = &self.module.types.names;
        let missing: Option<String> = match cover {
            Cover::Int {
                signed,
                bits,
                mut ranges,
            } => {
                ranges.sort_unstable();
                // The first key not covered by the ranges, if any; and overlaps.
                let mut next: Option<u128> = Some(0);
                let mut gap: Option<u128> = None;
                let mut overlap: Option<u128> = None;
                for &(lo, hi) in &ranges {
                    match next {
                        Some(n) if lo > n => {
                            gap.get_or_insert(n);
                        }
                        Some(n) if lo < n && overlap.is_none() => overlap = Some(lo),
                        None if overlap.is_none() => overlap = Some(lo),
                        _ => {}
                    }
                    let end = hi.checked_add(1);
                    next = match (next, end) {
                        (Some(n), Some(e)) => Some(n.max(e)),
                        _ => None,
                    };
                }
                if let Some(o) = overlap {
                    let msg = format!(
                        "switch case value `{}` appears more than once",
                        key_text(signed, bits, o)
                    );
                    self.fail(inst, msg);
                }
                let max = if bits >= 128 {
                    u128::MAX
                } else {
                    (1u128 << bits) - 1
                };
                let gap = gap.or(next.filter(|&n| n <= max));
                gap.map(|g| format!("`{}`", key_text(signed, bits, g)))
            }
            Cover::Wide(mut ranges) => {
                ranges.sort_by(|a, b| int_cmp(&a.0, &b.0));
                if let Some(w) = ranges
                    .windows(2)
                    .find(|w| int_cmp(&w[1].0, &w[0].1).is_le())
                {
                    let msg = format!("switch case value `{}` appears more than once", w[1].0);
                    self.fail(inst, msg);
                }
                Some(String::new())
            }
            Cover::AnyError(_) => Some(String::new()),
            Cover::Bool(seen) => seen
                .iter()
                .position(|s| !s)
                .map(|i| format!("`{}`", i == 1)),
            Cover::Enum(seen) => match self.module.types.key(t) {
                TypeKey::Enum { fields, .. } => seen
                    .iter()
                    .position(|s| !s)
                    .map(|i| format!("`.{}`", names.resolve(fields[i].name))),
                _ => None,
            },
            Cover::Errors(seen) => match self.module.types.key(t) {
                TypeKey::ErrorSet { names: set, .. } => seen
                    .iter()
                    .position(|s| !s)
                    .map(|i| format!("`error.{}`", names.resolve(set[i]))),
                _ => None,
            },
        };
        if has_else {
            return;
        }
        let msg = match missing {
            None => return,
            Some(m) if m.is_empty() => {
                format!("`switch_br` on `{}` needs an `else` body", self.show(t))
            }
            Some(m) => format!(
                "`switch_br` on `{}` has no `else` body, but its cases do not cover {m}",
                self.show(t)
            ),
        };
        self.fail(inst, msg);
    }
}
