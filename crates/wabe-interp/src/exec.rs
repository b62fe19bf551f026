//! The interpreter proper: module setup (data layout, constants) and instruction execution.

use crate::bits;
use crate::float::{self, BinOp, Rounding};
use crate::host::{Host, HostCall};
use crate::memory::{Memory, GLOBAL_BASE, PAGE, STACK_SIZE};
use crate::value::{self, int_bytes, int_of, ptr_bytes, read_ptr};
use crate::{Error, Limits, Stop};
use std::cmp::Ordering;
use std::collections::HashMap;
use wabe_air::{Air, DeclIndex, DeclKind, Module, Ref, Tag, INFER};
use wabe_types::{FloatType, Int, NameId, PathElem, PtrSize, TypeId, TypeKey, TypePool, Value};

/// Where a body ended.
enum Flow {
    /// `br` to the block instruction, with its value.
    Br(u32, Vec<u8>),
    /// `repeat` of the loop instruction.
    Repeat(u32),
    /// `ret` with the function's result.
    Ret(Vec<u8>),
    /// `call_always_tail` of a declaration with arguments: the caller's frame is gone.
    Tail(usize, Vec<Vec<u8>>),
}

/// One activation of a function.
struct Frame<'m> {
    air: &'m Air,
    decl: usize,
    vals: Vec<Vec<u8>>,
    /// The address of each `alloc` instruction's slot (0 for other instructions).
    slots: Vec<u64>,
    /// The return slot of `ret_ptr`.
    ret_slot: u64,
    ret_ty: TypeId,
}

/// The frame layout of a function: slot offsets per `alloc` and the frame size.
#[derive(Clone)]
struct Layout {
    offsets: Vec<(u32, u64)>,
    ret_off: Option<u64>,
    size: u64,
}

/// An interpreter of one verified module: its memory with the module's data laid out, and the
/// state of a run.
pub struct Interpreter<'m> {
    module: &'m Module,
    mem: Memory,
    /// Per declaration: the data address of a `const`/`var`, the table index of a function.
    addrs: Vec<u64>,
    /// Table index → declaration (index 0 is the null function pointer).
    table: Vec<u32>,
    /// Per declaration, the encoded constant pool of a function.
    consts: Vec<Vec<Vec<u8>>>,
    /// Error names by value - 1.
    errors: Vec<NameId>,
    /// `(address, length)` of each error name, by value - 1.
    error_strs: Vec<(u64, u64)>,
    /// `(address, length)` of each enum field name, per enum type.
    enum_strs: HashMap<TypeId, Vec<(u64, u64)>>,
    layouts: Vec<Option<Layout>>,
    data_end: u64,
    sp: u64,
    stack_lo: u64,
    steps: u64,
    depth: u32,
    limits: Limits,
}

fn illegal<T>(what: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Illegal(what.into()))
}

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a.max(1)) * a.max(1)
}

impl<'m> Interpreter<'m> {
    /// Lays out the module's data in a fresh memory: `const`s and `var`s from address 1024 in
    /// declaration order, then anonymous data (string literals behind pointers, error and enum
    /// name tables), then a 1 MiB stack. The module must have passed `wabe_air::verify`.
    pub fn new(module: &'m Module, limits: Limits) -> Result<Self, Error> {
        let pool = &module.types;
        let n = module.decls.len();
        let mut it = Interpreter {
            module,
            mem: Memory::default(),
            addrs: vec![0; n],
            table: vec![u32::MAX],
            consts: vec![Vec::new(); n],
            errors: pool.error_names().collect(),
            error_strs: Vec::new(),
            enum_strs: HashMap::new(),
            layouts: vec![None; n],
            data_end: GLOBAL_BASE,
            sp: 0,
            stack_lo: 0,
            steps: 0,
            depth: 0,
            limits,
        };
        // Addresses first, so that data may point at any declaration.
        let mut data: Vec<(usize, TypeId, &Value)> = Vec::new();
        for (i, d) in module.decls.iter().enumerate() {
            match &d.kind {
                DeclKind::Fn(_) | DeclKind::Extern(_) => {
                    it.addrs[i] = it.table.len() as u64;
                    it.table.push(i as u32);
                }
                DeclKind::Const(g) | DeclKind::Var(g) => {
                    let addr = align_up(it.data_end, pool.abi_align(g.ty));
                    it.addrs[i] = addr;
                    it.data_end = addr
                        .checked_add(pool.abi_size(g.ty))
                        .filter(|&e| e < (1 << 32))
                        .ok_or(Error::TooLarge)?;
                    data.push((i, g.ty, &g.value));
                }
            }
        }
        // Memory for the data; grown as anonymous data is added.
        it.ensure(it.data_end)?;
        for (i, ty, v) in data {
            let mut out = vec![0u8; pool.abi_size(ty) as usize];
            it.encode(ty, v, &mut out)?;
            it.mem
                .write(it.addrs[i], &out)
                .map_err(|_| Error::TooLarge)?;
        }
        for (i, d) in module.decls.iter().enumerate() {
            if let DeclKind::Fn(f) = &d.kind {
                let mut pool_bytes = Vec::with_capacity(f.air.consts.len());
                for c in &f.air.consts {
                    let ok = c.ty != INFER && (c.ty.0 as usize) < pool.len();
                    let mut out = vec![0u8; if ok { pool.abi_size(c.ty) as usize } else { 0 }];
                    if ok {
                        it.encode(c.ty, &c.value, &mut out)?;
                    }
                    pool_bytes.push(out);
                }
                it.consts[i] = pool_bytes;
            }
        }
        // Name tables.
        for e in 0..it.errors.len() {
            let name = pool.names.resolve(it.errors[e]).as_bytes().to_vec();
            let s = it.anon(&name, 1)?;
            it.error_strs.push(s);
        }
        for t in 0..pool.len() as u32 {
            if let TypeKey::Enum { fields, .. } = pool.key(TypeId(t)) {
                let mut v = Vec::new();
                for f in fields.iter() {
                    let name = pool.names.resolve(f.name).as_bytes().to_vec();
                    v.push(it.anon(&name, 1)?);
                }
                it.enum_strs.insert(TypeId(t), v);
            }
        }
        // The stack.
        it.stack_lo = align_up(it.data_end, 16);
        it.sp = it.stack_lo + STACK_SIZE;
        it.ensure(it.sp)?;
        Ok(it)
    }

    /// Makes the memory at least `end` bytes long, in whole pages.
    fn ensure(&mut self, end: u64) -> Result<(), Error> {
        let pages = end.div_ceil(PAGE).max(1);
        if pages > crate::memory::MAX_PAGES {
            return Err(Error::TooLarge);
        }
        if pages > self.mem.pages() {
            self.mem.bytes.resize((pages * PAGE) as usize, 0);
        }
        Ok(())
    }

    /// Adds anonymous read-only data (with a zero byte after it); returns `(address, length)`.
    fn anon(&mut self, bytes: &[u8], align: u64) -> Result<(u64, u64), Error> {
        let addr = align_up(self.data_end, align);
        self.data_end = addr + bytes.len() as u64 + 1;
        self.ensure(self.data_end)?;
        self.mem.write(addr, bytes).map_err(|_| Error::TooLarge)?;
        Ok((addr, bytes.len() as u64))
    }

    /// The memory.
    pub fn memory(&self) -> &[u8] {
        &self.mem.bytes
    }

