//! The text printer: a [`Module`] back to IR text.
//!
//! The output parses back to an equal module, and printing that module gives the same text
//! again. To make this hold for modules built through the API as well as for parsed ones:
//!
//! - the module's error names are written first as `errors { A, B }` (in value order), so that
//!   error values survive the round trip;
//! - `type` items come first, then every other named (nominal) type of the pool that has no item,
//!   then the declarations in order;
//! - error sets list their names alphabetically, independent of name ids;
//! - unnamed instructions print as `%N`, their index; when some named value of the function looks
//!   like `%N` already, the prefix grows (`%_N`, `%__N`, ...) until it cannot collide;
//! - a `loop` gets a label only when a `repeat` targets it from inside a nested loop, and an
//!   unnamed `call` gets a result name only when its result is used;
//! - constants print as `VALUE:TYPE`, except inferred ones (`@name`, untyped switch case items);
//!   case items and ranges keep the order of their constants; floats
//!   print with Rust's shortest round-trip form of the `f64` holding their value.

use crate::air::{Air, Ref, INFER, NO_NAME};
use crate::inst::{Form, Tag};
use crate::module::{DeclKind, Module};
use crate::parse::tag_bits;
use std::collections::HashSet;
use std::fmt::Write;
use wabe_types::{
    float_bits_to_f64, CallConv, ContainerLayout, FloatType, NameId, PathElem, PtrSize, Signedness,
    Target, TypeId, TypeKey, TypePool, Value,
};

/// Prints a module as IR text that [`parse`](crate::parse) reads back to the same module.
pub fn print(module: &Module) -> String {
    let mut out = String::new();
    Printer {
        m: module,
        out: &mut out,
    }
    .module();
    out
}

struct Printer<'a> {
    m: &'a Module,
    out: &'a mut String,
}

/// Writes a type; nominal types by name when `named`.
pub(crate) fn write_ty(pool: &TypePool, out: &mut String, id: TypeId, named: bool) {
    if id == INFER {
        out.push('_');
        return;
    }
    if id.0 as usize >= pool.len() {
        out.push_str("void");
        return;
    }
    let name = |n: NameId| pool.names.resolve(n);
    match pool.key(id) {
        TypeKey::Void => out.push_str("void"),
        TypeKey::NoReturn => out.push_str("noreturn"),
        TypeKey::Bool => out.push_str("bool"),
        TypeKey::Int { signedness, bits } => {
            let s = if *signedness == Signedness::Signed {
                'i'
            } else {
                'u'
            };
            let _ = write!(out, "{s}{bits}");
        }
        TypeKey::Usize => out.push_str("usize"),
        TypeKey::Isize => out.push_str("isize"),
        TypeKey::Float(f) => {
            let _ = write!(out, "f{}", f.bits());
        }
        TypeKey::Pointer {
            size,
            is_const,
            child,
        } => {
            out.push_str(match size {
                PtrSize::One => "*",
                PtrSize::Many => "[*]",
                PtrSize::Slice => "[]",
                PtrSize::C => "[*c]",
            });
            if *is_const {
                out.push_str("const ");
            }
            write_ty(pool, out, *child, true);
        }
        TypeKey::Array { len, elem } => {
            let _ = write!(out, "[{len}]");
            write_ty(pool, out, *elem, true);
        }
        TypeKey::Optional(c) => {
            out.push('?');
            write_ty(pool, out, *c, true);
        }
        TypeKey::AnyError => out.push_str("anyerror"),
        TypeKey::ErrorSet { name: Some(n), .. } if named => out.push_str(name(*n)),
        TypeKey::ErrorSet { names, .. } => {
            let mut v: Vec<&str> = names.iter().map(|n| name(*n)).collect();
            v.sort_unstable();
            out.push_str("error{");
            out.push_str(&v.join(", "));
            out.push('}');
        }
        TypeKey::ErrorUnion { error, payload } => {
            write_ty(pool, out, *error, true);
            out.push('!');
            write_ty(pool, out, *payload, true);
        }
        TypeKey::Struct { name: Some(n), .. }
        | TypeKey::Enum { name: Some(n), .. }
        | TypeKey::Union { name: Some(n), .. }
            if named =>
        {
            out.push_str(name(*n))
        }
        TypeKey::Struct { layout, fields, .. } => {
            if *layout == ContainerLayout::Extern {
                out.push_str("extern ");
            }
            out.push_str("struct {");
            write_fields(pool, out, fields.iter().map(|f| (f.name, f.ty)));
        }
        TypeKey::Enum { tag, fields, .. } => {
            out.push_str("enum(");
            write_ty(pool, out, *tag, true);
            out.push_str(") {");
            for (i, f) in fields.iter().enumerate() {
                let _ = write!(
                    out,
                    "{} {} = {}",
                    if i > 0 { "," } else { "" },
                    name(f.name),
                    f.value
                );
            }
            out.push_str(if fields.is_empty() { "}" } else { " }" });
        }
        TypeKey::Union { tag, fields, .. } => {
            out.push_str("union");
            if let Some(tag) = tag {
                out.push('(');
                match auto_tag(pool, *tag, fields.iter().map(|f| f.name)) {
                    Some(true) => out.push_str("enum"),
                    Some(false) => {
                        if let TypeKey::Enum { tag: int, .. } = pool.key(*tag) {
                            out.push_str("enum(");
                            write_ty(pool, out, *int, true);
                            out.push(')');
                        }
                    }
                    None => write_ty(pool, out, *tag, true),
                }
                out.push(')');
            }
            out.push_str(" {");
            write_fields(pool, out, fields.iter().map(|f| (f.name, f.ty)));
        }
        TypeKey::Fn {
            params,
            ret,
            callconv,
        } => {
            out.push_str("fn (");
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_ty(pool, out, *p, true);
            }
            out.push_str(") ");
            write_ty(pool, out, *ret, true);
            if *callconv == CallConv::C {
                out.push_str(" callconv(c)");
            }
        }
        TypeKey::Forward(n) => out.push_str(name(*n)),
    }
}

