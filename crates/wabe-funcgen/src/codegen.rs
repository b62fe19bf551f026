//! The function generator: walks AIR bodies and emits MIR.

use crate::memory::Addr;
use crate::{Context, Error, Options};
use wabe_air::{Air, DeclIndex, DeclKind, Liveness, Module, Ref, Span, Tag};
use wabe_mir::{MirData, MirFunction, MirTag, SymbolIndex, ValType};
use wabe_types::{
    FloatType, LoweredFn, ParamLowering, ResultLowering, TypeId, TypeKey, TypePool, Value,
};

/// Where an AIR value lives.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum WValue {
    /// No runtime value (zero-bit types, terminators).
    None,
    /// A wasm local.
    Local(u32),
    /// An `i32` immediate.
    I32(u32),
    /// An `i64` immediate.
    I64(u64),
    /// An `f32` immediate (bits).
    F32(u32),
    /// An `f64` immediate (bits).
    F64(u64),
    /// The address `frame pointer + offset`.
    Frame(u32),
    /// The table index of a function (a function pointer).
    Table(SymbolIndex),
    /// The address of a data symbol plus an addend.
    Data(SymbolIndex, i32),
}

/// Integer representation: signedness, bit width and wasm container.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct IntRepr {
    pub signed: bool,
    pub bits: u32,
    pub vt: ValType,
}

impl IntRepr {
    pub fn container_bits(self) -> u32 {
        if self.vt == ValType::I64 {
            64
        } else {
            32
        }
    }
    pub fn is64(self) -> bool {
        self.vt == ValType::I64
    }
}

pub(crate) struct FuncGen<'a> {
    pub m: &'a Module,
    pub air: &'a Air,
    pub pool: &'a TypePool,
    pub live: Liveness,
    pub ctx: &'a mut dyn Context,
    pub opts: &'a Options,
    pub name: &'a str,
    pub mir: MirFunction,
    pub values: Vec<WValue>,
    /// For block and loop instructions: the wasm nesting depth of their label.
    pub labels: Vec<u32>,
    pub depth: u32,
    pub params: Vec<ValType>,
    pub free: [Vec<u32>; 4],
    pub frame_size: u64,
    pub frame_align: u64,
    pub fp: Option<u32>,
    pub orig_sp: Option<u32>,
    pub epilogues: Vec<u32>,
    pub span: Span,
    pub ret_ty: TypeId,
    pub lowered: LoweredFn,
    /// Data symbols of by-ref constants already lowered, per constant of the pool.
    pub const_syms: Vec<Option<SymbolIndex>>,
    /// Per wasm parameter: whether its local was reused for another value.
    pub param_clobbered: Vec<bool>,
}

fn vt_slot(vt: ValType) -> usize {
    match vt {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        ValType::F64 => 3,
    }
}

/// Lowers the function declared at `decl` of a verified module to MIR.
pub fn generate(
    module: &Module,
    decl: DeclIndex,
    ctx: &mut dyn Context,
    opts: &Options,
) -> Result<MirFunction, Error> {
    let d = module.decl(decl);
    let name = module.name_str(d.name);
    let DeclKind::Fn(f) = &d.kind else {
        return Err(Error {
            function: name.to_string(),
            span: d.span,
            message: "not a function with a body".into(),
        });
    };
    let pool = &module.types;
    let Some(lowered) = pool.lower_fn_type(f.ty) else {
        return Err(Error {
            function: name.into(),
            span: d.span,
            message: "not a function type".into(),
        });
    };
    let ret_ty = match pool.key(f.ty) {
        TypeKey::Fn { ret, .. } => *ret,
        _ => TypeId::VOID,
    };
    let n = f.air.len();
    let n_params = lowered.params.len();
    let mut g = FuncGen {
        m: module,
        air: &f.air,
        pool,
        live: Liveness::compute(&f.air),
        ctx,
        opts,
        name,
        mir: MirFunction::default(),
        values: vec![WValue::None; n],
        labels: vec![0; n],
        depth: 0,
        params: lowered.params.clone(),
        free: Default::default(),
        frame_size: 0,
        frame_align: 16,
        fp: None,
        orig_sp: None,
        epilogues: Vec::new(),
        span: d.span,
        ret_ty,
        lowered,
        const_syms: vec![None; f.air.consts.len()],
        param_clobbered: vec![false; n_params],
    };
    let main = f.air.main();
    g.gen_body(main)?;
    if let Some(&last) = main.last() {
        // Wasm validation needs the end of the body to be unreachable; a `switch_br` or a
        // `noreturn` call may already have ended with `unreachable`.
        if !matches!(
            f.air.tags[last as usize],
            Tag::Ret | Tag::Unreach | Tag::Trap | Tag::RetLoad
        ) && g.mir.tags.last() != Some(&MirTag::Unreachable)
        {
            g.op(MirTag::Unreachable);
        }
    }
    Ok(g.finish())
}