    /// The data address of a `const`/`var` declaration, or the table index of a function.
    pub fn decl_address(&self, decl: DeclIndex) -> u64 {
        self.addrs.get(decl.0 as usize).copied().unwrap_or(0)
    }

    /// The value of a `const`/`var` in memory now, in its type's representation.
    pub fn global_bytes(&self, decl: DeclIndex) -> Option<&[u8]> {
        match &self.module.decls.get(decl.0 as usize)?.kind {
            DeclKind::Const(g) | DeclKind::Var(g) => self
                .mem
                .read(
                    self.addrs[decl.0 as usize],
                    self.module.types.abi_size(g.ty),
                )
                .ok(),
            _ => None,
        }
    }

    /// How many instructions have run so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The module-wide value of an error name (1-based).
    fn error_value(&mut self, name: NameId) -> u32 {
        match self.errors.iter().position(|&e| e == name) {
            Some(p) => p as u32 + 1,
            None => {
                self.errors.push(name);
                self.errors.len() as u32
            }
        }
    }

    // --- Constants ---

    /// Encodes a constant of type `ty` into `out` (its size).
    fn encode(&mut self, ty: TypeId, v: &Value, out: &mut [u8]) -> Result<(), Error> {
        let module = self.module;
        let pool = &module.types;
        let bad = || Error::BadConstant(format!("{v:?} as `{}`", pool.display(ty)));
        if let Value::Undef = v {
            out.fill(0xaa);
            return Ok(());
        }
        match (pool.key(ty), v) {
            (TypeKey::Optional(_), Value::Null) => out.fill(0),
            (TypeKey::Optional(c), _) => {
                let c = *c;
                if pool.is_pointer_like_optional(ty) {
                    self.encode(c, v, out)?;
                } else {
                    let n = pool.abi_size(c) as usize;
                    self.encode(c, v, &mut out[..n])?;
                    out[pool.optional_flag_offset(ty) as usize] = 1;
                }
            }
            (TypeKey::ErrorUnion { error, payload }, _) => {
                let (error, payload) = (*error, *payload);
                let (eo, po) = pool.error_union_offsets(ty);
                let es = pool.abi_size(error) as usize;
                let ps = pool.abi_size(payload) as usize;
                if let Value::Error(_) = v {
                    out.fill(0xaa);
                    self.encode(error, v, &mut out[eo as usize..eo as usize + es])?;
                } else {
                    out[eo as usize..eo as usize + es].fill(0);
                    self.encode(payload, v, &mut out[po as usize..po as usize + ps])?;
                }
            }
            (TypeKey::Float(f), Value::Int(i)) => {
                let (neg, mag) = i.sign_mag();
                let b = float::from_int(*f, neg, &mag);
                out.copy_from_slice(&b.to_le_bytes()[..out.len()]);
            }
            (TypeKey::Float(_), Value::Float(b)) => {
                out.copy_from_slice(&b.to_le_bytes()[..out.len()]);
            }
            (_, Value::Int(i)) => i.write_le_bytes(out),
            (TypeKey::Bool, Value::Bool(b)) => out[0] = *b as u8,
            (TypeKey::Pointer { .. }, Value::Null) => out.fill(0),
            (TypeKey::Array { .. }, Value::Bytes(b)) => out.copy_from_slice(b),
            (TypeKey::Pointer { size, .. }, Value::Bytes(b)) => {
                let (addr, len) = self.anon(b, 1)?;
                let p = ptr_bytes(pool, addr);
                out[..p.len()].copy_from_slice(&p);
                if *size == PtrSize::Slice {
                    out[p.len()..].copy_from_slice(&ptr_bytes(pool, len));
                }
            }
            (TypeKey::Void, Value::Aggregate(_)) => {}
            (TypeKey::Array { elem, .. }, Value::Aggregate(elems)) => {
                let n = pool.abi_size(*elem) as usize;
                for (i, e) in elems.iter().enumerate() {
                    self.encode(*elem, e, &mut out[i * n..i * n + n])?;
                }
            }
            (TypeKey::Struct { fields, .. }, Value::Aggregate(elems)) => {
                out.fill(0);
                for (i, (f, e)) in fields.iter().zip(elems.iter()).enumerate() {
                    let off = pool.field_offset(ty, i) as usize;
                    let n = pool.abi_size(f.ty) as usize;
                    self.encode(f.ty, e, &mut out[off..off + n])?;
                }
            }
            (TypeKey::Struct { .. } | TypeKey::Union { .. }, Value::Fields(given)) => {
                out.fill(0);
                for (name, e) in given.iter() {
                    let i = pool.field_index(ty, *name).ok_or_else(bad)?;
                    let fty = pool.field_type(ty, i).ok_or_else(bad)?;
                    let off = pool.field_offset(ty, i) as usize;
                    let n = pool.abi_size(fty) as usize;
                    self.encode(fty, e, &mut out[off..off + n])?;
                    if let Some(tag_ty) = pool.union_tag_type(ty) {
                        let tag = pool.union_field_tag(ty, i).ok_or_else(bad)?.clone();
                        let to = pool.union_tag_offset(ty) as usize;
                        let tn = pool.abi_size(tag_ty) as usize;
                        tag.write_le_bytes(&mut out[to..to + tn]);
                    }
                }
            }
            (TypeKey::Enum { .. }, Value::EnumLiteral(name)) => {
                let v = pool.enum_field_value(ty, *name).ok_or_else(bad)?;
                v.write_le_bytes(out);
            }
            (TypeKey::AnyError | TypeKey::ErrorSet { .. }, Value::Error(name)) => {
                let e = self.error_value(*name);
                out.copy_from_slice(&(e as u16).to_le_bytes()[..out.len()]);
            }
            (TypeKey::Pointer { size, .. }, Value::DeclAddr(a)) => {
                let decl = module.decl_by_name(a.decl).ok_or_else(bad)?;
                let mut addr = self.addrs[decl.0 as usize];
                let mut cur = match &module.decl(decl).kind {
                    DeclKind::Const(g) | DeclKind::Var(g) => g.ty,
                    DeclKind::Fn(f) => f.ty,
                    DeclKind::Extern(e) => e.ty,
                };
                for p in a.path.iter() {
                    match p {
                        PathElem::Index(i) => {
                            let elem = pool.child_type(cur).ok_or_else(bad)?;
                            addr += i * pool.abi_size(elem);
                            cur = elem;
                        }
                        PathElem::Field(name) => {
                            let i = pool.field_index(cur, *name).ok_or_else(bad)?;
                            addr += pool.field_offset(cur, i);
                            cur = pool.field_type(cur, i).ok_or_else(bad)?;
                        }
                    }
                }
                let pb = pool.target().ptr_size() as usize;
                match a.slice {
                    Some((start, end)) if *size == PtrSize::Slice => {
                        let elem = pool.child_type(cur).ok_or_else(bad)?;
                        let p = ptr_bytes(pool, addr + start * pool.abi_size(elem));
                        out[..pb].copy_from_slice(&p);
                        out[pb..].copy_from_slice(&ptr_bytes(pool, end - start));
                    }
                    _ => out[..pb].copy_from_slice(&ptr_bytes(pool, addr)),
                }
            }
            _ => return Err(bad()),
        }
        Ok(())
    }

    // --- Calls ---