fn write_fields(pool: &TypePool, out: &mut String, fields: impl Iterator<Item = (NameId, TypeId)>) {
    let mut any = false;
    for (i, (n, t)) in fields.enumerate() {
        let _ = write!(
            out,
            "{} {}: ",
            if i > 0 { "," } else { "" },
            pool.names.resolve(n)
        );
        write_ty(pool, out, t, true);
        any = true;
    }
    out.push_str(if any { " }" } else { "}" });
}

/// Whether `tag` is the enum the parser makes for `union(enum)` (`Some(true)`) or
/// `union(enum(T))` (`Some(false)`) over these field names; `None` for any other enum.
fn auto_tag(pool: &TypePool, tag: TypeId, names: impl Iterator<Item = NameId>) -> Option<bool> {
    let TypeKey::Enum {
        name: None,
        tag: int,
        fields,
    } = pool.key(tag)
    else {
        return None;
    };
    let mut n = 0usize;
    for (i, name) in names.enumerate() {
        let f = fields.get(i)?;
        if f.name != name || f.value.to_i128() != Some(i as i128) {
            return None;
        }
        n += 1;
    }
    if n != fields.len() {
        return None;
    }
    match pool.key(*int) {
        TypeKey::Int {
            signedness: Signedness::Unsigned,
            bits,
        } => Some(*bits == tag_bits(n)),
        _ => None,
    }
}

/// The float type of a value of type `ty` (looking through optionals and error unions).
fn float_type(pool: &TypePool, mut ty: TypeId) -> Option<FloatType> {
    loop {
        if ty == INFER || ty.0 as usize >= pool.len() {
            return None;
        }
        match pool.key(ty) {
            TypeKey::Float(f) => return Some(*f),
            TypeKey::Optional(c) => ty = *c,
            TypeKey::ErrorUnion { payload, .. } => ty = *payload,
            _ => return None,
        }
    }
}

/// The payload type of `ty`, through optionals and error unions.
fn payload(pool: &TypePool, mut ty: TypeId) -> TypeId {
    loop {
        if ty == INFER || ty.0 as usize >= pool.len() {
            return ty;
        }
        match pool.key(ty) {
            TypeKey::Optional(c) => ty = *c,
            TypeKey::ErrorUnion { payload, .. } => ty = *payload,
            _ => return ty,
        }
    }
}