impl<'a> FuncGen<'a> {
    pub fn err(&self, message: impl Into<String>) -> Error {
        Error {
            function: self.name.to_string(),
            span: self.span,
            message: message.into(),
        }
    }

    pub fn unsupported(&self, what: impl std::fmt::Display) -> Error {
        self.err(format!("unsupported: {what}"))
    }

    pub fn ty_name(&self, ty: TypeId) -> String {
        self.pool.display(ty).to_string()
    }

    // ---- MIR emission helpers -------------------------------------------------------------

    pub fn op(&mut self, tag: MirTag) {
        self.mir.push(tag, MirData::default());
    }

    pub fn op_a(&mut self, tag: MirTag, a: u32) {
        self.mir.push(tag, MirData { a, b: 0 });
    }

    pub fn i32_const(&mut self, v: i32) {
        self.mir
            .push(MirTag::I32Const, MirData { a: v as u32, b: 0 });
    }

    pub fn i64_const(&mut self, v: i64) {
        let v = v as u64;
        self.mir.push(
            MirTag::I64Const,
            MirData {
                a: v as u32,
                b: (v >> 32) as u32,
            },
        );
    }

    /// An integer constant in the container of `r`.
    pub fn int_const(&mut self, r: IntRepr, v: i64) {
        if r.is64() {
            self.i64_const(v)
        } else {
            self.i32_const(v as i32)
        }
    }

    pub fn local_get(&mut self, l: u32) {
        self.op_a(MirTag::LocalGet, l);
    }

    pub fn local_set(&mut self, l: u32) {
        self.op_a(MirTag::LocalSet, l);
    }

    pub fn local_tee(&mut self, l: u32) {
        self.op_a(MirTag::LocalTee, l);
    }

    pub fn local_type(&self, l: u32) -> ValType {
        let np = self.params.len() as u32;
        if l < np {
            self.params[l as usize]
        } else {
            self.mir.locals[(l - np) as usize]
        }
    }

    pub fn alloc_local(&mut self, vt: ValType) -> u32 {
        if let Some(l) = self.free[vt_slot(vt)].pop() {
            if let Some(c) = self.param_clobbered.get_mut(l as usize) {
                *c = true;
            }
            return l;
        }
        let l = self.params.len() as u32 + self.mir.locals.len() as u32;
        self.mir.locals.push(vt);
        l
    }

    pub fn free_local(&mut self, l: u32) {
        let vt = self.local_type(l);
        self.free[vt_slot(vt)].push(l);
    }

    /// Pops the top of the stack into a new local.
    pub fn store_result(&mut self, vt: ValType) -> WValue {
        let l = self.alloc_local(vt);
        self.local_set(l);
        WValue::Local(l)
    }

    /// Pushes a value.
    pub fn emit_value(&mut self, w: WValue) {
        match w {
            WValue::None => {}
            WValue::Local(l) => self.local_get(l),
            WValue::I32(v) => self.i32_const(v as i32),
            WValue::I64(v) => self.i64_const(v as i64),
            WValue::F32(b) => self.op_a(MirTag::F32Const, b),
            WValue::F64(b) => self.mir.push(
                MirTag::F64Const,
                MirData {
                    a: b as u32,
                    b: (b >> 32) as u32,
                },
            ),
            WValue::Frame(off) => {
                let fp = self.fp.expect("frame values exist only after an alloc");
                self.local_get(fp);
                if off != 0 {
                    if self.pool.ptr_valtype() == ValType::I64 {
                        self.i64_const(off as i64);
                        self.op(MirTag::I64Add);
                    } else {
                        self.i32_const(off as i32);
                        self.op(MirTag::I32Add);
                    }
                }
            }
            WValue::Table(sym) => self.op_a(MirTag::TableIndex, sym.0),
            WValue::Data(sym, addend) => self.mir.push(
                MirTag::MemAddr,
                MirData {
                    a: sym.0,
                    b: addend as u32,
                },
            ),
        }
    }