    /// Calls the function declaration `decl` with arguments in their types' memory
    /// representation, returning its result (empty for `void`).
    pub fn call(
        &mut self,
        host: &mut dyn Host,
        decl: DeclIndex,
        args: &[Vec<u8>],
    ) -> Result<Vec<u8>, Stop> {
        self.call_decl(host, decl.0 as usize, args)
    }

    /// Calls a function; tail calls (`call_always_tail`) continue in this loop, so that they
    /// take no host stack.
    fn call_decl(
        &mut self,
        host: &mut dyn Host,
        decl: usize,
        args: &[Vec<u8>],
    ) -> Result<Vec<u8>, Stop> {
        let mut next = self.call_once(host, decl, args)?;
        loop {
            match next {
                Flow::Tail(target, args) => next = self.call_once(host, target, &args)?,
                Flow::Ret(v) => return Ok(v),
                Flow::Br(..) | Flow::Repeat(_) => {
                    return Err(Stop::Trap("a branch left its function".into()))
                }
            }
        }
    }

    fn call_once(
        &mut self,
        host: &mut dyn Host,
        decl: usize,
        args: &[Vec<u8>],
    ) -> Result<Flow, Stop> {
        let module = self.module;
        let pool = &module.types;
        let Some(d) = module.decls.get(decl) else {
            return Err(Stop::Trap("call of an unknown function".into()));
        };
        match &d.kind {
            DeclKind::Extern(e) => {
                let Some((params, ret, _)) = pool.fn_info(e.ty) else {
                    return Err(Stop::Trap("call of a non-function".into()));
                };
                let call = HostCall {
                    module: &e.module,
                    name: module.name_str(d.name),
                    pool,
                    params,
                    ret,
                    args,
                };
                let out = host.call(&call).map_err(Stop::Host)?;
                if ret == TypeId::NORETURN {
                    return Err(Stop::Trap(format!(
                        "the `noreturn` import `{}` returned",
                        call.name
                    )));
                }
                Ok(Flow::Ret(out))
            }
            DeclKind::Fn(f) => {
                if self.depth >= self.limits.max_depth {
                    return Err(Stop::Trap("call stack exhausted".into()));
                }
                let ret_ty = pool.fn_info(f.ty).map_or(TypeId::VOID, |i| i.1);
                let layout = self.layout(decl);
                let saved_sp = self.sp;
                let size = align_up(layout.size, 16);
                if self.sp < self.stack_lo + size {
                    return Err(Stop::Trap("stack overflow".into()));
                }
                self.sp -= size;
                let base = self.sp;
                let air = &f.air;
                let mut slots = vec![0u64; air.len()];
                for &(i, off) in &layout.offsets {
                    slots[i as usize] = base + off;
                }
                let mut fr = Frame {
                    air,
                    decl,
                    vals: vec![Vec::new(); air.len()],
                    slots,
                    ret_slot: layout.ret_off.map_or(0, |o| base + o),
                    ret_ty,
                };
                for &inst in air.main() {
                    if air.tags[inst as usize] == Tag::Arg {
                        let i = air.data[inst as usize].a as usize;
                        fr.vals[inst as usize] = args.get(i).cloned().unwrap_or_default();
                    }
                }
                self.depth += 1;
                let r = self.exec_body(host, &mut fr, air.main());
                self.depth -= 1;
                self.sp = saved_sp;
                r
            }
            _ => Err(Stop::Trap(format!(
                "`{}` is not a function",
                module.name_str(d.name)
            ))),
        }
    }

    fn layout(&mut self, decl: usize) -> Layout {
        if let Some(l) = &self.layouts[decl] {
            return l.clone();
        }
        let pool = &self.module.types;
        let DeclKind::Fn(f) = &self.module.decls[decl].kind else {
            return Layout {
                offsets: vec![],
                ret_off: None,
                size: 0,
            };
        };
        let air = &f.air;
        let mut off = 0u64;
        let mut offsets = Vec::new();
        let mut ret_off = None;
        for i in 0..air.len() {
            let t = match air.tags[i] {
                Tag::Alloc => pool.child_type(air.types[i]).unwrap_or(TypeId::VOID),
                Tag::RetPtr => pool.child_type(air.types[i]).unwrap_or(TypeId::VOID),
                _ => continue,
            };
            off = align_up(off, pool.abi_align(t));
            if air.tags[i] == Tag::RetPtr {
                if ret_off.is_none() {
                    ret_off = Some(off);
                    off += pool.abi_size(t);
                }
                continue;
            }
            offsets.push((i as u32, off));
            off += pool.abi_size(t);
        }
        let l = Layout {
            offsets,
            ret_off,
            size: off,
        };
        self.layouts[decl] = Some(l.clone());
        l
    }

    // --- Bodies ---

    fn exec_body(
        &mut self,
        host: &mut dyn Host,
        fr: &mut Frame<'m>,
        body: &'m [u32],
    ) -> Result<Flow, Stop> {
        for &inst in body {
            if let Some(flow) = self.exec_inst(host, fr, inst)? {
                return Ok(flow);
            }
        }
        Err(Stop::Trap(
            "control fell off the end of a body (a `noreturn` call returned)".into(),
        ))
    }

    fn op(&self, fr: &Frame<'m>, raw: u32) -> Vec<u8> {
        let r = Ref(raw);
        if let Some(c) = r.to_const() {
            self.consts[fr.decl]
                .get(c as usize)
                .cloned()
                .unwrap_or_default()
        } else if let Some(i) = r.to_inst() {
            fr.vals.get(i as usize).cloned().unwrap_or_default()
        } else {
            Vec::new()
        }
    }

    fn place(&self, fr: &Frame<'m>, inst: u32) -> String {
        let name = self.module.name_str(self.module.decls[fr.decl].name);
        let span = fr.air.spans[inst as usize];
        let tag = fr.air.tags[inst as usize].name();
        if span.line == 0 {
            format!("`{tag}` in `{name}`")
        } else {
            format!("`{tag}` in `{name}` at {span}")
        }
    }