fn write_f64(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("nan");
    } else if v.is_infinite() {
        out.push_str(if v < 0.0 { "-inf" } else { "inf" });
    } else {
        let _ = write!(out, "{v:?}");
    }
}

/// Writes a string literal with Zig escapes.
pub(crate) fn write_bytes(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

/// Writes a constant value of type `ty` (without the type).
pub(crate) fn write_value(pool: &TypePool, out: &mut String, ty: TypeId, v: &Value) {
    let name = |n: NameId| pool.names.resolve(n);
    match v {
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(bits) => {
            let f = match float_type(pool, ty) {
                Some(ft) => float_bits_to_f64(ft, *bits),
                None => f64::from_bits(*bits as u64),
            };
            write_f64(out, f);
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Undef => out.push_str("undef"),
        Value::Null => out.push_str("null"),
        Value::Bytes(b) => write_bytes(out, b),
        Value::Aggregate(elems) => {
            let b = payload(pool, ty);
            out.push_str(".{");
            for (i, e) in elems.iter().enumerate() {
                let ety = if b == INFER || b.0 as usize >= pool.len() {
                    INFER
                } else {
                    match pool.key(b) {
                        TypeKey::Array { elem, .. } => *elem,
                        TypeKey::Struct { fields, .. } => fields.get(i).map_or(INFER, |f| f.ty),
                        _ => INFER,
                    }
                };
                out.push_str(if i > 0 { ", " } else { " " });
                write_value(pool, out, ety, e);
            }
            out.push_str(if elems.is_empty() { "}" } else { " }" });
        }
        Value::Fields(fields) => {
            let b = payload(pool, ty);
            out.push_str(".{");
            for (i, (n, e)) in fields.iter().enumerate() {
                let fty = if b == INFER || b.0 as usize >= pool.len() {
                    INFER
                } else {
                    match pool.key(b) {
                        TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. } => {
                            fields.iter().find(|f| f.name == *n).map_or(INFER, |f| f.ty)
                        }
                        _ => INFER,
                    }
                };
                let _ = write!(out, "{} .{} = ", if i > 0 { "," } else { "" }, name(*n));
                write_value(pool, out, fty, e);
            }
            out.push_str(if fields.is_empty() { "}" } else { " }" });
        }
        Value::EnumLiteral(n) => {
            let _ = write!(out, ".{}", name(*n));
        }
        Value::Error(n) => {
            let _ = write!(out, "error.{}", name(*n));
        }
        Value::DeclAddr(a) => {
            let _ = write!(out, "@{}", name(a.decl));
            for p in a.path.iter() {
                match p {
                    PathElem::Index(i) => {
                        let _ = write!(out, "[{i}]");
                    }
                    PathElem::Field(f) => {
                        let _ = write!(out, ".{}", name(*f));
                    }
                }
            }
            if let Some((a, b)) = a.slice {
                let _ = write!(out, "[{a}..{b}]");
            }
        }
    }
}

/// Whether a parameter name of an `extern fn` can be written bare.
fn is_plain_name(s: &str) -> bool {
    s.as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
}

impl Printer<'_> {
    fn ty(&mut self, id: TypeId) {
        write_ty(&self.m.types, self.out, id, true);
    }

    fn module(&mut self) {
        let m = self.m;
        let pool = &m.types;
        if m.target != Target::Wasm32 {
            let _ = writeln!(self.out, "target {}", m.target.name());
        }
        let errors: Vec<&str> = pool.error_names().map(|n| pool.names.resolve(n)).collect();
        if !errors.is_empty() {
            let _ = writeln!(self.out, "errors {{ {} }}", errors.join(", "));
        }
        let mut defined: HashSet<NameId> = HashSet::new();
        for item in &m.type_items {
            let _ = write!(self.out, "type {} = ", pool.names.resolve(item.name));
            let nominal = nominal_name(pool, item.ty) == Some(item.name);
            if nominal {
                defined.insert(item.name);
            }
            write_ty(pool, self.out, item.ty, !nominal);
            self.out.push('\n');
        }
        for i in 0..pool.len() {
            let id = TypeId(i as u32);
            if let Some(n) = nominal_name(pool, id) {
                if defined.insert(n) {
                    let _ = write!(self.out, "type {} = ", pool.names.resolve(n));
                    write_ty(pool, self.out, id, false);
                    self.out.push('\n');
                }
            }
        }
        let mut after_fn = false;
        for d in &m.decls {
            let name = pool.names.resolve(d.name);
            let is_fn = matches!(d.kind, DeclKind::Fn(_));
            // Functions are set apart by blank lines.
            if (is_fn || after_fn) && !self.out.is_empty() {
                self.out.push('\n');
            }
            after_fn = is_fn;
            let export = if d.exported { "export " } else { "" };
            match &d.kind {
                DeclKind::Const(g) | DeclKind::Var(g) => {
                    let kw = if matches!(d.kind, DeclKind::Var(_)) {
                        "var"
                    } else {
                        "const"
                    };
                    let _ = write!(self.out, "{export}{kw} {name}: ");
                    self.ty(g.ty);
                    self.out.push_str(" = ");
                    write_value(pool, self.out, g.ty, &g.value);
                    self.out.push('\n');
                }
                DeclKind::Extern(e) => {
                    let _ = write!(self.out, "extern fn {name}(");
                    if let TypeKey::Fn {
                        params,
                        ret,
                        callconv,
                    } = pool.key(e.ty)
                    {
                        for (i, p) in params.iter().enumerate() {
                            if i > 0 {
                                self.out.push_str(", ");
                            }
                            match e.param_names.get(i) {
                                Some(&n) if n != NO_NAME => {
                                    let s = pool.names.resolve(n);
                                    let sigil = if is_plain_name(s) { "" } else { "%" };
                                    let _ = write!(self.out, "{sigil}{s}: ");
                                }
                                _ => {}
                            }
                            self.ty(*p);
                        }
                        self.out.push_str(") ");
                        self.ty(*ret);
                        if *callconv == CallConv::C {
                            self.out.push_str(" callconv(c)");
                        }
                    }
                    if e.module != "env" {
                        self.out.push_str(" from ");
                        write_bytes(self.out, e.module.as_bytes());
                    }
                    self.out.push('\n');
                }
                DeclKind::Fn(f) => {
                    let _ = write!(self.out, "{export}fn {name}(");
                    FnPrinter::new(self.m, &f.air, self.out).function(f.ty);
                }
            }
        }
    }
}

