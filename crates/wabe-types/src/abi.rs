//! Lowering types to WebAssembly: value types, by-reference passing, and function signatures for
//! the `auto` and `c` conventions (IR.md sections 3.2 and 6).
//!
//! The `auto` convention is wabe's own: a parameter is its value type, or the address of a by-ref
//! value the callee must not write through; a by-ref result comes back through a hidden first
//! parameter (sret).
//!
//! The `c` convention is the wasm Basic C ABI of
//! [WebAssembly/tool-conventions](https://github.com/WebAssembly/tool-conventions/blob/main/BasicCABI.md),
//! as clang implements it: every type gets a [`CAbiClass`]. Empty aggregates are ignored; a
//! *singleton* struct or union (one field with runtime bits, recursively, arrays of one element
//! unwrapped, and no padding around it) passes as its scalar; other aggregates pass indirectly
//! through a copy the caller makes, and come back through sret. 128-bit integers and `f80`/`f128`
//! pass as two `i64` and, having no single wasm result type, come back through sret.

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
    /// C convention: a singleton aggregate passed as its one scalar (which is always at offset 0
    /// of the aggregate).
    Scalar(ValType),
    /// C convention: a 128-bit value (or a singleton aggregate of one) passed as two `i64`, the
    /// low half first.
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

    /// The index of the first wasm parameter (a local index in the callee) that carries IR
    /// parameter `index`, or `None` when the parameter is dropped or out of range. The sret
    /// pointer, when present, is wasm parameter 0.
    pub fn wasm_param_index(&self, index: usize) -> Option<u32> {
        let l = *self.param_map.get(index)?;
        if l == ParamLowering::Dropped {
            return None;
        }
        let before: usize = self.param_map[..index].iter().map(|p| p.wasm_count()).sum();
        Some((before + usize::from(self.has_sret())) as u32)
    }
}

/// The class of a type in the wasm Basic C ABI, as clang assigns it: empty aggregates are
/// ignored, scalars and singleton aggregates are direct, 128-bit scalars are a pair of `i64`,
/// and everything else is in memory. See [`TypePool::c_abi_class`].
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum CAbiClass {
    /// No runtime bits (`void`, empty structs): not passed, nothing returned.
    Ignore,
    /// A scalar, or a singleton aggregate unwrapped to its scalar: one wasm value of this type.
    Direct(ValType),
    /// A 128-bit integer or `f80`/`f128` (or a singleton aggregate of one): two `i64`
    /// parameters; returned through sret.
    Pair,
    /// In memory: passed as the address of a copy the caller made; returned through sret.
    Indirect,
}

/// The wasm block type of a `block` yielding a value of some type: nothing for zero-bit and
/// `noreturn` types, else the value type that carries it (an address for by-ref types).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum BlockType {
    /// `block` with no result.
    Empty,
    /// `block (result T)`.
    Value(ValType),
}

/// Whether values of `ty` live in memory and are handled by address (IR.md 3.2); the same as
/// [`TypePool::is_by_ref`].
pub fn is_by_ref(pool: &TypePool, ty: TypeId) -> bool {
    pool.is_by_ref(ty)
}

/// The wasm value type that carries a value of `ty` (its address, for by-ref types), `None` for
/// zero-bit types; the same as [`TypePool::valtype`].
pub fn valtype(pool: &TypePool, ty: TypeId) -> Option<ValType> {
    pool.valtype(ty)
}

/// The wasm block type for a block yielding `ty`; the same as [`TypePool::block_type`].
pub fn block_type(pool: &TypePool, ty: TypeId) -> BlockType {
    pool.block_type(ty)
}

/// Lowers the function type `fn_ty` (its own calling convention decides) to a wasm signature
/// for the pool's target; `None` when `fn_ty` is not a function type. The same as
/// [`TypePool::lower_fn_type`].
pub fn lower_fn_type(pool: &TypePool, fn_ty: TypeId) -> Option<LoweredFn> {
    pool.lower_fn_type(fn_ty)
}

