//! Lowering types to WebAssembly: value types, by-reference passing, and function signatures for
//! the `auto` and `c` conventions (IR.md sections 3.2 and 6).

use crate::ty::{CallConv, FloatType, PtrSize, TypeId, TypeKey, TypePool};

/// A WebAssembly value type.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl ValType {
    /// The name as in WAT.
    pub fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
        }
    }
}

/// How one IR parameter is passed.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ParamLowering {
    /// A zero-bit parameter: no wasm parameter.
    Dropped,
    /// One wasm parameter holding the value.
    Direct(ValType),
    /// One wasm parameter holding the address of the value (`auto`: the callee must not write
    /// through it).
    ByRef,
    /// C convention: the address of a copy the caller made (the callee may modify it).
    Indirect,
    /// C convention: a singleton aggregate passed as its one scalar, which sits at this offset.
    Scalar(ValType),
    /// C convention: a 128-bit value passed as two `i64` (low half first).
    SplitI64,
}

impl ParamLowering {
    /// How many wasm parameters this takes.
    pub fn wasm_count(self) -> usize {
        match self {
            ParamLowering::Dropped => 0,
            ParamLowering::SplitI64 => 2,
            _ => 1,
        }
    }
}

/// How the result is returned.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ResultLowering {
    /// Nothing is returned (zero-bit or `noreturn`).
    None,
    /// A wasm result of this type.
    Direct(ValType),
    /// Through a hidden first parameter pointing at caller memory (sret).
    Sret,
    /// C convention: a singleton aggregate returned as its scalar.
    Scalar(ValType),
}

/// A function type lowered to wasm.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LoweredFn {
    /// The wasm parameters (the sret pointer first, if any).
    pub params: Vec<ValType>,
    /// The wasm results (at most one).
    pub results: Vec<ValType>,
    /// How each IR parameter maps onto wasm parameters.
    pub param_map: Vec<ParamLowering>,
    /// How the result is returned.
    pub result: ResultLowering,
}

impl LoweredFn {
    /// Whether there is a hidden sret parameter.
    pub fn has_sret(&self) -> bool {
        self.result == ResultLowering::Sret
    }
}

impl TypePool {
    /// The wasm type of a pointer (and `usize`) on this target.
    pub fn ptr_valtype(&self) -> ValType {
        match self.target() {
            crate::Target::Wasm32 => ValType::I32,
            crate::Target::Wasm64 => ValType::I64,
        }
    }

    /// Whether values of the type live in memory and are handled by address (IR.md 3.2).
    pub fn is_by_ref(&self, ty: TypeId) -> bool {
        if !self.has_runtime_bits(ty) {
            return false;
        }
        match self.key(ty) {
            TypeKey::Array { .. } | TypeKey::Struct { .. } | TypeKey::Union { .. } => true,
            TypeKey::Pointer { size: PtrSize::Slice, .. } => true,
            TypeKey::Int { bits, .. } => *bits > 64,
            TypeKey::Float(f) => matches!(f, FloatType::F80 | FloatType::F128),
            TypeKey::Optional(c) => !self.is_pointer_like_optional_child(*c),
            TypeKey::ErrorUnion { payload, .. } => self.has_runtime_bits(*payload),
            TypeKey::Enum { tag, .. } => self.is_by_ref(*tag),
            _ => false,
        }
    }

    /// The wasm value type that carries a value of the type (its address, for by-ref types);
    /// `None` for zero-bit types.
    pub fn valtype(&self, ty: TypeId) -> Option<ValType> {
        if !self.has_runtime_bits(ty) {
            return None;
        }
        if self.is_by_ref(ty) {
            return Some(self.ptr_valtype());
        }
        Some(match self.key(ty) {
            TypeKey::Float(FloatType::F16 | FloatType::F32) => ValType::F32,
            TypeKey::Float(_) => ValType::F64,
            TypeKey::Pointer { .. } | TypeKey::Optional(_) | TypeKey::Usize | TypeKey::Isize => {
                self.ptr_valtype()
            }
            TypeKey::Int { bits, .. } if *bits > 32 => ValType::I64,
            TypeKey::Enum { tag, .. } => return self.valtype(*tag),
            _ => ValType::I32,
        })
    }