fn nominal_name(pool: &TypePool, id: TypeId) -> Option<NameId> {
    match pool.key(id) {
        TypeKey::Struct { name, .. }
        | TypeKey::Enum { name, .. }
        | TypeKey::Union { name, .. }
        | TypeKey::ErrorSet { name, .. } => *name,
        _ => None,
    }
}

/// Prints one function body.
struct FnPrinter<'a> {
    m: &'a Module,
    air: &'a Air,
    out: &'a mut String,
    /// The prefix of unnamed instruction names.
    prefix: String,
    /// Instructions whose result is an operand somewhere.
    used: Vec<bool>,
    /// Loops that need a label.
    labelled: Vec<bool>,
    /// The loops around the instruction being printed.
    loops: Vec<u32>,
}

impl<'a> FnPrinter<'a> {
    fn new(m: &'a Module, air: &'a Air, out: &'a mut String) -> Self {
        let n = air.len();
        let names: Vec<&str> = air
            .names
            .iter()
            .filter(|&&n| n != NO_NAME)
            .map(|&n| m.types.names.resolve(n))
            .collect();
        let mut prefix = String::new();
        while names.iter().any(|s| {
            s.strip_prefix(prefix.as_str())
                .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
        }) {
            prefix.push('_');
        }
        let mut used = vec![false; n];
        for i in 0..n as u32 {
            air.for_each_operand(i, |r| {
                if let Some(j) = r.to_inst() {
                    if let Some(u) = used.get_mut(j as usize) {
                        *u = true;
                    }
                }
            });
        }
        let mut p = FnPrinter {
            m,
            air,
            out,
            prefix,
            used,
            labelled: vec![false; n],
            loops: Vec::new(),
        };
        if !air.extra.is_empty() {
            p.scan(air.main());
        }
        p
    }

