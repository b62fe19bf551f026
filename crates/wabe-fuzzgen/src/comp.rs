//! Composite types: the program's table of named types (`type T3 = ...`), their constants,
//! how values of them are built, taken apart, printed and kept in memory.
//!
//! Every composite type gets an alias `T{index}`; struct and union aliases are nominal (one
//! type per alias), the others are just names. Types only refer to earlier ones, so there is
//! no recursion, and a weight bound keeps values small.
//!
//! Values that may hold a stack address are *local* (`Gen::local`): allocs, loads from stack
//! slots, parameters, block results, and anything built from a local value. They never reach
//! a global or a `ret`, so no pointer outlives its frame.

use crate::{int, Gen, Global, Ty, USIZE};
use arbitrary::Result;
use std::fmt::Write;

/// The error set of error unions.
const ERRORS: [&str; 3] = ["A", "B", "C"];

/// The most scalars in one composite value.
const MAX_WEIGHT: usize = 12;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Comp {
    /// `struct { f0: A, ... }`, or `extern struct` when `ext`.
    Struct { ext: bool, fields: Vec<Ty> },
    /// `[len]elem`.
    Array { len: u32, elem: Ty },
    /// `?T`.
    Optional(Ty),
    /// `E!T`.
    ErrUnion(Ty),
    /// `union(enum) { f0: A, ... }`.
    Union(Vec<Ty>),
    /// `[]T`.
    Slice(Ty),
    /// `*T`.
    Ptr(Ty),
    /// `*const fn (params) ret`; `targets` are the functions of that signature (sorted), the
    /// only values it takes. Calls through it are made only by functions before all of them.
    FnPtr {
        params: Vec<Ty>,
        ret: Ty,
        c: bool,
        targets: Vec<usize>,
    },
}

impl Gen<'_, '_> {
    fn comp(&self, t: Ty) -> Option<&Comp> {
        match t {
            Ty::C(i) => self.comps.get(i as usize),
            _ => None,
        }
    }