    /// The C ABI scalar a singleton aggregate unwraps to: `Some` for a struct or union whose
    /// only runtime content is one scalar (recursively), not over-aligned.
    pub fn c_singleton_scalar(&self, ty: TypeId) -> Option<TypeId> {
        match self.key(ty) {
            TypeKey::Struct { fields, .. } => {
                let mut with_bits = fields.iter().filter(|f| self.has_runtime_bits(f.ty));
                let only = with_bits.next()?;
                if with_bits.next().is_some() {
                    return None;
                }
                if self.abi_align(ty) > self.abi_align(only.ty) {
                    return None;
                }
                self.c_singleton_scalar(only.ty)
            }
            TypeKey::Union { fields, tag: None, .. } => {
                if fields.len() != 1 {
                    return None;
                }
                self.c_singleton_scalar(fields[0].ty)
            }
            TypeKey::Union { .. } | TypeKey::Array { .. } => None,
            _ if self.is_by_ref(ty) => None,
            _ if self.has_runtime_bits(ty) => Some(ty),
            _ => None,
        }
    }

    fn is_c_split(&self, ty: TypeId) -> bool {
        match self.key(ty) {
            TypeKey::Int { bits, .. } => *bits > 64 && *bits <= 128,
            TypeKey::Float(f) => matches!(f, FloatType::F80 | FloatType::F128),
            _ => false,
        }
    }

    /// How a parameter of type `ty` is passed under `cc`.
    pub fn lower_param(&self, ty: TypeId, cc: CallConv) -> ParamLowering {
        if !self.has_runtime_bits(ty) {
            return ParamLowering::Dropped;
        }
        match cc {
            CallConv::Auto => {
                if self.is_by_ref(ty) {
                    ParamLowering::ByRef
                } else {
                    ParamLowering::Direct(self.valtype(ty).expect("has bits"))
                }
            }
            CallConv::C => {
                if self.is_c_split(ty) {
                    return ParamLowering::SplitI64;
                }
                if !self.is_by_ref(ty) {
                    return ParamLowering::Direct(self.valtype(ty).expect("has bits"));
                }
                match self.c_singleton_scalar(ty) {
                    Some(s) if !self.is_c_split(s) => {
                        ParamLowering::Scalar(self.valtype(s).expect("scalar has bits"))
                    }
                    _ => ParamLowering::Indirect,
                }
            }
        }
    }

    /// How a result of type `ty` is returned under `cc`.
    pub fn lower_result(&self, ty: TypeId, cc: CallConv) -> ResultLowering {
        if !self.has_runtime_bits(ty) {
            return ResultLowering::None;
        }
        if !self.is_by_ref(ty) {
            return ResultLowering::Direct(self.valtype(ty).expect("has bits"));
        }
        match cc {
            CallConv::Auto => ResultLowering::Sret,
            CallConv::C => match self.c_singleton_scalar(ty) {
                Some(s) if !self.is_c_split(s) => ResultLowering::Scalar(self.valtype(s).expect("scalar")),
                _ => ResultLowering::Sret,
            },
        }
    }

    /// Lowers a function type (`TypeKey::Fn`) to its wasm signature. Returns `None` when `fn_ty`
    /// is not a function type.
    pub fn lower_fn_type(&self, fn_ty: TypeId) -> Option<LoweredFn> {
        let TypeKey::Fn { params, ret, callconv } = self.key(fn_ty) else {
            return None;
        };
        Some(self.lower_signature(params, *ret, *callconv))
    }

    /// Lowers a signature given as parameter types, result type and convention.
    pub fn lower_signature(&self, params: &[TypeId], ret: TypeId, cc: CallConv) -> LoweredFn {
        let result = self.lower_result(ret, cc);
        let mut out = LoweredFn { params: Vec::new(), results: Vec::new(), param_map: Vec::new(), result };
        match result {
            ResultLowering::None => {}
            ResultLowering::Direct(v) | ResultLowering::Scalar(v) => out.results.push(v),
            ResultLowering::Sret => out.params.push(self.ptr_valtype()),
        }
        for &p in params {
            let l = self.lower_param(p, cc);
            match l {
                ParamLowering::Dropped => {}
                ParamLowering::Direct(v) | ParamLowering::Scalar(v) => out.params.push(v),
                ParamLowering::ByRef | ParamLowering::Indirect => out.params.push(self.ptr_valtype()),
                ParamLowering::SplitI64 => {
                    out.params.push(ValType::I64);
                    out.params.push(ValType::I64);
                }
            }
            out.param_map.push(l);
        }
        out
    }
}