    /// Finds the loops that a `repeat` targets from inside another loop.
    fn scan(&mut self, body: &[u32]) {
        let air = self.air;
        for &i in body {
            match air.tags[i as usize] {
                Tag::Repeat => {
                    let target = air.data[i as usize].a;
                    if self.loops.last() != Some(&target) {
                        if let Some(l) = self.labelled.get_mut(target as usize) {
                            *l = true;
                        }
                    }
                }
                Tag::Loop => {
                    self.loops.push(i);
                    air.for_each_body(i, |b| self.scan(b));
                    self.loops.pop();
                }
                _ => air.for_each_body(i, |b| self.scan(b)),
            }
        }
    }

    fn local(&mut self, i: u32) {
        let n = self.air.names.get(i as usize).copied().unwrap_or(NO_NAME);
        if n == NO_NAME {
            let _ = write!(self.out, "%{}{i}", self.prefix);
        } else {
            let _ = write!(self.out, "%{}", self.m.types.names.resolve(n));
        }
    }

    fn operand(&mut self, r: Ref) {
        if let Some(i) = r.to_inst() {
            self.local(i);
        } else if let Some(c) = self.air.constant(r) {
            write_value(&self.m.types, self.out, c.ty, &c.value);
            if c.ty != INFER {
                self.out.push(':');
                write_ty(&self.m.types, self.out, c.ty, true);
            }
        } else {
            self.out.push_str("undef:void");
        }
    }

    /// A switch case item: written like an operand, so without a type unless it has one.
    fn item(&mut self, raw: u32) {
        self.operand(Ref(raw));
    }

    fn ty(&mut self, id: TypeId) {
        write_ty(&self.m.types, self.out, id, true);
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn function(&mut self, fn_ty: TypeId) {
        let air = self.air;
        let (params, ret, callconv) = match self.m.types.key(fn_ty) {
            TypeKey::Fn {
                params,
                ret,
                callconv,
            } => (&params[..], *ret, *callconv),
            _ => (&[][..], TypeId::VOID, CallConv::Auto),
        };
        let main: &[u32] = if air.extra.is_empty() {
            &[]
        } else {
            air.main()
        };
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            let arg = main
                .iter()
                .copied()
                .find(|&a| air.tags[a as usize] == Tag::Arg && air.data[a as usize].a == i as u32);
            match arg {
                Some(a) => self.local(a),
                None => {
                    let _ = write!(self.out, "%{}arg{i}", self.prefix);
                }
            }
            self.out.push_str(": ");
            self.ty(*p);
        }
        self.out.push_str(") ");
        self.ty(ret);
        if callconv == CallConv::C {
            self.out.push_str(" callconv(c)");
        }
        self.out.push_str(" {\n");
        self.body(main, 1);
        self.out.push_str("}\n");
    }

    fn body(&mut self, body: &[u32], depth: usize) {
        for &i in body {
            if self.air.tags[i as usize] != Tag::Arg {
                self.inst(i, depth);
            }
        }
    }

    fn block_body(&mut self, body: &[u32], depth: usize) {
        self.out.push_str("{\n");
        self.body(body, depth + 1);
        self.indent(depth);
        self.out.push('}');
    }