impl TypePool {
    /// The wasm type of a pointer (and `usize`) on this target.
    pub fn ptr_valtype(&self) -> ValType {
        match self.target() {
            crate::Target::Wasm32 => ValType::I32,
            crate::Target::Wasm64 => ValType::I64,
        }
    }

    /// Whether values of the type live in memory and are handled by address (IR.md 3.2): arrays,
    /// structs and unions with runtime bits, slices, ints wider than 64 bits (and enums with such
    /// tags), `f80`, `f128`, optionals that are not pointer-like and have a payload with bits,
    /// and error unions whose payload has bits. A by-ref type always has runtime bits.
    pub fn is_by_ref(&self, ty: TypeId) -> bool {
        if !self.has_runtime_bits(ty) {
            return false;
        }
        match self.key(ty) {
            TypeKey::Array { .. } | TypeKey::Struct { .. } | TypeKey::Union { .. } => true,
            TypeKey::Pointer {
                size: PtrSize::Slice,
                ..
            } => true,
            TypeKey::Int { bits, .. } => *bits > 64,
            TypeKey::Float(f) => matches!(f, FloatType::F80 | FloatType::F128),
            TypeKey::Optional(c) => {
                !self.is_pointer_like_optional_child(*c) && self.has_runtime_bits(*c)
            }
            TypeKey::ErrorUnion { payload, .. } => self.has_runtime_bits(*payload),
            TypeKey::Enum { tag, .. } => self.is_by_ref(*tag),
            _ => false,
        }
    }