    /// Runs one instruction: `Some(flow)` when control leaves the body.
    fn exec_inst(
        &mut self,
        host: &mut dyn Host,
        fr: &mut Frame<'m>,
        inst: u32,
    ) -> Result<Option<Flow>, Stop> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(Stop::StepLimit(self.limits.max_steps));
        }
        let module = self.module;
        let pool = &module.types;
        let air = fr.air;
        let i = inst as usize;
        let tag = air.tags[i];
        let d = air.data[i];
        let rty = air.types[i];
        let ty = |raw: u32| air.type_of(Ref(raw));
        let at = |s: &Self, what: &str| format!("{what} ({})", s.place(fr, inst));
        use Tag::*;
        let result: Vec<u8> = match tag {
            Arg => return Ok(None),
            Block => {
                let body = air.body(d.a);
                match self.exec_body(host, fr, body)? {
                    Flow::Br(target, v) if target == inst => v,
                    other => return Ok(Some(other)),
                }
            }
            Loop => {
                let body = air.body(d.a);
                loop {
                    match self.exec_body(host, fr, body)? {
                        Flow::Repeat(target) if target == inst => {}
                        other => return Ok(Some(other)),
                    }
                }
            }
            Repeat => return Ok(Some(Flow::Repeat(d.a))),
            Br => {
                let v = if Ref(d.b).is_none() {
                    Vec::new()
                } else {
                    self.op(fr, d.b)
                };
                return Ok(Some(Flow::Br(d.a, v)));
            }
            CondBr => {
                let c = self.op(fr, d.a);
                let cb = air.cond_br(inst);
                let body = if c.first().copied().unwrap_or(0) & 1 == 1 {
                    cb.then_body
                } else {
                    cb.else_body
                };
                return self.exec_body(host, fr, body).map(Some);
            }
            SwitchBr => {
                let t = ty(d.a);
                let (x, signed, w) = int_of(pool, t, &self.op(fr, d.a));
                let sw = air.switch_br(inst);
                let consts = &self.consts[fr.decl];
                let item = |raw: u32| -> Vec<u64> {
                    let b = Ref(raw)
                        .to_const()
                        .and_then(|c| consts.get(c as usize))
                        .map_or(&[][..], |v| &v[..]);
                    bits::from_bytes(b, w)
                };
                let mut chosen = None;
                'cases: for case in &sw.cases {
                    for &it in case.items {
                        if item(it) == x {
                            chosen = Some(case.body);
                            break 'cases;
                        }
                    }
                    for pair in case.ranges.chunks(2) {
                        let (lo, hi) = (item(pair[0]), item(pair[1]));
                        if bits::cmp(&lo, &x, signed, w) != Ordering::Greater
                            && bits::cmp(&x, &hi, signed, w) != Ordering::Greater
                        {
                            chosen = Some(case.body);
                            break 'cases;
                        }
                    }
                }
                let body = match chosen.or(sw.else_body) {
                    Some(b) => b,
                    None => {
                        return illegal(at(self, "no case of the `switch_br` matches the operand"))
                    }
                };
                return self.exec_body(host, fr, body).map(Some);
            }
            Ret => {
                let v = if Ref(d.a).is_none() {
                    Vec::new()
                } else {
                    self.op(fr, d.a)
                };
                return Ok(Some(Flow::Ret(v)));
            }
            RetPtr => ptr_bytes(pool, fr.ret_slot),
            RetLoad => {
                let p = read_ptr(&self.op(fr, d.a));
                let v = self.mem.read(p, pool.abi_size(fr.ret_ty))?.to_vec();
                return Ok(Some(Flow::Ret(v)));
            }
            Unreach => return illegal(at(self, "reached `unreach`")),
            Trap => return Err(Stop::Trap(at(self, "`trap` executed"))),
            Call | CallAlwaysTail => {
                let callee = self.op(fr, d.a);
                let fn_ty = pool.child_type(ty(d.a)).unwrap_or(TypeId::VOID);
                let index = read_ptr(&callee);
                let target = match self.table.get(index as usize) {
                    Some(&t) if index != 0 => t as usize,
                    _ => {
                        return Err(Stop::Trap(at(
                            self,
                            &format!("call through the invalid function pointer {index}"),
                        )))
                    }
                };
                if module.fn_type(DeclIndex(target as u32)) != Some(fn_ty) {
                    return Err(Stop::Trap(at(self, "indirect call type mismatch")));
                }
                let args: Vec<Vec<u8>> = air
                    .call_args(inst)
                    .iter()
                    .map(|&a| self.op(fr, a))
                    .collect();
                if tag == CallAlwaysTail {
                    return Ok(Some(Flow::Tail(target, args)));
                }
                let r = self.call_decl(host, target, &args)?;
                if rty == TypeId::NORETURN {
                    return Err(Stop::Trap(at(self, "a `noreturn` function returned")));
                }
                r
            }
            _ => self.compute(fr, inst)?,
        };
        fr.vals[i] = result;
        Ok(None)
    }

    /// Computes the value of one instruction that does not transfer control (kept out of
    /// `exec_inst`, so that the frames of deeply nested calls stay small).
    #[inline(never)]
    fn compute(&mut self, fr: &mut Frame<'m>, inst: u32) -> Result<Vec<u8>, Stop> {
        let module = self.module;
        let pool = &module.types;
        let air = fr.air;
        let i = inst as usize;
        let tag = air.tags[i];
        let d = air.data[i];
        let rty = air.types[i];
        let ty = |raw: u32| air.type_of(Ref(raw));
        let at = |s: &Self, what: &str| format!("{what} ({})", s.place(fr, inst));
        use Tag::*;
        let result: Vec<u8> = match tag {
            Arg => fr.vals[i].clone(),
            Add | Sub | Mul | AddWrap | SubWrap | MulWrap | AddSat | SubSat | MulSat | Min
            | Max | DivTrunc | DivFloor | DivExact | Rem | Mod | DivFloat | AddWithOverflow
            | SubWithOverflow | MulWithOverflow => {
                let t = ty(d.a);
                let (a, b) = (self.op(fr, d.a), self.op(fr, d.b));
                if let TypeKey::Float(f) = pool.key(t) {
                    let f = *f;
                    let (x, y) = (value::float_bits(&a, f), value::float_bits(&b, f));
                    let r = match tag {
                        Add => float::binop(f, BinOp::Add, x, y),
                        Sub => float::binop(f, BinOp::Sub, x, y),
                        Mul => float::binop(f, BinOp::Mul, x, y),
                        DivFloat => float::binop(f, BinOp::Div, x, y),
                        DivTrunc | DivFloor => {
                            let q = float::binop(f, BinOp::Div, x, y);
                            let mode = if tag == DivTrunc {
                                Rounding::Trunc
                            } else {
                                Rounding::Floor
                            };
                            float::round_integral(f, q, mode)
                        }
                        Min => float::min_max(f, x, y, false),
                        Max => float::min_max(f, x, y, true),
                        _ => return Err(Stop::Unsupported(at(self, "a float operand"))),
                    };
                    value::float_bytes(pool, t, r)
                } else {
                    self.int_arith(fr, inst, tag, t, rty, &a, &b)?
                }
            }
            ShlSat | Shl | Shr | ShlExact | ShrExact | ShlWithOverflow => {
                let t = ty(d.a);
                let (a, signed, w) = int_of(pool, t, &self.op(fr, d.a));
                let n = self.shift_amount(fr, inst, ty(d.b), &self.op(fr, d.b), w)?;
                let wide = w + n as u32 + 1;
                let exact = bits::shl(&bits::resize(&a, w, wide, signed), n, wide);
                let wrapped = bits::shl(&a, n, w);
                let fits =
                    bits::resize(&bits::resize(&exact, wide, w, false), w, wide, signed) == exact;
                match tag {
                    Shl => int_bytes(pool, t, &wrapped),
                    ShlExact => {
                        if !fits {
                            return illegal(at(self, "`shl_exact` shifted out one bits"));
                        }
                        int_bytes(pool, t, &wrapped)
                    }
                    ShlSat => {
                        let r = if fits {
                            wrapped
                        } else if signed && bits::is_neg(&a, w) {
                            int_min(signed, w)
                        } else {
                            int_max(signed, w)
                        };
                        int_bytes(pool, t, &r)
                    }
                    ShlWithOverflow => self.overflow_pair(rty, t, &wrapped, !fits),
                    _ => {
                        let r = if signed {
                            bits::ashr(&a, n, w)
                        } else {
                            bits::lshr(&a, n)
                        };
                        if tag == ShrExact {
                            let mut low = a.clone();
                            bits::mask(&mut low, n as u32);
                            if !bits::is_zero(&low) {
                                return illegal(at(self, "`shr_exact` shifted out one bits"));
                            }
                        }
                        int_bytes(pool, t, &r)
                    }
                }
            }
            Neg | Sqrt | Floor | Ceil | TruncFloat | Round | Fabs => {
                let t = ty(d.a);
                let TypeKey::Float(f) = *pool.key(t) else {
                    return Err(Stop::Unsupported(at(self, "a non-float operand")));
                };
                let x = value::float_bits(&self.op(fr, d.a), f);
                let r = match tag {
                    Neg => float::negate(f, x),
                    Fabs => float::abs(f, x),
                    Sqrt => float::sqrt(f, x),
                    Floor => float::round_integral(f, x, Rounding::Floor),
                    Ceil => float::round_integral(f, x, Rounding::Ceil),
                    TruncFloat => float::round_integral(f, x, Rounding::Trunc),
                    _ => float::round_integral(f, x, Rounding::Round),
                };
                value::float_bytes(pool, t, r)
            }
            BitAnd | BitOr | Xor | BoolAnd | BoolOr => {
                let t = ty(d.a);
                let (a, _, w) = int_of(pool, t, &self.op(fr, d.a));
                let (b, _, _) = int_of(pool, t, &self.op(fr, d.b));
                let r = match tag {
                    BitAnd | BoolAnd => bits::bitwise(&a, &b, w, |x, y| x & y),
                    BitOr | BoolOr => bits::bitwise(&a, &b, w, |x, y| x | y),
                    _ => bits::bitwise(&a, &b, w, |x, y| x ^ y),
                };
                int_bytes(pool, t, &r)
            }
            Not => {
                let t = ty(d.a);
                let (a, _, w) = int_of(pool, t, &self.op(fr, d.a));
                int_bytes(pool, t, &bits::not(&a, w))
            }
            Clz | Ctz | Popcount | ByteSwap | BitReverse => {
                let t = ty(d.a);
                let (a, _, w) = int_of(pool, t, &self.op(fr, d.a));
                let w64 = w as u64;
                let r = match tag {
                    Clz => bits::from_u128((w64 - bits::bitlen(&a)) as u128, w),
                    Ctz => {
                        let n = (0..w64).find(|&k| bits::bit(&a, k)).unwrap_or(w64);
                        bits::from_u128(n as u128, w)
                    }
                    Popcount => {
                        let n: u32 = a.iter().map(|l| l.count_ones()).sum();
                        bits::from_u128(n as u128, w)
                    }
                    ByteSwap => {
                        let nb = (w / 8) as usize;
                        let mut b = vec![0u8; nb];
                        bits::to_bytes(&a, &mut b);
                        b.reverse();
                        bits::from_bytes(&b, w)
                    }
                    _ => {
                        let mut r = vec![0u64; bits::limbs(w)];
                        for k in 0..w64 {
                            if bits::bit(&a, k) {
                                bits::set_bit(&mut r, w64 - 1 - k);
                            }
                        }
                        r
                    }
                };
                int_bytes(pool, t, &r)
            }
            CmpEq | CmpNeq | CmpLt | CmpLte | CmpGt | CmpGte => {
                let t = ty(d.a);
                let (a, b) = (self.op(fr, d.a), self.op(fr, d.b));
                let o = match pool.key(t) {
                    TypeKey::Float(f) => {
                        float::compare(*f, value::float_bits(&a, *f), value::float_bits(&b, *f))
                    }
                    _ => {
                        let (x, signed, w) = int_of(pool, t, &a);
                        let (y, _, _) = int_of(pool, t, &b);
                        Some(bits::cmp(&x, &y, signed, w))
                    }
                };
                let r = match (tag, o) {
                    (CmpNeq, None) => true,
                    (_, None) => false,
                    (CmpEq, Some(o)) => o == Ordering::Equal,
                    (CmpNeq, Some(o)) => o != Ordering::Equal,
                    (CmpLt, Some(o)) => o == Ordering::Less,
                    (CmpLte, Some(o)) => o != Ordering::Greater,
                    (CmpGt, Some(o)) => o == Ordering::Greater,
                    (_, Some(o)) => o != Ordering::Less,
                };
                vec![r as u8]
            }
            Intcast | Trunc | Fpext | Fptrunc | IntToFloat | FloatToInt | Bitcast | IntToPtr
            | PtrToInt | BoolToInt => {
                let x = self.op(fr, d.a);
                self.cast(fr, inst, tag, ty(d.a), rty, &x)?
            }
            Alloc => ptr_bytes(pool, fr.slots[i]),
            Load => {
                let p = read_ptr(&self.op(fr, d.a));
                self.mem.read(p, pool.abi_size(rty))?.to_vec()
            }
            Store => {
                let p = read_ptr(&self.op(fr, d.a));
                let v = self.op(fr, d.b);
                self.mem.write(p, &v)?;
                Vec::new()
            }
            Memset | Memcpy => {
                let [dst, mid, len] = air.ternary(inst);
                let dst = read_ptr(&self.op(fr, dst.0));
                let len = read_ptr(&self.op(fr, len.0));
                let midv = self.op(fr, mid.0);
                if tag == Memset {
                    self.mem
                        .fill(dst, len, midv.first().copied().unwrap_or(0))?;
                } else {
                    let src = read_ptr(&midv);
                    if len > 0 && src < dst.saturating_add(len) && dst < src.saturating_add(len) {
                        return illegal(at(self, "the operands of `memcpy` overlap"));
                    }
                    let bytes = self.mem.read(src, len)?.to_vec();
                    self.mem.write(dst, &bytes)?;
                }
                Vec::new()
            }
            StructFieldPtr => {
                let p = read_ptr(&self.op(fr, d.a));
                let container = pool.child_type(ty(d.a)).unwrap_or(TypeId::VOID);
                ptr_bytes(
                    pool,
                    p.wrapping_add(pool.field_offset(container, d.b as usize)),
                )
            }
            StructFieldVal => {
                let t = ty(d.a);
                let s = self.op(fr, d.a);
                let n = d.b as usize;
                if let Some(tag_ty) = pool.union_tag_type(t) {
                    let to = pool.union_tag_offset(t) as usize;
                    let tn = pool.abi_size(tag_ty) as usize;
                    let (cur, _, w) = int_of(pool, tag_ty, &s[to..to + tn]);
                    let want = pool.union_field_tag(t, n).cloned().unwrap_or(Int::ZERO);
                    if cur != int_to_bits(&want, w) {
                        return illegal(at(self, "access of an inactive union field"));
                    }
                }
                let off = pool.field_offset(t, n) as usize;
                s[off..off + pool.abi_size(rty) as usize].to_vec()
            }
            PtrElemPtr | PtrElemVal | SliceElemPtr | SliceElemVal | ArrayElemVal => {
                let t = ty(d.a);
                let a = self.op(fr, d.a);
                let idx = read_ptr(&self.op(fr, d.b));
                let info = pool.ptr_info(t);
                let (elem, limit) = match (pool.key(t), info) {
                    (TypeKey::Array { len, elem }, _) => (*elem, Some(*len)),
                    (_, Some(pi)) if pi.size == PtrSize::Slice => {
                        let p = pool.target().ptr_size() as usize;
                        (pi.child, Some(read_ptr(&a[p..])))
                    }
                    (_, Some(pi)) if pi.size == PtrSize::One => match pool.key(pi.child) {
                        TypeKey::Array { len, elem } => (*elem, Some(*len)),
                        _ => (pi.child, None),
                    },
                    (_, Some(pi)) => (pi.child, None),
                    _ => return Err(Stop::Unsupported(at(self, "an unindexable operand"))),
                };
                if let Some(len) = limit {
                    if idx >= len {
                        return illegal(at(
                            self,
                            &format!("index {idx} out of bounds for length {len}"),
                        ));
                    }
                }
                let es = pool.abi_size(elem);
                if tag == ArrayElemVal {
                    let off = (idx * es) as usize;
                    a[off..off + es as usize].to_vec()
                } else {
                    let base = read_ptr(&a[..pool.target().ptr_size() as usize]);
                    let addr = base.wrapping_add(idx.wrapping_mul(es));
                    if matches!(tag, PtrElemPtr | SliceElemPtr) {
                        ptr_bytes(pool, addr)
                    } else {
                        self.mem.read(addr, es)?.to_vec()
                    }
                }
            }
            SlicePtr | SliceLen => {
                let s = self.op(fr, d.a);
                let p = pool.target().ptr_size() as usize;
                if tag == SlicePtr {
                    s[..p].to_vec()
                } else {
                    s[p..2 * p].to_vec()
                }
            }
            Slice => {
                let mut v = self.op(fr, d.a);
                v.extend(self.op(fr, d.b));
                v
            }
            ArrayToSlice => {
                let mut v = self.op(fr, d.a);
                let len = pool
                    .child_type(ty(d.a))
                    .and_then(|a| pool.array_len(a))
                    .unwrap_or(0);
                v.extend(ptr_bytes(pool, len));
                v
            }
            PtrAdd | PtrSub => {
                let p = read_ptr(&self.op(fr, d.a));
                let n = read_ptr(&self.op(fr, d.b));
                let es = pool.child_type(ty(d.a)).map_or(0, |e| pool.abi_size(e));
                let delta = n.wrapping_mul(es);
                let r = if tag == PtrAdd {
                    p.wrapping_add(delta)
                } else {
                    p.wrapping_sub(delta)
                };
                let mut v = ptr_bytes(pool, r);
                v.truncate(pool.abi_size(rty) as usize);
                let mask_bits = pool.target().ptr_size() * 8;
                if mask_bits < 64 && r >> mask_bits != 0 {
                    v = ptr_bytes(pool, r & ((1 << mask_bits) - 1));
                }
                v
            }
            AggregateInit => {
                let mut out = vec![0u8; pool.abi_size(rty) as usize];
                let elems = air.aggregate_elems(inst);
                match pool.key(rty) {
                    TypeKey::Array { elem, .. } => {
                        let n = pool.abi_size(*elem) as usize;
                        for (k, &e) in elems.iter().enumerate() {
                            out[k * n..k * n + n].copy_from_slice(&self.op(fr, e));
                        }
                    }
                    _ => {
                        for (k, &e) in elems.iter().enumerate() {
                            let off = pool.field_offset(rty, k) as usize;
                            let v = self.op(fr, e);
                            out[off..off + v.len()].copy_from_slice(&v);
                        }
                    }
                }
                out
            }
            UnionInit => {
                let mut out = vec![0u8; pool.abi_size(rty) as usize];
                let v = self.op(fr, d.b);
                let off = pool.union_payload_offset(rty) as usize;
                out[off..off + v.len()].copy_from_slice(&v);
                if let Some(tag_ty) = pool.union_tag_type(rty) {
                    let tv = pool.union_field_tag(rty, d.a as usize).cloned();
                    let to = pool.union_tag_offset(rty) as usize;
                    let tn = pool.abi_size(tag_ty) as usize;
                    tv.unwrap_or(Int::ZERO)
                        .write_le_bytes(&mut out[to..to + tn]);
                }
                out
            }
            GetUnionTag => {
                let t = ty(d.a);
                let u = self.op(fr, d.a);
                let to = pool.union_tag_offset(t) as usize;
                u[to..to + pool.abi_size(rty) as usize].to_vec()
            }
            SetUnionTag => {
                let p = read_ptr(&self.op(fr, d.a));
                let u = pool.child_type(ty(d.a)).unwrap_or(TypeId::VOID);
                let v = self.op(fr, d.b);
                self.mem
                    .write(p.wrapping_add(pool.union_tag_offset(u)), &v)?;
                Vec::new()
            }
            IsNull | IsNonNull | OptionalPayload | WrapOptional => {
                let (ot, x) = (
                    if tag == WrapOptional { rty } else { ty(d.a) },
                    self.op(fr, d.a),
                );
                if tag == WrapOptional {
                    let mut out = x;
                    out.resize(pool.abi_size(ot) as usize, 0);
                    if !pool.is_pointer_like_optional(ot) {
                        out[pool.optional_flag_offset(ot) as usize] = 1;
                    }
                    out
                } else {
                    let has = opt_has_value(pool, ot, &x);
                    match tag {
                        IsNull => vec![!has as u8],
                        IsNonNull => vec![has as u8],
                        _ => {
                            if !has {
                                return illegal(at(self, "the payload of `null` was read"));
                            }
                            x[..pool.abi_size(rty) as usize].to_vec()
                        }
                    }
                }
            }
            IsNullPtr | IsNonNullPtr | OptionalPayloadPtr | OptionalPayloadPtrSet => {
                let pv = self.op(fr, d.a);
                let p = read_ptr(&pv);
                let ot = pool.child_type(ty(d.a)).unwrap_or(TypeId::VOID);
                match tag {
                    IsNullPtr | IsNonNullPtr => {
                        let x = self.mem.read(p, pool.abi_size(ot))?;
                        let has = opt_has_value(pool, ot, x);
                        vec![(has == (tag == IsNonNullPtr)) as u8]
                    }
                    OptionalPayloadPtrSet => {
                        if !pool.is_pointer_like_optional(ot) {
                            let f = pool.optional_flag_offset(ot);
                            self.mem.write(p.wrapping_add(f), &[1])?;
                        }
                        pv
                    }
                    _ => pv,
                }
            }
            IsErr | IsNonErr | UnwrapErrunionPayload | UnwrapErrunionErr => {
                let et = ty(d.a);
                let x = self.op(fr, d.a);
                let e = eu_error(pool, et, &x);
                match tag {
                    IsErr => vec![(e != 0) as u8],
                    IsNonErr => vec![(e == 0) as u8],
                    UnwrapErrunionErr => {
                        // On a payload this is 0, "no error" (as Zig's AIR).
                        let (eo, _) = pool.error_union_offsets(et);
                        let n = pool.abi_size(rty) as usize;
                        x[eo as usize..eo as usize + n].to_vec()
                    }
                    _ => {
                        if e != 0 {
                            return illegal(at(self, "the payload of an error was read"));
                        }
                        let (_, po) = pool.error_union_offsets(et);
                        x[po as usize..po as usize + pool.abi_size(rty) as usize].to_vec()
                    }
                }
            }
            IsErrPtr
            | IsNonErrPtr
            | UnwrapErrunionPayloadPtr
            | UnwrapErrunionErrPtr
            | ErrunionPayloadPtrSet => {
                let p = read_ptr(&self.op(fr, d.a));
                let et = pool.child_type(ty(d.a)).unwrap_or(TypeId::VOID);
                let (eo, po) = pool.error_union_offsets(et);
                let (error, _) = pool
                    .error_union_types(et)
                    .unwrap_or((TypeId::VOID, TypeId::VOID));
                let es = pool.abi_size(error);
                match tag {
                    IsErrPtr | IsNonErrPtr | UnwrapErrunionErrPtr => {
                        let eb = self.mem.read(p.wrapping_add(eo), es)?.to_vec();
                        let e = bits::low_u128(&bits::from_bytes(&eb, 16));
                        match tag {
                            IsErrPtr => vec![(e != 0) as u8],
                            IsNonErrPtr => vec![(e == 0) as u8],
                            _ => eb,
                        }
                    }
                    ErrunionPayloadPtrSet => {
                        self.mem.fill(p.wrapping_add(eo), es, 0)?;
                        ptr_bytes(pool, p.wrapping_add(po))
                    }
                    _ => ptr_bytes(pool, p.wrapping_add(po)),
                }
            }
            WrapErrunionPayload | WrapErrunionErr => {
                let x = self.op(fr, d.a);
                let mut out = vec![0xaau8; pool.abi_size(rty) as usize];
                let (eo, po) = pool.error_union_offsets(rty);
                let (error, _) = pool
                    .error_union_types(rty)
                    .unwrap_or((TypeId::VOID, TypeId::VOID));
                let es = pool.abi_size(error) as usize;
                if tag == WrapErrunionPayload {
                    out[eo as usize..eo as usize + es].fill(0);
                    out[po as usize..po as usize + x.len()].copy_from_slice(&x);
                } else {
                    out[eo as usize..eo as usize + es].copy_from_slice(&x[..es.min(x.len())]);
                }
                out
            }
            ErrorName | TagName => {
                let t = ty(d.a);
                let x = self.op(fr, d.a);
                let found = if tag == ErrorName {
                    let e = bits::low_u128(&bits::from_bytes(&x, 16)) as usize;
                    e.checked_sub(1)
                        .and_then(|k| self.error_strs.get(k))
                        .copied()
                } else {
                    let (v, _, w) = int_of(pool, t, &x);
                    let fields = pool.enum_fields(t);
                    fields
                        .iter()
                        .position(|f| int_to_bits(&f.value, w) == v)
                        .and_then(|k| self.enum_strs.get(&t).and_then(|s| s.get(k)))
                        .copied()
                };
                let Some((addr, len)) = found else {
                    return illegal(at(self, "the operand has no name"));
                };
                let mut v = ptr_bytes(pool, addr);
                v.extend(ptr_bytes(pool, len));
                v
            }
            WasmMemorySize => ptr_bytes(pool, self.mem.pages()),
            WasmMemoryGrow => {
                let delta = read_ptr(&self.op(fr, d.b));
                let r = self.mem.grow(delta).unwrap_or(u64::MAX);
                ptr_bytes(pool, r)
            }
            DbgStmt => Vec::new(),
            Block | Loop | Repeat | Br | CondBr | SwitchBr | Ret | RetLoad | RetPtr | Unreach
            | Trap | Call | CallAlwaysTail => {
                return Err(Stop::Unsupported(at(self, "control flow")))
            }
        };
        Ok(result)
    }

    fn shift_amount(
        &self,
        fr: &Frame<'m>,
        inst: u32,
        t: TypeId,
        bytes: &[u8],
        width: u32,
    ) -> Result<u64, Stop> {
        let (v, signed, w) = int_of(&self.module.types, t, bytes);
        if signed && bits::is_neg(&v, w) {
            return illegal(format!("negative shift amount ({})", self.place(fr, inst)));
        }
        let n = bits::to_u64(&v).unwrap_or(u64::MAX);
        if n >= width as u64 && !(width == 0 && n == 0) {
            return illegal(format!(
                "shift amount {n} is not below the bit width {width} ({})",
                self.place(fr, inst)
            ));
        }
        Ok(n)
    }

    fn overflow_pair(&self, rty: TypeId, t: TypeId, v: &[u64], overflow: bool) -> Vec<u8> {
        let pool = &self.module.types;
        let mut out = vec![0u8; pool.abi_size(rty) as usize];
        let a = int_bytes(pool, t, v);
        let o0 = pool.field_offset(rty, 0) as usize;
        out[o0..o0 + a.len()].copy_from_slice(&a);
        let o1 = pool.field_offset(rty, 1) as usize;
        out[o1] = overflow as u8;
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn int_arith(
        &self,
        fr: &Frame<'m>,
        inst: u32,
        tag: Tag,
        t: TypeId,
        rty: TypeId,
        a: &[u8],
        b: &[u8],
    ) -> Result<Vec<u8>, Stop> {
        use Tag::*;
        let pool = &self.module.types;
        let (x, signed, w) = int_of(pool, t, a);
        let (y, _, _) = int_of(pool, t, b);
        let at = |what: &str| format!("{what} ({})", self.place(fr, inst));
        let wide = 2 * w + 2;
        let ext = |v: &[u64]| bits::resize(v, w, wide, signed);
        let fits = |r: &[u64]| bits::resize(&bits::resize(r, wide, w, false), w, wide, signed) == r;
        let exact = |tag: Tag| match tag {
            Add | AddWrap | AddSat | AddWithOverflow => bits::add(&ext(&x), &ext(&y), wide),
            Sub | SubWrap | SubSat | SubWithOverflow => bits::sub(&ext(&x), &ext(&y), wide),
            _ => bits::mul(&ext(&x), &ext(&y), wide),
        };
        let r = match tag {
            Add | Sub | Mul => {
                let r = exact(tag);
                if !fits(&r) {
                    return illegal(at(&format!(
                        "integer overflow: {} {} {} does not fit `{}`",
                        show(&x, signed, w),
                        tag.name(),
                        show(&y, signed, w),
                        pool.display(t)
                    )));
                }
                bits::resize(&r, wide, w, false)
            }
            AddWrap | SubWrap | MulWrap => bits::resize(&exact(tag), wide, w, false),
            AddSat | SubSat | MulSat => {
                let r = exact(tag);
                if fits(&r) {
                    bits::resize(&r, wide, w, false)
                } else if bits::is_neg(&r, wide) {
                    int_min(signed, w)
                } else {
                    int_max(signed, w)
                }
            }
            AddWithOverflow | SubWithOverflow | MulWithOverflow => {
                let r = exact(tag);
                let v = bits::resize(&r, wide, w, false);
                return Ok(self.overflow_pair(rty, t, &v, !fits(&r)));
            }
            Min | Max => {
                let o = bits::cmp(&x, &y, signed, w);
                let take_x = if tag == Min {
                    o != Ordering::Greater
                } else {
                    o != Ordering::Less
                };
                if take_x {
                    x.clone()
                } else {
                    y.clone()
                }
            }
            _ => {
                // Division.
                if bits::is_zero(&y) {
                    return Err(Stop::Trap(at("integer divide by zero")));
                }
                let w1 = w + 1;
                let (nx, ny) = (signed && bits::is_neg(&x, w), signed && bits::is_neg(&y, w));
                let mag = |v: &[u64], n: bool| {
                    let e = bits::resize(v, w, w1, signed);
                    if n {
                        bits::neg(&e, w1)
                    } else {
                        e
                    }
                };
                let (mx, my) = (mag(&x, nx), mag(&y, ny));
                let (q, rm) = bits::udivrem(&mx, &my);
                let signed_of = |m: &[u64], n: bool| -> Vec<u64> {
                    let mut m = m.to_vec();
                    bits::mask(&mut m, w1);
                    if n {
                        bits::neg(&m, w1)
                    } else {
                        m
                    }
                };
                // Quotient and remainder as (w+1)-bit two's complement values.
                let qt = signed_of(&q, nx != ny);
                let rt = signed_of(&rm, nx);
                let rem_zero = bits::is_zero(&rm);
                let result = match tag {
                    DivTrunc | DivExact => {
                        if tag == DivExact && !rem_zero {
                            return illegal(at("`div_exact` with a remainder"));
                        }
                        qt
                    }
                    DivFloor => {
                        if nx != ny && !rem_zero {
                            bits::sub(&qt, &[1], w1)
                        } else {
                            qt
                        }
                    }
                    Rem => rt,
                    _ => {
                        // mod: the sign of the divisor.
                        if !rem_zero && nx != ny {
                            bits::add(&rt, &bits::resize(&y, w, w1, signed), w1)
                        } else {
                            rt
                        }
                    }
                };
                let fit =
                    bits::resize(&bits::resize(&result, w1, w, false), w, w1, signed) == result;
                if !fit {
                    return illegal(at(&format!(
                        "integer overflow: {} {} {} does not fit `{}`",
                        show(&x, signed, w),
                        tag.name(),
                        show(&y, signed, w),
                        pool.display(t)
                    )));
                }
                bits::resize(&result, w1, w, false)
            }
        };
        Ok(int_bytes(pool, t, &r))
    }

    fn cast(
        &self,
        fr: &Frame<'m>,
        inst: u32,
        tag: Tag,
        from: TypeId,
        to: TypeId,
        x: &[u8],
    ) -> Result<Vec<u8>, Stop> {
        use Tag::*;
        let pool = &self.module.types;
        let at = |what: &str| format!("{what} ({})", self.place(fr, inst));
        Ok(match tag {
            Intcast => {
                let (v, signed, w) = int_of(pool, from, x);
                let (ts, tw) = value::int_info(pool, to);
                let big = w.max(tw) + 1;
                let e = bits::resize(&v, w, big, signed);
                let back = bits::resize(&bits::resize(&e, big, tw, false), tw, big, ts);
                if back != e {
                    return illegal(at(&format!(
                        "`intcast` of {} does not fit `{}`",
                        show(&v, signed, w),
                        pool.display(to)
                    )));
                }
                let r = bits::resize(&e, big, tw, false);
                if let TypeKey::Enum { fields, .. } = pool.key(to) {
                    if !fields.iter().any(|f| int_to_bits(&f.value, tw) == r) {
                        return illegal(at(&format!(
                            "`intcast` of {} is not a value of `{}`",
                            show(&v, signed, w),
                            pool.display(to)
                        )));
                    }
                }
                int_bytes(pool, to, &r)
            }
            Trunc => {
                let (v, _, _) = int_of(pool, from, x);
                let (_, tw) = value::int_info(pool, to);
                let mut r = v;
                bits::mask(&mut r, tw);
                int_bytes(pool, to, &r)
            }
            Fpext | Fptrunc => {
                let (TypeKey::Float(f), TypeKey::Float(g)) = (pool.key(from), pool.key(to)) else {
                    return Err(Stop::Unsupported(at("a non-float conversion")));
                };
                let r = float::convert(*f, *g, value::float_bits(x, *f));
                value::float_bytes(pool, to, r)
            }
            IntToFloat => {
                let TypeKey::Float(g) = pool.key(to) else {
                    return Err(Stop::Unsupported(at("a non-float result")));
                };
                let (v, signed, w) = int_of(pool, from, x);
                let neg = signed && bits::is_neg(&v, w);
                let mag = if neg {
                    bits::neg(&bits::resize(&v, w, w + 1, true), w + 1)
                } else {
                    v
                };
                value::float_bytes(pool, to, float::from_int(*g, neg, &mag))
            }
            FloatToInt => {
                let TypeKey::Float(f) = pool.key(from) else {
                    return Err(Stop::Unsupported(at("a non-float operand")));
                };
                let (ts, tw) = value::int_info(pool, to);
                let Some((neg, mag)) = float::to_int(*f, value::float_bits(x, *f)) else {
                    return illegal(at("`float_to_int` of NaN or infinity"));
                };
                let i = Int::from_sign_mag(neg && !bits::is_zero(&mag), &mag);
                if !i.fits(ts, tw) {
                    return illegal(at(&format!(
                        "`float_to_int`: {i} does not fit `{}`",
                        pool.display(to)
                    )));
                }
                value::int_value_bytes(pool, to, &i)
            }
            Bitcast | IntToPtr | PtrToInt | BoolToInt => {
                let fw = raw_width(pool, from);
                let tw = raw_width(pool, to);
                let v = bits::from_bytes(x, fw);
                let mut v = v;
                bits::mask(&mut v, tw);
                match pool.key(to) {
                    TypeKey::Float(_) => {
                        let mut out = vec![0u8; pool.abi_size(to) as usize];
                        bits::to_bytes(&v, &mut out);
                        out
                    }
                    _ if pool.int_info(to).is_some() => int_bytes(pool, to, &v),
                    _ => {
                        let mut out = vec![0u8; pool.abi_size(to) as usize];
                        bits::to_bytes(&v, &mut out);
                        out
                    }
                }
            }
            _ => return Err(Stop::Unsupported(at("an unknown cast"))),
        })
    }
}