    fn inst(&mut self, i: u32, depth: usize) {
        let air = self.air;
        let tag = air.tags[i as usize];
        let d = air.data[i as usize];
        let ty = air.types[i as usize];
        self.indent(depth);
        let named = air.names[i as usize] != NO_NAME;
        let form = tag.form();
        let show_name = match form {
            Form::Call => named || self.used[i as usize],
            Form::Loop => named || self.labelled[i as usize],
            _ => tag.has_result(),
        };
        if show_name {
            self.local(i);
            self.out.push_str(" = ");
        }
        self.out.push_str(tag.name());
        match form {
            Form::Arg => {}
            Form::Bin | Form::BinNoResult => {
                self.out.push(' ');
                self.operand(Ref(d.a));
                self.out.push_str(", ");
                self.operand(Ref(d.b));
            }
            Form::Un => {
                self.out.push(' ');
                self.operand(Ref(d.a));
            }
            Form::TyOp => {
                self.out.push(' ');
                self.ty(ty);
                self.out.push_str(", ");
                self.operand(Ref(d.a));
            }
            Form::TyBin => {
                self.out.push(' ');
                self.ty(ty);
                self.out.push_str(", ");
                self.operand(Ref(d.a));
                self.out.push_str(", ");
                self.operand(Ref(d.b));
            }
            Form::Ternary => {
                let [a, b, c] = air.ternary(i);
                self.out.push(' ');
                self.operand(a);
                self.out.push_str(", ");
                self.operand(b);
                self.out.push_str(", ");
                self.operand(c);
            }
            Form::Field => {
                self.out.push(' ');
                self.operand(Ref(d.a));
                let _ = write!(self.out, ", {}", d.b);
            }
            Form::Alloc => {
                self.out.push(' ');
                let pointee = match self.m.types.key(ty) {
                    TypeKey::Pointer { child, .. } => *child,
                    _ => ty,
                };
                self.ty(pointee);
            }
            Form::Aggregate => {
                self.out.push(' ');
                self.ty(ty);
                for &r in air.aggregate_elems(i) {
                    self.out.push_str(", ");
                    self.operand(Ref(r));
                }
            }
            Form::UnionInit => {
                self.out.push(' ');
                self.ty(ty);
                let _ = write!(self.out, ", {}, ", d.a);
                self.operand(Ref(d.b));
            }
            Form::Block => {
                self.out.push(' ');
                self.ty(ty);
                self.out.push(' ');
                self.block_body(air.body(d.a), depth);
            }
            Form::Loop => {
                self.out.push(' ');
                self.loops.push(i);
                self.block_body(air.body(d.a), depth);
                self.loops.pop();
            }
            Form::Repeat => {
                if self.loops.last() != Some(&d.a) {
                    self.out.push(' ');
                    self.local(d.a);
                }
            }
            Form::Br => {
                self.out.push(' ');
                self.local(d.a);
                if !Ref(d.b).is_none() {
                    self.out.push_str(", ");
                    self.operand(Ref(d.b));
                }
            }
            Form::CondBr => {
                self.out.push(' ');
                self.operand(Ref(d.a));
                self.out.push(' ');
                let c = air.cond_br(i);
                self.block_body(c.then_body, depth);
                self.out.push_str(" else ");
                self.block_body(c.else_body, depth);
            }
            Form::SwitchBr => {
                self.out.push(' ');
                self.operand(Ref(d.a));
                self.out.push_str(" {\n");
                let s = air.switch_br(i);
                for case in &s.cases {
                    self.indent(depth + 1);
                    // Items and ranges in the order of their constants, which is the order
                    // they were written in (so the constant pool comes back the same).
                    let mut elems: Vec<(u32, u32, Option<u32>)> = case
                        .items
                        .iter()
                        .map(|&it| (it, it, None))
                        .chain(
                            case.ranges
                                .chunks(2)
                                .map(|r| (r[0], r[0], r.get(1).copied())),
                        )
                        .collect();
                    elems.sort_by_key(|e| Ref(e.0).to_const().unwrap_or(u32::MAX));
                    for (k, &(_, lo, hi)) in elems.iter().enumerate() {
                        if k > 0 {
                            self.out.push_str(", ");
                        }
                        self.item(lo);
                        if let Some(hi) = hi {
                            self.out.push_str("...");
                            self.item(hi);
                        }
                    }
                    self.out.push_str(" => ");
                    self.block_body(case.body, depth + 1);
                    self.out.push('\n');
                }
                if let Some(e) = s.else_body {
                    self.indent(depth + 1);
                    self.out.push_str("else => ");
                    self.block_body(e, depth + 1);
                    self.out.push('\n');
                }
                self.indent(depth);
                self.out.push('}');
            }
            Form::Ret => {
                if !Ref(d.a).is_none() {
                    self.out.push(' ');
                    self.operand(Ref(d.a));
                }
            }
            Form::NoOperands => {}
            Form::Call => {
                self.out.push(' ');
                self.operand(Ref(d.a));
                self.out.push('(');
                for (k, &r) in air.call_args(i).iter().enumerate() {
                    if k > 0 {
                        self.out.push_str(", ");
                    }
                    self.operand(Ref(r));
                }
                self.out.push(')');
            }
            Form::MemorySize => {
                let _ = write!(self.out, " {}", d.a);
            }
            Form::MemoryGrow => {
                let _ = write!(self.out, " {}, ", d.a);
                self.operand(Ref(d.b));
            }
            Form::DbgStmt => {
                let _ = write!(self.out, " {}:{}", d.a, d.b);
            }
        }
        self.out.push('\n');
    }
}