    pub fn resolve(&mut self, r: Ref) -> Result<WValue, Error> {
        if let Some(i) = r.to_inst() {
            return Ok(self.values[i as usize]);
        }
        let Some(c) = self.air.constant(r) else {
            return Ok(WValue::None);
        };
        let (ty, value) = (c.ty, &c.value);
        if self.pool.is_by_ref(ty) {
            if let Some(w) = self.materialize_const(ty, value)? {
                return Ok(w);
            }
            let idx = r.to_const().unwrap_or(0) as usize;
            if let Some(Some(sym)) = self.const_syms.get(idx) {
                return Ok(WValue::Data(*sym, 0));
            }
            let sym = self.ctx.lower_constant(ty, value).map_err(|m| {
                self.unsupported(format!("constant of type `{}`: {m}", self.ty_name(ty)))
            })?;
            if let Some(slot) = self.const_syms.get_mut(idx) {
                *slot = Some(sym);
            }
            return Ok(WValue::Data(sym, 0));
        }
        self.lower_const(ty, value)
    }

    /// The place of operand `r` as the place of an instruction whose value has the same bits:
    /// immediates, frame and data addresses are shared; a local is taken over when `r` dies at
    /// `inst` (a local never holds two live values). `None` when the value must be copied.
    pub fn reuse_operand(&mut self, inst: u32, r: Ref) -> Result<Option<WValue>, Error> {
        let w = self.resolve(r)?;
        match w {
            WValue::None => Ok(None),
            WValue::Local(_) => match r.to_inst() {
                Some(v) if self.live.deaths(inst).contains(&v) => {
                    self.values[v as usize] = WValue::None;
                    Ok(Some(w))
                }
                _ => Ok(None),
            },
            _ => Ok(Some(w)),
        }
    }

    pub fn emit_ref(&mut self, r: Ref) -> Result<(), Error> {
        let w = self.resolve(r)?;
        self.emit_value(w);
        Ok(())
    }

    pub fn type_of(&self, r: Ref) -> TypeId {
        self.air.type_of(r)
    }

    /// The integer representation of a by-value integer-like type (ints, bool, enums, error
    /// sets, pointers, usize).
    pub fn int_repr(&self, ty: TypeId) -> Option<IntRepr> {
        let vt = self.pool.valtype(ty)?;
        if !matches!(vt, ValType::I32 | ValType::I64) || self.pool.is_by_ref(ty) {
            return None;
        }
        if let Some((signed, bits)) = self.pool.int_info(ty) {
            return Some(IntRepr { signed, bits, vt });
        }
        Some(IntRepr {
            signed: false,
            bits: if vt == ValType::I64 { 64 } else { 32 },
            vt,
        })
    }