/// The number of meaningful bits of a scalar's representation (for `bitcast`).
fn raw_width(pool: &TypePool, t: TypeId) -> u32 {
    match pool.key(t) {
        TypeKey::Float(f) => f.bits(),
        _ => match pool.int_info(t) {
            Some((_, w)) => w,
            None => pool.abi_size(t) as u32 * 8,
        },
    }
}

fn int_min(signed: bool, w: u32) -> Vec<u64> {
    let mut v = vec![0u64; bits::limbs(w)];
    if signed && w > 0 {
        bits::set_bit(&mut v, w as u64 - 1);
    }
    v
}

fn int_max(signed: bool, w: u32) -> Vec<u64> {
    let mut v = bits::not(&[0], w);
    if signed && w > 0 {
        v = bits::lshr(&v, 1);
    }
    v
}

/// The masked `w`-bit two's complement pattern of an [`Int`].
fn int_to_bits(v: &Int, w: u32) -> Vec<u64> {
    let mut b = vec![0u8; bits::limbs(w) * 8];
    v.write_le_bytes(&mut b);
    bits::from_bytes(&b, w)
}

fn show(v: &[u64], signed: bool, w: u32) -> String {
    let mut b = vec![0u8; bits::limbs(w) * 8];
    bits::to_bytes(v, &mut b);
    Int::from_le_bytes(&b, signed, w).to_string()
}

fn opt_has_value(pool: &TypePool, ot: TypeId, x: &[u8]) -> bool {
    if pool.is_pointer_like_optional(ot) {
        read_ptr(x) != 0
    } else {
        x.get(pool.optional_flag_offset(ot) as usize)
            .is_some_and(|&f| f & 1 == 1)
    }
}

fn eu_error(pool: &TypePool, et: TypeId, x: &[u8]) -> u128 {
    let (eo, _) = pool.error_union_offsets(et);
    let (error, _) = pool
        .error_union_types(et)
        .unwrap_or((TypeId::VOID, TypeId::VOID));
    let es = pool.abi_size(error) as usize;
    x.get(eo as usize..eo as usize + es)
        .map_or(0, |b| bits::low_u128(&bits::from_bytes(b, 16)))
}

#[allow(dead_code)]
fn float_type(pool: &TypePool, t: TypeId) -> Option<FloatType> {
    match pool.key(t) {
        TypeKey::Float(f) => Some(*f),
        _ => None,
    }
}