    fn type_text(&self, c: &Comp) -> String {
        let fields = |fs: &[Ty]| {
            fs.iter()
                .enumerate()
                .map(|(i, f)| format!("f{i}: {}", f.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match c {
            Comp::Struct { ext, fields: fs } => format!(
                "{}struct {{ {} }}",
                if *ext { "extern " } else { "" },
                fields(fs)
            ),
            Comp::Array { len, elem } => format!("[{len}]{}", elem.name()),
            Comp::Optional(p) => format!("?{}", p.name()),
            Comp::ErrUnion(p) => format!("E!{}", p.name()),
            Comp::Union(fs) => format!("union(enum) {{ {} }}", fields(fs)),
            Comp::Slice(e) => format!("[]{}", e.name()),
            Comp::Ptr(p) => format!("*{}", p.name()),
            Comp::FnPtr { params, ret, c, .. } => format!(
                "*const fn ({}) {}{}",
                params
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                ret.name(),
                if *c { " callconv(c)" } else { "" }
            ),
        }
    }

    /// Adds a composite type (or finds an equal non-nominal one) and declares it.
    fn intern(&mut self, c: Comp) -> Ty {
        let nominal = matches!(c, Comp::Struct { .. } | Comp::Union(_));
        if !nominal {
            if let Some(i) = self.comps.iter().position(|x| *x == c) {
                return Ty::C(i as u16);
            }
        }
        let i = self.comps.len();
        let text = self.type_text(&c);
        let _ = writeln!(self.header, "type T{i} = {text}");
        self.comps.push(c);
        Ty::C(i as u16)
    }

    /// The number of scalars in a value of `t`.
    fn weight(&self, t: Ty) -> usize {
        self.comp(t).map_or(1, |c| self.comp_weight(c))
    }

    fn comp_weight(&self, c: &Comp) -> usize {
        match c {
            Comp::Struct { fields, .. } => fields.iter().map(|&f| self.weight(f)).sum(),
            Comp::Array { len, elem } => *len as usize * self.weight(*elem),
            Comp::Optional(p) | Comp::ErrUnion(p) => 1 + self.weight(*p),
            Comp::Union(fs) => 1 + fs.iter().map(|&f| self.weight(f)).max().unwrap_or(0),
            Comp::Slice(_) | Comp::Ptr(_) | Comp::FnPtr { .. } => 1,
        }
    }

    /// Whether a value of `t` may hold a data pointer.
    pub(crate) fn has_ptr(&self, t: Ty) -> bool {
        match self.comp(t) {
            None | Some(Comp::FnPtr { .. }) => false,
            Some(Comp::Ptr(_) | Comp::Slice(_)) => true,
            Some(Comp::Struct { fields, .. } | Comp::Union(fields)) => {
                fields.iter().any(|&f| self.has_ptr(f))
            }
            Some(Comp::Array { elem, .. }) => self.has_ptr(*elem),
            Some(Comp::Optional(p) | Comp::ErrUnion(p)) => self.has_ptr(*p),
        }
    }

    /// Scalars, structs and arrays of them: every byte of a value is meaningful or padding,
    /// so that copying any prefix of one value over another gives a valid value.
    fn plain(&self, t: Ty) -> bool {
        match self.comp(t) {
            None => true,
            Some(Comp::Struct { fields, .. }) => fields.iter().all(|&f| self.plain(f)),
            Some(Comp::Array { elem, .. }) => self.plain(*elem),
            _ => false,
        }
    }

    /// Plain types where every bit pattern is a value (for `memset`).
    fn fill_safe(&self, t: Ty) -> bool {
        match t {
            Ty::Int { bits, .. } => matches!(bits, 8 | 16 | 32 | 64 | 128),
            Ty::Usize | Ty::Isize | Ty::F16 | Ty::F32 | Ty::F64 => true,
            Ty::Bool => false,
            Ty::C(_) => match self.comp(t) {
                Some(Comp::Struct { fields, .. }) => fields.iter().all(|&f| self.fill_safe(f)),
                Some(Comp::Array { elem, .. }) => self.fill_safe(*elem),
                _ => false,
            },
        }
    }

    /// Size and alignment of a plain type (IR.md 3.1, wasm32).
    fn size_align(&self, t: Ty) -> (u64, u64) {
        match t {
            Ty::Bool => (1, 1),
            Ty::Usize | Ty::Isize | Ty::F32 => (4, 4),
            Ty::F16 => (2, 2),
            Ty::F64 => (8, 8),
            Ty::Int { bits, .. } => match bits {
                0 => (0, 1),
                1..=8 => (1, 1),
                9..=16 => (2, 2),
                17..=32 => (4, 4),
                33..=64 => (8, 8),
                b => ((b as u64).div_ceil(128) * 16, 16),
            },
            Ty::C(_) => match self.comp(t) {
                Some(Comp::Array { len, elem }) => {
                    let (s, a) = self.size_align(*elem);
                    (s * *len as u64, a)
                }
                Some(Comp::Struct { ext, fields }) => {
                    let mut order: Vec<(u64, u64)> =
                        fields.iter().map(|&f| self.size_align(f)).collect();
                    if !ext {
                        order.sort_by_key(|f| std::cmp::Reverse(f.1));
                    }
                    let mut off = 0u64;
                    let mut align = 1u64;
                    for (s, a) in order {
                        off = off.div_ceil(a) * a + s;
                        align = align.max(a);
                    }
                    (off.div_ceil(align) * align, align)
                }
                // Only plain types are measured.
                _ => (4, 4),
            },
        }
    }

    /// A field, element or payload type: mostly a scalar, sometimes an earlier composite.
    fn part_ty(&mut self, allow_fn: bool) -> Result<Ty> {
        if !self.comps.is_empty() && self.u.ratio(1, 3)? {
            let i = self.u.choose_index(self.comps.len())?;
            let t = Ty::C(i as u16);
            let is_fn = matches!(self.comps[i], Comp::FnPtr { .. });
            if self.weight(t) <= MAX_WEIGHT / 2 && (allow_fn || !is_fn) {
                return Ok(t);
            }
        }
        self.scalar_ty()
    }

    /// The program's data types (made before the function signatures).
    pub(crate) fn make_data_types(&mut self) -> Result<()> {
        let cfg = self.cfg.clone();
        let mut kinds = Vec::new();
        if cfg.aggregates {
            kinds.extend([0u8, 0, 1, 1]);
        }
        if cfg.optionals {
            kinds.push(2);
        }
        if cfg.error_unions {
            kinds.push(3);
            let _ = writeln!(self.header, "type E = error{{{}}}", ERRORS.join(", "));
        }
        if cfg.unions {
            kinds.push(4);
        }
        if cfg.slices && cfg.globals {
            kinds.push(5);
        }
        if cfg.pointers && cfg.globals {
            kinds.push(6);
        }
        if kinds.is_empty() {
            return Ok(());
        }
        let n = self.u.int_in_range(0..=6usize)?;
        for _ in 0..n {
            let c = match *self.u.choose(&kinds)? {
                0 => {
                    let nf = self.u.int_in_range(1..=4usize)?;
                    let mut fields = Vec::new();
                    for _ in 0..nf {
                        fields.push(self.part_ty(true)?);
                    }
                    Comp::Struct {
                        ext: self.u.ratio(1, 3)?,
                        fields,
                    }
                }
                1 => Comp::Array {
                    len: self.u.int_in_range(1..=4u32)?,
                    elem: self.part_ty(true)?,
                },
                2 => {
                    let ptrs: Vec<usize> = (0..self.comps.len())
                        .filter(|&i| matches!(self.comps[i], Comp::Ptr(_)))
                        .collect();
                    if !ptrs.is_empty() && self.u.ratio(1, 3)? {
                        Comp::Optional(Ty::C(*self.u.choose(&ptrs)? as u16))
                    } else {
                        Comp::Optional(self.part_ty(true)?)
                    }
                }
                3 => Comp::ErrUnion(self.part_ty(true)?),
                4 => {
                    let nf = self.u.int_in_range(2..=3usize)?;
                    let mut fields = Vec::new();
                    for _ in 0..nf {
                        fields.push(self.part_ty(true)?);
                    }
                    Comp::Union(fields)
                }
                5 => Comp::Slice(self.scalar_ty()?),
                _ => {
                    let plain: Vec<usize> = (0..self.comps.len())
                        .filter(|&i| self.plain(Ty::C(i as u16)))
                        .collect();
                    if !plain.is_empty() && self.u.ratio(1, 3)? {
                        Comp::Ptr(Ty::C(*self.u.choose(&plain)? as u16))
                    } else {
                        Comp::Ptr(self.scalar_ty()?)
                    }
                }
            };
            // Too big to be interesting.
            if self.comp_weight(&c) <= MAX_WEIGHT {
                self.intern(c);
            }
        }
        Ok(())
    }

    /// Function pointer types for signatures shared by functions other than `main` (made
    /// after the signatures), and some tables and optionals of them.
    pub(crate) fn make_fn_types(&mut self) -> Result<()> {
        if !self.cfg.fn_pointers {
            return Ok(());
        }
        let mut seen: Vec<(Vec<Ty>, Ty, bool)> = Vec::new();
        for k in 1..self.funcs.len() {
            let f = &self.funcs[k];
            let sig = (f.params.clone(), f.ret, f.c);
            if seen.contains(&sig) {
                continue;
            }
            seen.push(sig.clone());
            let targets: Vec<usize> = (1..self.funcs.len())
                .filter(|&j| {
                    let g = &self.funcs[j];
                    g.params == sig.0 && g.ret == sig.1 && g.c == sig.2
                })
                .collect();
            if !self.u.ratio(2, 3)? {
                continue;
            }
            let t = self.intern(Comp::FnPtr {
                params: sig.0,
                ret: sig.1,
                c: sig.2,
                targets,
            });
            match self.u.int_in_range(0..=3u32)? {
                0 => {
                    let len = self.u.int_in_range(2..=3u32)?;
                    self.intern(Comp::Array { len, elem: t });
                }
                1 if self.cfg.optionals => {
                    self.intern(Comp::Optional(t));
                }
                2 if self.cfg.aggregates => {
                    let other = self.scalar_ty()?;
                    self.intern(Comp::Struct {
                        ext: false,
                        fields: vec![other, t],
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A `var` of type `t`, made now if there is none (its declaration goes to the header).
    fn var_of(&mut self, t: Ty) -> Result<String> {
        let found: Vec<usize> = (0..self.globals.len())
            .filter(|&i| self.globals[i].var && self.globals[i].ty == t)
            .collect();
        if !found.is_empty() && self.u.ratio(3, 4)? {
            return Ok(self.globals[*self.u.choose(&found)?].name.clone());
        }
        let k = self.globals.len();
        // Reserve the name first: the initializer may refer to other new globals.
        self.globals.push(Global {
            name: format!("@g{k}"),
            ty: t,
            var: true,
        });
        let lit = self.literal(t)?;
        let _ = writeln!(self.header, "var g{k}: {} = {lit}", t.name());
        Ok(format!("@g{k}"))
    }

    /// A constant of a composite type (without the `:T` suffix).
    pub(crate) fn comp_literal(&mut self, t: Ty) -> Result<String> {
        let Some(c) = self.comp(t).cloned() else {
            return Ok("0".into());
        };
        Ok(match c {
            Comp::Struct { fields, .. } => {
                let mut parts = Vec::new();
                for f in fields {
                    parts.push(self.literal(f)?);
                }
                format!(".{{ {} }}", parts.join(", "))
            }
            Comp::Array { len, elem } => {
                let mut parts = Vec::new();
                for _ in 0..len {
                    parts.push(self.literal(elem)?);
                }
                format!(".{{ {} }}", parts.join(", "))
            }
            Comp::Optional(p) => {
                if self.u.ratio(1, 3)? {
                    "null".into()
                } else {
                    self.literal(p)?
                }
            }
            Comp::ErrUnion(p) => {
                if self.u.ratio(1, 3)? {
                    format!("error.{}", self.u.choose(&ERRORS)?)
                } else {
                    self.literal(p)?
                }
            }
            Comp::Union(fs) => {
                let k = self.u.choose_index(fs.len())?;
                format!(".{{ .f{k} = {} }}", self.literal(fs[k])?)
            }
            Comp::Slice(e) => {
                let len = self.u.int_in_range(1..=4u32)?;
                let at = self.intern(Comp::Array { len, elem: e });
                let g = self.var_of(at)?;
                let (len, _) = self.array_of(at);
                let a = self.u.int_in_range(0..=len)?;
                let b = self.u.int_in_range(a..=len)?;
                format!("{g}[{a}..{b}]")
            }
            Comp::Ptr(p) => self.pointer_literal(p)?,
            Comp::FnPtr { targets, .. } => {
                let j = *self.u.choose(&targets)?;
                format!("@{}", self.funcs[j].name)
            }
        })
    }

    fn array_of(&self, t: Ty) -> (u32, Ty) {
        match self.comp(t) {
            Some(Comp::Array { len, elem }) => (*len, *elem),
            _ => (0, t),
        }
    }

    /// The address of a `var` of type `p`, or of an element or field of one.
    fn pointer_literal(&mut self, p: Ty) -> Result<String> {
        let mut cands = Vec::new();
        for g in &self.globals {
            if !g.var {
                continue;
            }
            if g.ty == p {
                cands.push(g.name.clone());
            }
            match self.comp(g.ty) {
                Some(Comp::Array { len, elem }) if *elem == p => {
                    for i in 0..*len {
                        cands.push(format!("{}[{i}]", g.name));
                    }
                }
                Some(Comp::Struct { fields, .. }) => {
                    for (i, f) in fields.iter().enumerate() {
                        if *f == p {
                            cands.push(format!("{}.f{i}", g.name));
                        }
                    }
                }
                _ => {}
            }
        }
        if !cands.is_empty() && self.u.ratio(4, 5)? {
            return Ok(self.u.choose(&cands)?.clone());
        }
        self.var_of(p)
    }

    /// An index below `len`: a constant, or a `usize` value reduced with `rem`.
    fn index(&mut self, len: u32) -> Result<String> {
        if len == 0 || self.u.ratio(1, 2)? {
            let i = self.u.int_in_range(0..=len.saturating_sub(1))?;
            return Ok(format!("{i}:usize"));
        }
        let v = self.value(USIZE)?;
        let r = self.fresh();
        self.line(format!("{r} = rem {v}, {len}:usize"));
        Ok(r)
    }

    /// Marks `r` local when any of `from` is.
    fn inherit(&mut self, r: &str, t: Ty, from: &[&str]) {
        if self.has_ptr(t) && from.iter().any(|v| self.is_local(v)) {
            self.local.insert(r.to_string());
        }
    }

    /// A new value of a composite type.
    pub(crate) fn comp_expr(&mut self, t: Ty) -> Result<String> {
        self.nest += 1;
        let r = self.comp_expr_in(t);
        self.nest -= 1;
        r
    }

    fn comp_expr_in(&mut self, t: Ty) -> Result<String> {
        let Some(c) = self.comp(t).cloned() else {
            return self.value(int(false, 32));
        };
        if self.nest > 3 || self.u.is_empty() {
            let r = self.fresh();
            self.const_value(&r, t)?;
            return Ok(r);
        }
        if self.u.ratio(1, 5)? {
            if let Some(v) = self.project(t)? {
                return Ok(v);
            }
        }
        let r = self.fresh();
        let n = t.name();
        match c {
            Comp::Struct { fields, .. } => {
                if self.u.ratio(1, 4)? {
                    // Built in memory: a whole store, then one field through its pointer.
                    let s = self.fresh();
                    let init = self.operand(t)?;
                    self.line(format!("{s} = alloc {n}"));
                    self.line(format!("store {s}, {init}"));
                    let k = self.u.choose_index(fields.len())?;
                    let fp = self.fresh();
                    let v = self.operand(fields[k])?;
                    self.line(format!("{fp} = struct_field_ptr {s}, {k}"));
                    self.line(format!("store {fp}, {v}"));
                    self.line(format!("{r} = load {s}"));
                    self.mark_local(&r, t);
                    self.slots.push((s, t));
                    return Ok(r);
                }
                let mut ops = Vec::new();
                for f in fields {
                    ops.push(self.operand(f)?);
                }
                self.line(format!("{r} = aggregate_init {n}, {}", ops.join(", ")));
                let from: Vec<&str> = ops.iter().map(String::as_str).collect();
                self.inherit(&r, t, &from);
            }
            Comp::Array { len, elem } => {
                if self.fill_safe(t) && self.u.ratio(1, 5)? {
                    let s = self.fresh();
                    let b = self.fresh();
                    let byte = self.u.arbitrary::<u8>()?;
                    let (size, _) = self.size_align(t);
                    self.line(format!("{s} = alloc {n}"));
                    self.line(format!("{b} = bitcast [*]u8, {s}"));
                    self.line(format!("memset {b}, {byte}:u8, {size}:usize"));
                    self.line(format!("{r} = load {s}"));
                    return Ok(r);
                }
                if self.u.ratio(1, 4)? {
                    let s = self.fresh();
                    let init = self.operand(t)?;
                    self.line(format!("{s} = alloc {n}"));
                    self.line(format!("store {s}, {init}"));
                    let i = self.index(len)?;
                    let ep = self.fresh();
                    let v = self.operand(elem)?;
                    self.line(format!("{ep} = ptr_elem_ptr {s}, {i}"));
                    self.line(format!("store {ep}, {v}"));
                    self.line(format!("{r} = load {s}"));
                    self.mark_local(&r, t);
                    self.slots.push((s, t));
                    return Ok(r);
                }
                let mut ops = Vec::new();
                for _ in 0..len {
                    ops.push(self.operand(elem)?);
                }
                self.line(format!("{r} = aggregate_init {n}, {}", ops.join(", ")));
                let from: Vec<&str> = ops.iter().map(String::as_str).collect();
                self.inherit(&r, t, &from);
            }
            Comp::Optional(p) => match self.u.int_in_range(0..=3u32)? {
                0 => self.const_value(&r, t)?,
                1 if matches!(self.comp(p), Some(Comp::Ptr(_))) => {
                    // A pointer-like optional of a stack slot.
                    let Some(Comp::Ptr(q)) = self.comp(p).cloned() else {
                        return Ok(r);
                    };
                    let s = self.fresh();
                    let v = self.operand(q)?;
                    self.line(format!("{s} = alloc {}", q.name()));
                    self.line(format!("store {s}, {v}"));
                    self.line(format!("{r} = wrap_optional {n}, {s}"));
                    self.local.insert(r.clone());
                    self.slots.push((s, q));
                }
                _ => {
                    let v = self.operand(p)?;
                    self.line(format!("{r} = wrap_optional {n}, {v}"));
                    self.inherit(&r, t, &[&v]);
                }
            },
            Comp::ErrUnion(p) => {
                if self.u.ratio(1, 3)? {
                    let e = self.u.choose(&ERRORS)?;
                    self.line(format!("{r} = wrap_errunion_err {n}, error.{e}:E"));
                } else {
                    let v = self.operand(p)?;
                    self.line(format!("{r} = wrap_errunion_payload {n}, {v}"));
                    self.inherit(&r, t, &[&v]);
                }
            }
            Comp::Union(fs) => {
                let k = self.u.choose_index(fs.len())?;
                let v = self.operand(fs[k])?;
                self.line(format!("{r} = union_init {n}, {k}, {v}"));
                self.inherit(&r, t, &[&v]);
            }
            Comp::Slice(e) => {
                if self.u.ratio(1, 3)? {
                    self.const_value(&r, t)?;
                    return Ok(r);
                }
                // A slice of a stack array, maybe narrowed.
                let len = self.u.int_in_range(1..=4u32)?;
                let at = self.intern(Comp::Array { len, elem: e });
                let a = self.fresh();
                let init = self.operand(at)?;
                self.line(format!("{a} = alloc {}", at.name()));
                self.line(format!("store {a}, {init}"));
                self.slots.push((a.clone(), at));
                if self.u.ratio(1, 2)? {
                    self.line(format!("{r} = array_to_slice {n}, {a}"));
                } else {
                    let s0 = self.fresh();
                    let p = self.fresh();
                    let p2 = self.fresh();
                    let from = self.u.int_in_range(0..=len)?;
                    let sub = self.u.int_in_range(0..=len - from)?;
                    self.line(format!("{s0} = array_to_slice {n}, {a}"));
                    self.line(format!("{p} = slice_ptr {s0}"));
                    self.line(format!("{p2} = ptr_add {p}, {from}:usize"));
                    self.line(format!("{r} = slice {n}, {p2}, {sub}:usize"));
                }
                self.local.insert(r.clone());
            }
            Comp::Ptr(p) => {
                if self.u.ratio(1, 3)? {
                    self.const_value(&r, t)?;
                    return Ok(r);
                }
                // A pointer to a new stack slot, or into an aggregate slot.
                let into: Vec<(String, Ty)> = self
                    .slots
                    .iter()
                    .filter(|(_, st)| match self.comp(*st) {
                        Some(Comp::Array { elem, .. }) => *elem == p,
                        Some(Comp::Struct { fields, .. }) => fields.contains(&p),
                        _ => false,
                    })
                    .cloned()
                    .collect();
                if !into.is_empty() && self.u.ratio(1, 2)? {
                    let (s, st) = self.u.choose(&into)?.clone();
                    match self.comp(st).cloned() {
                        Some(Comp::Array { len, .. }) => {
                            let i = self.index(len)?;
                            self.line(format!("{r} = ptr_elem_ptr {s}, {i}"));
                        }
                        Some(Comp::Struct { fields, .. }) => {
                            let ks: Vec<usize> =
                                (0..fields.len()).filter(|&k| fields[k] == p).collect();
                            let k = *self.u.choose(&ks)?;
                            self.line(format!("{r} = struct_field_ptr {s}, {k}"));
                        }
                        _ => self.line(format!("{r} = bitcast {n}, {s}")),
                    }
                } else {
                    let v = self.operand(p)?;
                    self.line(format!("{r} = alloc {}", p.name()));
                    self.line(format!("store {r}, {v}"));
                    self.slots.push((r.clone(), p));
                }
                self.local.insert(r.clone());
            }
            Comp::FnPtr { targets, .. } => {
                if self.u.ratio(1, 2)? {
                    self.const_value(&r, t)?;
                } else {
                    // From a table in a local array.
                    let len = self.u.int_in_range(1..=3u32)?;
                    let tb = self.fresh();
                    let mut ops = Vec::new();
                    for _ in 0..len {
                        let j = *self.u.choose(&targets)?;
                        ops.push(format!("@{}:{n}", self.funcs[j].name));
                    }
                    let at = self.intern(Comp::Array { len, elem: t });
                    self.line(format!(
                        "{tb} = aggregate_init {}, {}",
                        at.name(),
                        ops.join(", ")
                    ));
                    let i = self.index(len)?;
                    if self.u.ratio(1, 2)? {
                        self.line(format!("{r} = array_elem_val {tb}, {i}"));
                    } else {
                        let s = self.fresh();
                        self.line(format!("{s} = alloc {}", at.name()));
                        self.line(format!("store {s}, {tb}"));
                        self.line(format!("{r} = ptr_elem_val {s}, {i}"));
                    }
                }
            }
        }
        Ok(r)
    }

    /// `r` as a block yielding a constant of `t`.
    fn const_value(&mut self, r: &str, t: Ty) -> Result<()> {
        let lit = self.literal(t)?;
        let n = t.name();
        self.line(format!("{r} = block {n} {{"));
        self.line(format!("  br {r}, {lit}:{n}"));
        self.line("}");
        Ok(())
    }

    fn mark_local(&mut self, r: &str, t: Ty) {
        if self.has_ptr(t) {
            self.local.insert(r.to_string());
        }
    }

    /// A default for a guarded read: a constant of `t`.
    fn default_of(&mut self, t: Ty) -> Result<String> {
        Ok(format!("{}:{}", self.literal(t)?, t.name()))
    }

    /// A value of `t` taken out of a composite value in scope (a field, an element, a
    /// payload guarded by its check, a load through a pointer, a call through a function
    /// pointer), or `None`.
    pub(crate) fn project(&mut self, t: Ty) -> Result<Option<String>> {
        self.nest += 1;
        let r = self.project_in(t);
        self.nest -= 1;
        r
    }

    fn project_in(&mut self, t: Ty) -> Result<Option<String>> {
        if self.nest > 3 {
            return Ok(None);
        }
        let mut cands: Vec<(String, Ty, usize)> = Vec::new();
        for (v, vt) in &self.vals {
            let Some(c) = self.comp(*vt) else { continue };
            match c {
                Comp::Struct { fields, .. } | Comp::Union(fields) => {
                    for (k, f) in fields.iter().enumerate() {
                        if *f == t {
                            cands.push((v.clone(), *vt, k));
                        }
                    }
                }
                Comp::Array { elem: p, .. }
                | Comp::Optional(p)
                | Comp::ErrUnion(p)
                | Comp::Slice(p)
                | Comp::Ptr(p)
                    if *p == t =>
                {
                    cands.push((v.clone(), *vt, 0))
                }
                Comp::FnPtr { ret, targets, .. }
                    if *ret == t && targets.iter().all(|&j| j > self.cur) =>
                {
                    cands.push((v.clone(), *vt, 0))
                }
                _ => {}
            }
        }
        if cands.is_empty() {
            return Ok(None);
        }
        let (v, vt, k) = self.u.choose(&cands)?.clone();
        let c = self.comp(vt).cloned().expect("composite");
        let r = self.fresh();
        let n = t.name();
        match c {
            Comp::Struct { .. } => self.line(format!("{r} = struct_field_val {v}, {k}")),
            Comp::Array { len, .. } => {
                let i = self.index(len)?;
                self.line(format!("{r} = array_elem_val {v}, {i}"));
            }
            Comp::Optional(_) => {
                let d = self.default_of(t)?;
                let c = self.fresh();
                let x = self.fresh();
                self.line(format!("{c} = is_null {v}"));
                self.line(format!("{r} = block {n} {{"));
                self.line(format!("  cond_br {c} {{"));
                self.line(format!("    br {r}, {d}"));
                self.line("  } else {");
                self.line(format!("    {x} = optional_payload {v}"));
                self.line(format!("    br {r}, {x}"));
                self.line("  }");
                self.line("}");
            }
            Comp::ErrUnion(_) => {
                let d = self.default_of(t)?;
                let c = self.fresh();
                let x = self.fresh();
                self.line(format!("{c} = is_err {v}"));
                self.line(format!("{r} = block {n} {{"));
                self.line(format!("  cond_br {c} {{"));
                self.line(format!("    br {r}, {d}"));
                self.line("  } else {");
                self.line(format!("    {x} = unwrap_errunion_payload {v}"));
                self.line(format!("    br {r}, {x}"));
                self.line("  }");
                self.line("}");
            }
            Comp::Union(_) => {
                let d = self.default_of(t)?;
                let tg = self.fresh();
                let x = self.fresh();
                self.line(format!("{tg} = get_union_tag {v}"));
                self.line(format!("{r} = block {n} {{"));
                self.line(format!("  switch_br {tg} {{"));
                self.line(format!("    .f{k} => {{"));
                self.line(format!("      {x} = struct_field_val {v}, {k}"));
                self.line(format!("      br {r}, {x}"));
                self.line("    }");
                self.line("    else => {");
                self.line(format!("      br {r}, {d}"));
                self.line("    }");
                self.line("  }");
                self.line("}");
            }
            Comp::Slice(_) => {
                let d = self.default_of(t)?;
                let l = self.fresh();
                let z = self.fresh();
                let i = self.fresh();
                let x = self.fresh();
                let idx = self.value(USIZE)?;
                self.line(format!("{l} = slice_len {v}"));
                self.line(format!("{z} = cmp_eq {l}, 0:usize"));
                self.line(format!("{r} = block {n} {{"));
                self.line(format!("  cond_br {z} {{"));
                self.line(format!("    br {r}, {d}"));
                self.line("  } else {");
                self.line(format!("    {i} = rem {idx}, {l}"));
                if self.u.arbitrary()? {
                    self.line(format!("    {x} = slice_elem_val {v}, {i}"));
                } else {
                    let p = self.fresh();
                    self.line(format!("    {p} = slice_elem_ptr {v}, {i}"));
                    self.line(format!("    {x} = load {p}"));
                }
                self.line(format!("    br {r}, {x}"));
                self.line("  }");
                self.line("}");
            }
            Comp::Ptr(_) => self.line(format!("{r} = load {v}")),
            Comp::FnPtr { params, .. } => {
                let mut args = Vec::new();
                for p in params {
                    args.push(self.operand(p)?);
                }
                self.line(format!("{r} = call {v}({})", args.join(", ")));
                self.push_val(r.clone(), t, false);
                return Ok(Some(r));
            }
        }
        let local = self.is_local(&v);
        self.push_val(r.clone(), t, local);
        Ok(Some(r))
    }

    /// A `bool` from a composite value in scope (`is_null`, `is_err`, pointer equality, ...).
    pub(crate) fn comp_bool(&mut self) -> Result<Option<String>> {
        let cands: Vec<(String, Ty)> = self
            .vals
            .iter()
            .filter(|(_, t)| {
                matches!(
                    self.comp(*t),
                    Some(
                        Comp::Optional(_)
                            | Comp::ErrUnion(_)
                            | Comp::FnPtr { .. }
                            | Comp::Ptr(_)
                            | Comp::Slice(_)
                    )
                )
            })
            .cloned()
            .collect();
        if cands.is_empty() {
            return Ok(None);
        }
        let (v, t) = self.u.choose(&cands)?.clone();
        let r = self.fresh();
        match self.comp(t).cloned().expect("composite") {
            Comp::Optional(_) => {
                let op = *self.u.choose(&["is_null", "is_non_null"])?;
                self.line(format!("{r} = {op} {v}"));
            }
            Comp::ErrUnion(_) => {
                let op = *self.u.choose(&["is_err", "is_non_err"])?;
                self.line(format!("{r} = {op} {v}"));
            }
            Comp::Slice(_) => {
                let l = self.fresh();
                self.line(format!("{l} = slice_len {v}"));
                self.line(format!("{r} = cmp_gt {l}, 1:usize"));
            }
            _ => {
                let w = self.operand(t)?;
                let op = *self.u.choose(&["cmp_eq", "cmp_neq"])?;
                self.line(format!("{r} = {op} {v}, {w}"));
            }
        }
        Ok(Some(r))
    }

    /// Prints the parts of a composite value. Values made on the way (arguments of a call
    /// through a function pointer) may be inside nested bodies: they go out of scope after.
    pub(crate) fn print_comp(&mut self, v: &str, t: Ty) -> Result<()> {
        let (nv, ns) = (self.vals.len(), self.slots.len());
        let r = self.print_comp_in(v, t);
        self.vals.truncate(nv);
        self.slots.truncate(ns);
        r
    }

    fn print_comp_in(&mut self, v: &str, t: Ty) -> Result<()> {
        let Some(c) = self.comp(t).cloned() else {
            return Ok(());
        };
        match c {
            Comp::Struct { fields, .. } => {
                for (k, f) in fields.into_iter().enumerate() {
                    let x = self.fresh();
                    self.line(format!("{x} = struct_field_val {v}, {k}"));
                    self.print(&x, f)?;
                }
            }
            Comp::Array { len, elem } => {
                for i in 0..len {
                    let x = self.fresh();
                    self.line(format!("{x} = array_elem_val {v}, {i}:usize"));
                    self.print(&x, elem)?;
                }
            }
            Comp::Optional(p) => {
                let c = self.fresh();
                let b = self.fresh();
                let x = self.fresh();
                self.line(format!("{c} = is_non_null {v}"));
                self.print(&c, Ty::Bool)?;
                self.line(format!("{b} = block void {{"));
                self.indent += 1;
                self.line(format!("cond_br {c} {{"));
                self.indent += 1;
                self.line(format!("{x} = optional_payload {v}"));
                self.print(&x, p)?;
                self.line(format!("br {b}"));
                self.indent -= 1;
                self.line("} else {");
                self.line(format!("  br {b}"));
                self.line("}");
                self.indent -= 1;
                self.line("}");
            }
            Comp::ErrUnion(p) => {
                let c = self.fresh();
                let b = self.fresh();
                let x = self.fresh();
                let e = self.fresh();
                self.line(format!("{c} = is_err {v}"));
                self.line(format!("{b} = block void {{"));
                self.indent += 1;
                self.line(format!("cond_br {c} {{"));
                self.indent += 1;
                self.line(format!("{e} = unwrap_errunion_err {v}"));
                self.line(format!("switch_br {e} {{"));
                for (k, name) in ERRORS.iter().enumerate() {
                    self.line(format!("  error.{name} => {{"));
                    self.line(format!("    call @print_u32({}:u32)", 1000 + k));
                    self.line(format!("    br {b}"));
                    self.line("  }");
                }
                self.line("}");
                self.indent -= 1;
                self.line("} else {");
                self.indent += 1;
                self.line(format!("{x} = unwrap_errunion_payload {v}"));
                self.print(&x, p)?;
                self.line(format!("br {b}"));
                self.indent -= 1;
                self.line("}");
                self.indent -= 1;
                self.line("}");
            }
            Comp::Union(fs) => {
                let tg = self.fresh();
                let b = self.fresh();
                self.line(format!("{tg} = get_union_tag {v}"));
                self.line(format!("{b} = block void {{"));
                self.indent += 1;
                self.line(format!("switch_br {tg} {{"));
                for (k, f) in fs.into_iter().enumerate() {
                    self.line(format!("  .f{k} => {{"));
                    self.indent += 2;
                    self.line(format!("call @print_u32({}:u32)", 2000 + k));
                    let x = self.fresh();
                    self.line(format!("{x} = struct_field_val {v}, {k}"));
                    self.print(&x, f)?;
                    self.line(format!("br {b}"));
                    self.indent -= 2;
                    self.line("  }");
                }
                self.line("}");
                self.indent -= 1;
                self.line("}");
            }
            Comp::Slice(e) => {
                let l = self.fresh();
                self.line(format!("{l} = slice_len {v}"));
                self.print(&l, USIZE)?;
                for i in 0..2u32 {
                    let c = self.fresh();
                    let b = self.fresh();
                    let x = self.fresh();
                    self.line(format!("{c} = cmp_gt {l}, {i}:usize"));
                    self.line(format!("{b} = block void {{"));
                    self.indent += 1;
                    self.line(format!("cond_br {c} {{"));
                    self.indent += 1;
                    self.line(format!("{x} = slice_elem_val {v}, {i}:usize"));
                    self.print(&x, e)?;
                    self.line(format!("br {b}"));
                    self.indent -= 1;
                    self.line("} else {");
                    self.line(format!("  br {b}"));
                    self.line("}");
                    self.indent -= 1;
                    self.line("}");
                }
            }
            Comp::Ptr(p) => {
                let x = self.fresh();
                self.line(format!("{x} = load {v}"));
                self.print(&x, p)?;
            }
            Comp::FnPtr {
                params,
                ret,
                targets,
                ..
            } => {
                if targets.iter().all(|&j| j > self.cur) && self.loops == 0 {
                    let mut args = Vec::new();
                    for p in params {
                        args.push(self.operand(p)?);
                    }
                    let r = self.fresh();
                    self.line(format!("{r} = call {v}({})", args.join(", ")));
                    self.print(&r, ret)?;
                } else {
                    // Which function it is.
                    for j in targets {
                        let c = self.fresh();
                        let name = self.funcs[j].name.clone();
                        self.line(format!("{c} = cmp_eq {v}, @{name}:{}", t.name()));
                        self.print(&c, Ty::Bool)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A statement on composite values: memory operations on aggregate slots and globals,
    /// the `_ptr` forms of optionals and error unions, error propagation, calls through a
    /// table of function pointers.
    pub(crate) fn comp_statement(&mut self, depth: usize) -> Result<()> {
        let _ = depth;
        match self.u.int_in_range(0..=5u32)? {
            0 | 1 => self.slot_statement(),
            2 => self.global_statement(),
            3 => self.propagate_error(),
            4 => self.copy_statement(),
            _ => {
                // A call through a function pointer, printed.
                let callable: Vec<usize> = (0..self.comps.len())
                    .filter(|&i| match &self.comps[i] {
                        Comp::FnPtr { targets, .. } => targets.iter().all(|&j| j > self.cur),
                        _ => false,
                    })
                    .collect();
                if callable.is_empty() || (self.loops > 0 && !self.u.ratio(1, 3)?) {
                    return Ok(());
                }
                let t = Ty::C(*self.u.choose(&callable)? as u16);
                let f = self.comp_expr(t)?;
                self.print_comp(&f, t)
            }
        }
    }

    fn slot_statement(&mut self) -> Result<()> {
        let comp_slots: Vec<(String, Ty)> = self
            .slots
            .iter()
            .filter(|(_, t)| !t.is_scalar())
            .cloned()
            .collect();
        let (s, t) = if comp_slots.is_empty() || self.u.ratio(1, 4)? {
            let i = self.u.choose_index(self.comps.len())?;
            let t = Ty::C(i as u16);
            let s = self.fresh();
            let v = self.operand(t)?;
            self.line(format!("{s} = alloc {}", t.name()));
            self.line(format!("store {s}, {v}"));
            self.slots.push((s.clone(), t));
            (s, t)
        } else {
            self.u.choose(&comp_slots)?.clone()
        };
        let c = self.comp(t).cloned().expect("composite");
        match c {
            Comp::Struct { fields, .. } => {
                let k = self.u.choose_index(fields.len())?;
                let fp = self.fresh();
                self.line(format!("{fp} = struct_field_ptr {s}, {k}"));
                self.through_pointer(&fp, fields[k], true)?;
            }
            Comp::Array { len, elem } => {
                let i = self.index(len)?;
                if self.u.ratio(1, 3)? {
                    let r = self.fresh();
                    self.line(format!("{r} = ptr_elem_val {s}, {i}"));
                    self.push_val(r, elem, true);
                } else {
                    let ep = self.fresh();
                    self.line(format!("{ep} = ptr_elem_ptr {s}, {i}"));
                    self.through_pointer(&ep, elem, true)?;
                }
            }
            Comp::Optional(p) => {
                let c = self.fresh();
                self.line(format!("{c} = is_non_null_ptr {s}"));
                self.push_val(c.clone(), Ty::Bool, false);
                if self.u.arbitrary()? {
                    let pp = self.fresh();
                    self.line(format!("{pp} = optional_payload_ptr_set {s}"));
                    let v = self.operand(p)?;
                    self.line(format!("store {pp}, {v}"));
                } else {
                    let b = self.fresh();
                    let pp = self.fresh();
                    let x = self.fresh();
                    self.line(format!("{b} = block void {{"));
                    self.indent += 1;
                    self.line(format!("cond_br {c} {{"));
                    self.indent += 1;
                    self.line(format!("{pp} = optional_payload_ptr {s}"));
                    self.line(format!("{x} = load {pp}"));
                    self.print(&x, p)?;
                    self.line(format!("br {b}"));
                    self.indent -= 1;
                    self.line("} else {");
                    self.line(format!("  br {b}"));
                    self.line("}");
                    self.indent -= 1;
                    self.line("}");
                }
            }
            Comp::ErrUnion(p) => {
                let c = self.fresh();
                self.line(format!("{c} = is_err_ptr {s}"));
                self.push_val(c.clone(), Ty::Bool, false);
                match self.u.int_in_range(0..=2u32)? {
                    0 => {
                        let pp = self.fresh();
                        self.line(format!("{pp} = errunion_payload_ptr_set {s}"));
                        let v = self.operand(p)?;
                        self.line(format!("store {pp}, {v}"));
                    }
                    1 => {
                        // The error (0 when there is none), compared with each name.
                        let e = self.fresh();
                        self.line(format!("{e} = unwrap_errunion_err_ptr {s}"));
                        let name = self.u.choose(&ERRORS)?;
                        let q = self.fresh();
                        self.line(format!("{q} = cmp_eq {e}, error.{name}:E"));
                        self.print(&q, Ty::Bool)?;
                    }
                    _ => {
                        let b = self.fresh();
                        let pp = self.fresh();
                        let x = self.fresh();
                        self.line(format!("{b} = block void {{"));
                        self.indent += 1;
                        self.line(format!("cond_br {c} {{"));
                        self.line(format!("  br {b}"));
                        self.line("} else {");
                        self.indent += 1;
                        self.line(format!("{pp} = unwrap_errunion_payload_ptr {s}"));
                        self.line(format!("{x} = load {pp}"));
                        self.print(&x, p)?;
                        self.line(format!("br {b}"));
                        self.indent -= 1;
                        self.line("}");
                        self.indent -= 1;
                        self.line("}");
                    }
                }
            }
            _ => {
                let r = self.fresh();
                self.line(format!("{r} = load {s}"));
                self.push_val(r, t, true);
            }
        }
        Ok(())
    }

    /// A load through `p` (a `*t`) or, when `writable`, a store of a new value.
    fn through_pointer(&mut self, p: &str, t: Ty, stack: bool) -> Result<()> {
        if self.u.arbitrary()? {
            // Into the stack anything goes; into a global only values without stack
            // addresses.
            let v = if stack {
                self.operand(t)?
            } else {
                self.global_operand(t)?
            };
            self.line(format!("store {p}, {v}"));
        } else {
            let r = self.fresh();
            self.line(format!("{r} = load {p}"));
            self.push_val(r, t, stack);
        }
        Ok(())
    }

    /// Loads and stores of parts of globals, through pointers of values in scope too.
    fn global_statement(&mut self) -> Result<()> {
        let ptrs: Vec<(String, Ty)> = self
            .vals
            .iter()
            .filter_map(|(v, t)| match self.comp(*t) {
                Some(Comp::Ptr(p)) => Some((v.clone(), *p)),
                _ => None,
            })
            .collect();
        if !ptrs.is_empty() && self.u.ratio(1, 2)? {
            let (v, p) = self.u.choose(&ptrs)?.clone();
            // May point into a global: store only global-safe values.
            return self.through_pointer(&v, p, false);
        }
        let gs: Vec<Global> = self
            .globals
            .iter()
            .filter(|g| !g.ty.is_scalar())
            .cloned()
            .collect();
        if gs.is_empty() {
            return Ok(());
        }
        let g = self.u.choose(&gs)?.clone();
        match self.comp(g.ty).cloned() {
            Some(Comp::Struct { fields, .. }) => {
                let k = self.u.choose_index(fields.len())?;
                let fp = self.fresh();
                self.line(format!("{fp} = struct_field_ptr {}, {k}", g.name));
                if g.var {
                    self.through_pointer(&fp, fields[k], false)?;
                } else {
                    let r = self.fresh();
                    self.line(format!("{r} = load {fp}"));
                    self.push_val(r, fields[k], false);
                }
            }
            Some(Comp::Array { len, elem }) => {
                let i = self.index(len)?;
                if !g.var || self.u.ratio(1, 3)? {
                    let r = self.fresh();
                    self.line(format!("{r} = ptr_elem_val {}, {i}", g.name));
                    self.push_val(r, elem, false);
                } else {
                    let ep = self.fresh();
                    self.line(format!("{ep} = ptr_elem_ptr {}, {i}", g.name));
                    self.through_pointer(&ep, elem, false)?;
                }
            }
            _ => {
                let r = self.fresh();
                self.line(format!("{r} = load {}", g.name));
                self.push_val(r, g.ty, false);
            }
        }
        Ok(())
    }

    /// In a function returning an error union: call one that returns an error union and
    /// pass its error on (`try`).
    fn propagate_error(&mut self) -> Result<()> {
        let ret = self.funcs[self.cur].ret;
        if !matches!(self.comp(ret), Some(Comp::ErrUnion(_))) {
            return Ok(());
        }
        let callees: Vec<usize> = (self.cur + 1..self.funcs.len())
            .filter(|&k| matches!(self.comp(self.funcs[k].ret), Some(Comp::ErrUnion(_))))
            .collect();
        if callees.is_empty() || (self.loops > 0 && !self.u.ratio(1, 3)?) {
            return Ok(());
        }
        let k = *self.u.choose(&callees)?;
        let params = self.funcs[k].params.clone();
        let rt = self.funcs[k].ret;
        let Some(Comp::ErrUnion(payload)) = self.comp(rt).cloned() else {
            return Ok(());
        };
        let mut args = Vec::new();
        for p in params {
            args.push(self.operand(p)?);
        }
        let r = self.fresh();
        let c = self.fresh();
        let b = self.fresh();
        let e = self.fresh();
        let w = self.fresh();
        let name = self.funcs[k].name.clone();
        self.line(format!("{r} = call @{name}({})", args.join(", ")));
        self.line(format!("{c} = is_err {r}"));
        self.line(format!("{b} = block void {{"));
        self.line(format!("  cond_br {c} {{"));
        self.line(format!("    {e} = unwrap_errunion_err {r}"));
        self.line(format!("    {w} = wrap_errunion_err {}, {e}", ret.name()));
        self.line(format!("    ret {w}"));
        self.line("  } else {");
        self.line(format!("    br {b}"));
        self.line("  }");
        self.line("}");
        let x = self.fresh();
        self.line(format!("{x} = unwrap_errunion_payload {r}"));
        self.push_val(r, rt, false);
        self.push_val(x, payload, false);
        Ok(())
    }

    /// `memcpy` between two stack slots of a plain type (the whole value or a prefix), or
    /// `memset` of one whose every bit pattern is a value.
    fn copy_statement(&mut self) -> Result<()> {
        let plain: Vec<(String, Ty)> = self
            .slots
            .iter()
            .filter(|(_, t)| self.plain(*t) && self.size_align(*t).0 > 0)
            .cloned()
            .collect();
        if plain.is_empty() {
            return Ok(());
        }
        let (d, t) = self.u.choose(&plain)?.clone();
        let (size, _) = self.size_align(t);
        let db = self.fresh();
        self.line(format!("{db} = bitcast [*]u8, {d}"));
        let len = if self.u.ratio(2, 3)? {
            size
        } else {
            self.u.int_in_range(1..=size)?
        };
        if self.fill_safe(t) && self.u.ratio(1, 3)? {
            let byte = self.u.arbitrary::<u8>()?;
            self.line(format!("memset {db}, {byte}:u8, {len}:usize"));
            return Ok(());
        }
        // From another slot or a global of the same type, or a fresh copy of a value.
        let mut srcs: Vec<String> = plain
            .iter()
            .filter(|(s, st)| *st == t && *s != d)
            .map(|(s, _)| s.clone())
            .collect();
        srcs.extend(
            self.globals
                .iter()
                .filter(|g| g.var && g.ty == t)
                .map(|g| g.name.clone()),
        );
        let src = if srcs.is_empty() || self.u.ratio(1, 4)? {
            let s = self.fresh();
            let v = self.operand(t)?;
            self.line(format!("{s} = alloc {}", t.name()));
            self.line(format!("store {s}, {v}"));
            s
        } else {
            self.u.choose(&srcs)?.clone()
        };
        let sb = self.fresh();
        self.line(format!("{sb} = bitcast [*]u8, {src}"));
        self.line(format!("memcpy {db}, {sb}, {len}:usize"));
        Ok(())
    }
}