    pub fn float_type(&self, ty: TypeId) -> Option<FloatType> {
        match self.pool.key(ty) {
            TypeKey::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn error_value(&self, name: wabe_types::NameId) -> u32 {
        self.pool
            .error_names()
            .position(|n| n == name)
            .map(|p| p as u32 + 1)
            .unwrap_or(0)
    }

    pub fn lower_const(&mut self, ty: TypeId, value: &Value) -> Result<WValue, Error> {
        if !self.pool.has_runtime_bits(ty) {
            return Ok(WValue::None);
        }
        if self.pool.is_by_ref(ty) {
            return Err(self.unsupported(format!(
                "constant operand of by-reference type `{}` (comes with the data work)",
                self.ty_name(ty)
            )));
        }
        let vt = self.pool.valtype(ty).expect("has bits");
        let int = |v: u64| match vt {
            ValType::I64 => WValue::I64(v),
            _ => WValue::I32(v as u32),
        };
        // By-value optionals of a zero-bit payload are their flag; by-value error unions (of a
        // zero-bit payload) are their error value.
        match (self.pool.key(ty), value) {
            (TypeKey::Optional(c), _) if !self.pool.is_pointer_like_optional_child(*c) => {
                return Ok(WValue::I32(!matches!(value, Value::Null) as u32));
            }
            (TypeKey::ErrorUnion { .. }, Value::Error(name)) => {
                return Ok(WValue::I32(self.error_value(*name)))
            }
            (TypeKey::ErrorUnion { .. }, Value::Undef) => return Ok(WValue::I32(0)),
            (TypeKey::ErrorUnion { .. }, _) => return Ok(WValue::I32(0)),
            _ => {}
        }
        Ok(match value {
            Value::Undef => match vt {
                ValType::I32 => WValue::I32(0),
                ValType::I64 => WValue::I64(0),
                ValType::F32 => WValue::F32(0),
                ValType::F64 => WValue::F64(0),
            },
            Value::Int(i) => int(i.to_u64_wrapping()),
            Value::Bool(b) => WValue::I32(*b as u32),
            Value::Null => int(0),
            Value::Float(bits) => match self.float_type(ty) {
                Some(FloatType::F32) => WValue::F32(*bits as u32),
                Some(FloatType::F64) => WValue::F64(*bits as u64),
                Some(FloatType::F16) => {
                    let v = wabe_types::f16_bits_to_f64(*bits as u16) as f32;
                    WValue::F32(v.to_bits())
                }
                _ => {
                    return Err(
                        self.unsupported(format!("float constant of type `{}`", self.ty_name(ty)))
                    )
                }
            },
            Value::EnumLiteral(name) => {
                let v = match self.pool.key(ty) {
                    TypeKey::Enum { fields, .. } => fields
                        .iter()
                        .find(|f| f.name == *name)
                        .map(|f| f.value.clone()),
                    _ => None,
                };
                match v {
                    Some(v) => int(v.to_u64_wrapping()),
                    None => {
                        return Err(self.err(format!(
                            "no enum value `.{}`",
                            self.pool.names.resolve(*name)
                        )))
                    }
                }
            }
            Value::Error(name) => match self.pool.key(ty) {
                TypeKey::AnyError | TypeKey::ErrorSet { .. } => {
                    WValue::I32(self.error_value(*name))
                }
                _ => {
                    return Err(
                        self.unsupported(format!("error constant of type `{}`", self.ty_name(ty)))
                    )
                }
            },
            Value::DeclAddr(addr) => {
                let Some(decl) = self.m.decl_by_name(addr.decl) else {
                    return Err(self.err(format!(
                        "unknown declaration `@{}`",
                        self.pool.names.resolve(addr.decl)
                    )));
                };
                match &self.m.decl(decl).kind {
                    DeclKind::Fn(_) | DeclKind::Extern(_)
                        if addr.path.is_empty() && addr.slice.is_none() =>
                    {
                        WValue::Table(self.ctx.decl_symbol(decl))
                    }
                    DeclKind::Const(g) | DeclKind::Var(g) if addr.slice.is_none() => {
                        let sym = self.ctx.decl_symbol(decl);
                        if sym.0 == u32::MAX {
                            return Err(self.unsupported(
                                "addresses of data declarations in function bodies need a data-capable context",
                            ));
                        }
                        let addend = self.path_offset(g.ty, &addr.path)?;
                        let Ok(addend) = i32::try_from(addend) else {
                            return Err(
                                self.unsupported("an address more than 2 GiB inside a declaration")
                            );
                        };
                        WValue::Data(sym, addend)
                    }
                    _ => return Err(self.err("this address is not a pointer into a declaration")),
                }
            }
            Value::Bytes(_) | Value::Aggregate(_) | Value::Fields(_) => {
                return Err(
                    self.unsupported(format!("aggregate constant of type `{}`", self.ty_name(ty)))
                )
            }
        })
    }

    /// The byte offset of a path (`[3].x`) inside a value of type `ty`.
    fn path_offset(&self, mut ty: TypeId, path: &[wabe_types::PathElem]) -> Result<u64, Error> {
        let mut off = 0u64;
        for p in path {
            match (p, self.pool.key(ty)) {
                (wabe_types::PathElem::Index(i), TypeKey::Array { elem, .. }) => {
                    off += i * self.pool.abi_size(*elem);
                    ty = *elem;
                }
                (
                    wabe_types::PathElem::Field(n),
                    TypeKey::Struct { .. } | TypeKey::Union { .. },
                ) => {
                    let Some(i) = self.pool.field_index(ty, *n) else {
                        return Err(self.err(format!("no field `{}`", self.pool.names.resolve(*n))));
                    };
                    off += self.pool.field_offset(ty, i);
                    ty = self.pool.field_type(ty, i).unwrap_or(TypeId::VOID);
                }
                _ => return Err(self.err("bad path inside a declaration")),
            }
        }
        Ok(off)
    }

    /// Frees the place of a value whose last use has passed.
    fn free_value(&mut self, inst: u32) {
        if let WValue::Local(l) = self.values[inst as usize] {
            self.free_local(l);
            self.values[inst as usize] = WValue::None;
        }
    }

    // ---- bodies ---------------------------------------------------------------------------

    pub fn gen_body(&mut self, body: &[u32]) -> Result<(), Error> {
        for &inst in body {
            self.span = self.air.spans[inst as usize];
            let w = self.gen_inst(inst)?;
            self.values[inst as usize] = w;
            for i in 0..self.live.deaths(inst).len() {
                let d = self.live.deaths(inst)[i];
                self.free_value(d);
            }
            if self.live.is_unused(inst) {
                self.free_value(inst);
            }
        }
        Ok(())
    }

    fn gen_inst(&mut self, inst: u32) -> Result<WValue, Error> {
        let tag = self.air.tags[inst as usize];
        let data = self.air.data[inst as usize];
        let ty = self.air.types[inst as usize];
        match tag {
            Tag::Arg => self.gen_arg(data.a as usize, ty),
            Tag::DbgStmt => Ok(WValue::None),
            Tag::Block => self.gen_block(inst, ty, data.a),
            Tag::Loop => {
                self.op_a(MirTag::Loop, 0x40);
                self.depth += 1;
                self.labels[inst as usize] = self.depth;
                let body = self.air.body(data.a);
                self.gen_body(body)?;
                self.depth -= 1;
                self.op(MirTag::End);
                Ok(WValue::None)
            }
            Tag::Repeat => {
                let target = self.labels[data.a as usize];
                self.op_a(MirTag::Br, self.depth - target);
                Ok(WValue::None)
            }
            Tag::Br => {
                let block = data.a as usize;
                let operand = Ref(data.b);
                if !operand.is_none() {
                    if let WValue::Local(l) = self.values[block] {
                        self.emit_ref(operand)?;
                        self.local_set(l);
                    }
                }
                let target = self.labels[block];
                self.op_a(MirTag::Br, self.depth - target);
                Ok(WValue::None)
            }
            Tag::CondBr => {
                self.emit_ref(Ref(data.a))?;
                self.op_a(MirTag::If, 0x40);
                self.depth += 1;
                let cb = self.air.cond_br(inst);
                self.gen_body(cb.then_body)?;
                self.op(MirTag::Else);
                self.gen_body(cb.else_body)?;
                self.depth -= 1;
                self.op(MirTag::End);
                Ok(WValue::None)
            }
            Tag::SwitchBr => {
                self.gen_switch(inst)?;
                Ok(WValue::None)
            }
            Tag::Ret => {
                self.gen_ret(Ref(data.a))?;
                Ok(WValue::None)
            }
            Tag::RetLoad => {
                self.gen_ret_load(Ref(data.a))?;
                Ok(WValue::None)
            }
            Tag::RetPtr => {
                if self.lowered.has_sret() {
                    self.local_get(0);
                    let vt = self.pool.ptr_valtype();
                    return Ok(self.store_result(vt));
                }
                Ok(self.alloc_value(self.ret_ty)?.base)
            }
            Tag::Unreach | Tag::Trap => {
                self.op(MirTag::Unreachable);
                Ok(WValue::None)
            }
            Tag::Call | Tag::CallAlwaysTail => self.gen_call(inst, tag == Tag::CallAlwaysTail),
            Tag::Alloc => {
                let TypeKey::Pointer { child, .. } = *self.pool.key(ty) else {
                    return Err(self.err("`alloc` must have a pointer type"));
                };
                Ok(self.alloc_value(child)?.base)
            }
            Tag::Load => {
                let a = self.addr_of(Ref(data.a))?;
                self.load_value(ty, a)
            }
            Tag::Store => {
                let a = self.addr_of(Ref(data.a))?;
                self.store_ref(a, Ref(data.b))?;
                Ok(WValue::None)
            }
            Tag::Memset | Tag::Memcpy => self.gen_mem(inst, tag == Tag::Memset),
            _ => self.gen_op(inst, tag, data, ty),
        }
    }

    /// The value of parameter `idx`: its wasm parameter, or (for C singletons and split
    /// 128-bit values) a frame slot it is stored into.
    fn gen_arg(&mut self, idx: usize, ty: TypeId) -> Result<WValue, Error> {
        let (Some(&pl), Some(local)) = (
            self.lowered.param_map.get(idx),
            self.lowered.wasm_param_index(idx),
        ) else {
            return Ok(WValue::None);
        };
        match pl {
            ParamLowering::Dropped => Ok(WValue::None),
            ParamLowering::Direct(_) | ParamLowering::ByRef | ParamLowering::Indirect => {
                Ok(WValue::Local(local))
            }
            ParamLowering::Scalar(_) => {
                let a = self.alloc_value(ty)?;
                let s = self.pool.c_singleton_scalar(ty).unwrap_or(ty);
                self.store_scalar(s, a, WValue::Local(local))?;
                Ok(a.base)
            }
            ParamLowering::SplitI64 => {
                let a = self.alloc_value(ty)?;
                for half in 0..2u32 {
                    let off = self.push_base(a.plus(8 * half as u64));
                    self.local_get(local + half);
                    self.mir.push(MirTag::I64Store, MirData { a: off, b: 3 });
                }
                Ok(a.base)
            }
        }
    }

    fn gen_ret(&mut self, operand: Ref) -> Result<(), Error> {
        match self.lowered.result {
            ResultLowering::None => {}
            ResultLowering::Direct(_) => self.emit_ref(operand)?,
            ResultLowering::Sret => {
                let v = self.resolve(operand)?;
                let pv = self.pool.ptr_valtype();
                let _ = pv;
                self.store_wvalue(self.ret_ty, Addr::at(WValue::Local(0)), v)?;
            }
            ResultLowering::Scalar(_) => {
                let a = self.addr_of(operand)?;
                let s = self
                    .pool
                    .c_singleton_scalar(self.ret_ty)
                    .unwrap_or(self.ret_ty);
                self.load_scalar(s, a)?;
            }
        }
        self.epilogues.push(self.mir.len() as u32);
        self.op(MirTag::Return);
        Ok(())
    }

    fn gen_ret_load(&mut self, ptr: Ref) -> Result<(), Error> {
        let a = self.addr_of(ptr)?;
        match self.lowered.result {
            ResultLowering::None => {}
            ResultLowering::Direct(_) => {
                self.load_scalar(self.ret_ty, a)?;
            }
            ResultLowering::Scalar(_) => {
                let s = self
                    .pool
                    .c_singleton_scalar(self.ret_ty)
                    .unwrap_or(self.ret_ty);
                self.load_scalar(s, a)?;
            }
            ResultLowering::Sret => {
                let (size, align) = (
                    self.pool.abi_size(self.ret_ty),
                    self.pool.abi_align(self.ret_ty),
                );
                self.copy_bytes(Addr::at(WValue::Local(0)), a, size, align);
            }
        }
        self.epilogues.push(self.mir.len() as u32);
        self.op(MirTag::Return);
        Ok(())
    }

    fn gen_block(&mut self, inst: u32, ty: TypeId, body: u32) -> Result<WValue, Error> {
        let result = match self.pool.valtype(ty) {
            Some(vt) => WValue::Local(self.alloc_local(vt)),
            None => WValue::None,
        };
        self.values[inst as usize] = result;
        self.op_a(MirTag::Block, 0x40);
        self.depth += 1;
        self.labels[inst as usize] = self.depth;
        let body = self.air.body(body);
        self.gen_body(body)?;
        self.depth -= 1;
        self.op(MirTag::End);
        Ok(result)
    }

    /// Whether a by-ref argument may be passed in a tail call: its memory must outlive this
    /// function's frame (an incoming parameter or data).
    fn outlives_frame(&self, w: WValue) -> bool {
        match w {
            WValue::Local(l) => self.param_clobbered.get(l as usize) == Some(&false),
            WValue::Data(..) | WValue::I32(_) | WValue::I64(_) => true,
            _ => false,
        }
    }

    fn gen_call(&mut self, inst: u32, tail: bool) -> Result<WValue, Error> {
        let callee = Ref(self.air.data[inst as usize].a);
        let callee_ty = self.type_of(callee);
        let fn_ty = match self.pool.key(callee_ty) {
            TypeKey::Pointer { child, .. } => *child,
            TypeKey::Fn { .. } => callee_ty,
            _ => return Err(self.err("callee is not a function")),
        };
        let (Some(lowered), Some((_, ret, _))) =
            (self.pool.lower_fn_type(fn_ty), self.pool.fn_info(fn_ty))
        else {
            return Err(self.err("callee is not a function"));
        };
        if tail && !self.opts.tail_call {
            return Err(self.err(
                "`call_always_tail` needs the `tail-call` target feature (`--features +tail-call`)",
            ));
        }
        let mut result_slot = WValue::None;
        if lowered.has_sret() {
            if tail {
                self.local_get(0);
            } else {
                let a = self.alloc_value(ret)?;
                self.push_addr(a);
                result_slot = a.base;
            }
        }
        let nargs = self.air.call_args(inst).len();
        for i in 0..nargs {
            let a = Ref(self.air.call_args(inst)[i]);
            let pty = self.type_of(a);
            match lowered
                .param_map
                .get(i)
                .copied()
                .unwrap_or(ParamLowering::Dropped)
            {
                ParamLowering::Dropped => {}
                ParamLowering::Direct(_) => self.emit_ref(a)?,
                ParamLowering::ByRef => {
                    let w = self.resolve(a)?;
                    if tail && !self.outlives_frame(w) {
                        return Err(self.unsupported(format!(
                            "`call_always_tail` passing a `{}` from this function's stack frame",
                            self.ty_name(pty)
                        )));
                    }
                    self.push_addr(Addr::at(w));
                }
                ParamLowering::Indirect => {
                    if tail {
                        return Err(self.unsupported(format!(
                            "`call_always_tail` passing a `{}` indirectly (the C convention copies it into the caller's frame)",
                            self.ty_name(pty)
                        )));
                    }
                    // The callee may modify it: pass a copy.
                    let src = self.addr_of(a)?;
                    let dst = self.alloc_value(pty)?;
                    self.copy_bytes(dst, src, self.pool.abi_size(pty), self.pool.abi_align(pty));
                    self.push_addr(dst);
                }
                ParamLowering::Scalar(_) => {
                    let src = self.addr_of(a)?;
                    let s = self.pool.c_singleton_scalar(pty).unwrap_or(pty);
                    self.load_scalar(s, src)?;
                }
                ParamLowering::SplitI64 => {
                    let src = self.addr_of(a)?;
                    for half in 0..2u64 {
                        let off = self.push_base(src.plus(8 * half));
                        self.mir.push(MirTag::I64Load, MirData { a: off, b: 3 });
                    }
                }
            }
        }
        // A direct call when the callee is `@fn`.
        let direct = self.air.constant(callee).and_then(|c| match &c.value {
            Value::DeclAddr(a) if a.path.is_empty() && a.slice.is_none() => {
                self.m.decl_by_name(a.decl)
            }
            _ => None,
        });
        if tail {
            self.epilogues.push(self.mir.len() as u32);
        }
        match direct {
            Some(decl) if self.m.fn_type(decl).is_some() => {
                let sym = self.ctx.decl_symbol(decl);
                self.op_a(
                    if tail {
                        MirTag::ReturnCall
                    } else {
                        MirTag::Call
                    },
                    sym.0,
                );
            }
            _ => {
                self.emit_ref(callee)?;
                if self.pool.ptr_valtype() == ValType::I64 {
                    self.op(MirTag::I32WrapI64);
                }
                let t = self.ctx.func_type_index(&lowered.params, &lowered.results);
                self.op_a(
                    if tail {
                        MirTag::ReturnCallIndirect
                    } else {
                        MirTag::CallIndirect
                    },
                    t,
                );
            }
        }
        if tail {
            return Ok(WValue::None);
        }
        if *self.pool.key(ret) == TypeKey::NoReturn {
            self.op(MirTag::Unreachable);
            return Ok(WValue::None);
        }
        match lowered.result {
            ResultLowering::None => Ok(WValue::None),
            ResultLowering::Direct(vt) => Ok(self.store_result(vt)),
            ResultLowering::Sret => Ok(result_slot),
            ResultLowering::Scalar(vt) => {
                let t = self.alloc_local(vt);
                self.local_set(t);
                let a = self.alloc_value(ret)?;
                let s = self.pool.c_singleton_scalar(ret).unwrap_or(ret);
                self.store_scalar(s, a, WValue::Local(t))?;
                self.free_local(t);
                Ok(a.base)
            }
        }
    }

    pub(crate) fn ensure_frame(&mut self) {
        if self.fp.is_none() {
            // Fresh locals, never reused: the prologue sets them before any other code runs,
            // when a recycled local may still hold a live value (a parameter, say).
            let pv = self.pool.ptr_valtype();
            let base = self.params.len() as u32 + self.mir.locals.len() as u32;
            self.mir.locals.push(pv);
            self.mir.locals.push(pv);
            self.orig_sp = Some(base);
            self.fp = Some(base + 1);
        }
    }

    /// Assembles the final MIR: the frame prologue, then the body with the epilogue before
    /// every return.
    fn finish(mut self) -> MirFunction {
        let body = std::mem::take(&mut self.mir);
        let mut out = MirFunction {
            locals: body.locals.clone(),
            ..Default::default()
        };
        let (Some(fp), Some(orig)) = (self.fp, self.orig_sp) else {
            out.tags = body.tags;
            out.data = body.data;
            out.extra = body.extra;
            fuse_set_get(&mut out);
            return out;
        };
        let sp = self.ctx.stack_pointer();
        let wide = self.pool.ptr_valtype() == ValType::I64;
        let align = self.frame_align.max(16);
        let size = (self.frame_size + align - 1) & !(align - 1);
        let push = |o: &mut MirFunction, t: MirTag, a: u32, b: u32| o.push(t, MirData { a, b });
        push(&mut out, MirTag::GlobalGet, sp.0, 0);
        push(&mut out, MirTag::LocalTee, orig, 0);
        if wide {
            push(&mut out, MirTag::I64Const, size as u32, (size >> 32) as u32);
            push(&mut out, MirTag::I64Sub, 0, 0);
            if align > 16 {
                let m = (align as i64).wrapping_neg() as u64;
                push(&mut out, MirTag::I64Const, m as u32, (m >> 32) as u32);
                push(&mut out, MirTag::I64And, 0, 0);
            }
        } else {
            push(&mut out, MirTag::I32Const, size as u32, 0);
            push(&mut out, MirTag::I32Sub, 0, 0);
            if align > 16 {
                push(
                    &mut out,
                    MirTag::I32Const,
                    (align as i32).wrapping_neg() as u32,
                    0,
                );
                push(&mut out, MirTag::I32And, 0, 0);
            }
        }
        push(&mut out, MirTag::LocalTee, fp, 0);
        push(&mut out, MirTag::GlobalSet, sp.0, 0);
        let mut ep = self.epilogues.iter().copied().peekable();
        for i in 0..body.tags.len() {
            while ep.peek() == Some(&(i as u32)) {
                ep.next();
                push(&mut out, MirTag::LocalGet, orig, 0);
                push(&mut out, MirTag::GlobalSet, sp.0, 0);
            }
            out.tags.push(body.tags[i]);
            out.data.push(body.data[i]);
        }
        out.extra = body.extra;
        fuse_set_get(&mut out);
        out
    }
}

/// Peephole: `local.set L; local.get L` is `local.tee L` (the value stays on the stack and in
/// the local). Instructions are compacted in place; nothing refers to instruction positions
/// (`br_table` operands live in `extra`).
fn fuse_set_get(f: &mut MirFunction) {
    let n = f.tags.len();
    let mut w = 0;
    let mut r = 0;
    while r < n {
        let (tag, data) = (f.tags[r], f.data[r]);
        if tag == MirTag::LocalSet
            && r + 1 < n
            && f.tags[r + 1] == MirTag::LocalGet
            && f.data[r + 1].a == data.a
        {
            f.tags[w] = MirTag::LocalTee;
            f.data[w] = data;
            w += 1;
            r += 2;
            continue;
        }
        f.tags[w] = tag;
        f.data[w] = data;
        w += 1;
        r += 1;
    }
    f.tags.truncate(w);
    f.data.truncate(w);
}