    /// The wasm value type that carries a value of the type (its address, for by-ref types);
    /// `None` for zero-bit types (IR.md 3.2).
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
            TypeKey::Pointer { .. } | TypeKey::Usize | TypeKey::Isize => self.ptr_valtype(),
            // A pointer-like optional is its pointer; `?T` of a zero-bit `T` is its flag byte.
            TypeKey::Optional(c) if self.is_pointer_like_optional_child(*c) => self.ptr_valtype(),
            TypeKey::Int { bits, .. } if *bits > 32 => ValType::I64,
            TypeKey::Enum { tag, .. } => return self.valtype(*tag),
            _ => ValType::I32,
        })
    }

    /// The wasm block type of a block yielding a value of the type.
    pub fn block_type(&self, ty: TypeId) -> BlockType {
        match self.valtype(ty) {
            Some(v) => BlockType::Value(v),
            None => BlockType::Empty,
        }
    }

    /// Whether the type is a scalar for the C ABI: an integer of at most 128 bits (also `bool`,
    /// `usize`, enums and error sets), a float, a pointer that is not a slice, or a pointer-like
    /// optional.
    fn is_c_scalar(&self, ty: TypeId) -> bool {
        match self.key(ty) {
            TypeKey::Float(_) | TypeKey::Bool | TypeKey::Usize | TypeKey::Isize => true,
            TypeKey::AnyError | TypeKey::ErrorSet { .. } => true,
            TypeKey::Pointer { size, .. } => *size != PtrSize::Slice,
            TypeKey::Optional(c) => self.is_pointer_like_optional_child(*c),
            TypeKey::Int { bits, .. } => *bits <= 128,
            TypeKey::Enum { tag, .. } => self.is_c_scalar(*tag),
            _ => false,
        }
    }

    /// The C ABI scalar a type unwraps to: the type itself for a scalar with runtime bits; for a
    /// *singleton* struct or bare union (exactly one field with runtime bits, recursively, an
    /// array of one element counting as its element, and the aggregate no larger than that
    /// scalar), the scalar; `None` otherwise. This is clang's `isSingleElementStruct`.
    pub fn c_singleton_scalar(&self, ty: TypeId) -> Option<TypeId> {
        if !self.has_runtime_bits(ty) {
            return None;
        }
        let found = match self.key(ty) {
            TypeKey::Struct { fields, .. }
            | TypeKey::Union {
                fields, tag: None, ..
            } => {
                let mut with_bits = fields.iter().filter(|f| self.has_runtime_bits(f.ty));
                let only = with_bits.next()?;
                if with_bits.next().is_some() {
                    return None;
                }
                let mut inner = only.ty;
                while let TypeKey::Array { len: 1, elem } = *self.key(inner) {
                    inner = elem;
                }
                self.c_singleton_scalar(inner)?
            }
            _ if self.is_c_scalar(ty) => return Some(ty),
            _ => return None,
        };
        (self.abi_size(found) == self.abi_size(ty)).then_some(found)
    }

    fn is_c_split(&self, ty: TypeId) -> bool {
        match self.key(ty) {
            TypeKey::Int { bits, .. } => *bits > 64 && *bits <= 128,
            TypeKey::Float(f) => matches!(f, FloatType::F80 | FloatType::F128),
            TypeKey::Enum { tag, .. } => self.is_c_split(*tag),
            _ => false,
        }
    }

    /// The class of the type in the wasm Basic C ABI. Types C does not have (slices, optionals
    /// that are not pointers, error unions with a payload, tagged unions, integers wider than
    /// 128 bits) are [`CAbiClass::Indirect`] when they have runtime bits.
    pub fn c_abi_class(&self, ty: TypeId) -> CAbiClass {
        if !self.has_runtime_bits(ty) {
            return CAbiClass::Ignore;
        }
        match self.c_singleton_scalar(ty) {
            Some(s) if self.is_c_split(s) => CAbiClass::Pair,
            Some(s) => CAbiClass::Direct(self.valtype(s).expect("a C scalar has runtime bits")),
            None if self.is_by_ref(ty) => CAbiClass::Indirect,
            // By-value types C does not know (`?void`, `E!void`): their value type.
            None => CAbiClass::Direct(self.valtype(ty).expect("has runtime bits")),
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
            CallConv::C => match self.c_abi_class(ty) {
                CAbiClass::Ignore => ParamLowering::Dropped,
                CAbiClass::Direct(v) if self.is_by_ref(ty) => ParamLowering::Scalar(v),
                CAbiClass::Direct(v) => ParamLowering::Direct(v),
                CAbiClass::Pair => ParamLowering::SplitI64,
                CAbiClass::Indirect => ParamLowering::Indirect,
            },
        }
    }

    /// How a result of type `ty` is returned under `cc`.
    pub fn lower_result(&self, ty: TypeId, cc: CallConv) -> ResultLowering {
        if !self.has_runtime_bits(ty) {
            return ResultLowering::None;
        }
        match cc {
            CallConv::Auto => {
                if self.is_by_ref(ty) {
                    ResultLowering::Sret
                } else {
                    ResultLowering::Direct(self.valtype(ty).expect("has bits"))
                }
            }
            CallConv::C => match self.c_abi_class(ty) {
                CAbiClass::Ignore => ResultLowering::None,
                CAbiClass::Direct(v) if self.is_by_ref(ty) => ResultLowering::Scalar(v),
                CAbiClass::Direct(v) => ResultLowering::Direct(v),
                CAbiClass::Pair | CAbiClass::Indirect => ResultLowering::Sret,
            },
        }
    }

    /// Lowers a function type (`TypeKey::Fn`) to its wasm signature under the function type's
    /// own calling convention. Returns `None` when `fn_ty` is not a function type.
    pub fn lower_fn_type(&self, fn_ty: TypeId) -> Option<LoweredFn> {
        let TypeKey::Fn {
            params,
            ret,
            callconv,
        } = self.key(fn_ty)
        else {
            return None;
        };
        Some(self.lower_signature(params, *ret, *callconv))
    }

    /// Lowers a signature given as parameter types, result type and convention.
    pub fn lower_signature(&self, params: &[TypeId], ret: TypeId, cc: CallConv) -> LoweredFn {
        let result = self.lower_result(ret, cc);
        let mut out = LoweredFn {
            params: Vec::new(),
            results: Vec::new(),
            param_map: Vec::new(),
            result,
        };
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
                ParamLowering::ByRef | ParamLowering::Indirect => {
                    out.params.push(self.ptr_valtype())
                }
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
