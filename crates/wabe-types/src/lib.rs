//! # wabe-types
//!
//! The types of the wabe IR, their ABI layout on wasm32 and wasm64, how they lower to
//! WebAssembly (value types, by-reference passing, function signatures for the `auto` and `c`
//! conventions), and typed constant values.
//!
//! Every other wabe crate asks this one "how big is this, where is this field, is it passed by
//! reference, which wasm type carries it", so that code generation, data generation and the
//! reference interpreter agree by construction. It depends on no other wabe crate and can be
//! used alone by any compiler that targets WebAssembly.
//!
//! # Design
//!
//! ```text
//!  TypeKey ──intern──▶ TypePool ──▶ TypeId ──▶ layout: abi_size, abi_align, field_offset, ...
//!  (what a type is)    (one per      (a u32)     lowering: is_by_ref, valtype, block_type,
//!                       target)                  c_abi_class, lower_fn_type
//!                                                values: check_value(TypeId, &Value)
//! ```
//!
//! - **Interning.** Types live in a [`TypePool`], one per [`Target`]. A type is a [`TypeId`];
//!   interning the same [`TypeKey`] twice gives the same id, so comparing types is comparing
//!   integers. Equality is structural, except that a struct, enum, union or error set declared
//!   with a name carries that name and stays distinct from another with the same contents.
//!   Recursive types go through [`TypePool::reserve`] and [`TypePool::define`].
//! - **Layout** (IR.md 3.1) is computed once, when a type is interned, and stored beside it:
//!   size, alignment and offsets are array reads. The rules follow Zig's self-hosted wasm
//!   backend: integers round up to 1, 2, 4, 8 bytes or multiples of 16; auto structs sort
//!   fields by descending alignment; `?T` is a nullable pointer or the payload followed by a
//!   flag byte; `E!T` places a payload of alignment 2 or more first; a tagged union places its
//!   payload first unless the tag is more aligned. Extern structs and bare unions match C, which
//!   the test suite checks against clang.
//! - **Lowering** (IR.md 3.2 and 6): a value with runtime bits is either one wasm value or *by
//!   reference*, an address into linear memory. A function type lowers to a wasm signature
//!   plus, per IR parameter, how it maps onto wasm parameters ([`ParamLowering`]) and how the
//!   result comes back ([`ResultLowering`]). The `c` convention follows the wasm Basic C ABI as
//!   clang implements it ([`CAbiClass`]).
//! - **Values** (IR.md 4): a [`Value`] is not self-describing; it is paired with a type, and
//!   [`TypePool::check_value`] says whether it fits (a [`TypeError`], never a panic).
//!
//! Invariants: a type's alignment is a power of two and divides its size; a by-ref type always
//! has runtime bits; fields never overlap; wasm32 and wasm64 layouts differ only through
//! pointers, slices and `usize`/`isize`; a lowered signature has at most one result.
//!
//! # Example
//!
//! A compiler computing a struct layout and two function signatures, and checking a constant:
//!
//! ```
//! use wabe_types::{
//!     lower_fn_type, CallConv, ContainerLayout, Field, Int, ParamLowering, Target, TypeId,
//!     TypeKey, TypePool, ValType, Value,
//! };
//!
//! let mut pool = TypePool::new(Target::Wasm32);
//! let (a, b, c) = (pool.names.intern("a"), pool.names.intern("b"), pool.names.intern("c"));
//! // struct { a: u8, b: u64, c: u16 } with auto layout: b, c, a.
//! let s = pool
//!     .intern(TypeKey::Struct {
//!         name: None,
//!         layout: ContainerLayout::Auto,
//!         fields: vec![
//!             Field { name: a, ty: TypeId::U8 },
//!             Field { name: b, ty: TypeId::U64 },
//!             Field { name: c, ty: TypeId::U16 },
//!         ]
//!         .into(),
//!     })
//!     .unwrap();
//! assert_eq!((pool.abi_size(s), pool.abi_align(s)), (16, 8));
//! assert_eq!(
//!     (pool.field_offset(s, 0), pool.field_offset(s, 1), pool.field_offset(s, 2)),
//!     (10, 0, 8)
//! );
//! assert_eq!(pool.struct_field_order(s), vec![1, 2, 0]);
//! assert!(pool.is_by_ref(s));
//!
//! // fn (S, u32) S: the struct result comes back through a hidden sret pointer, and the
//! // struct parameter is passed by address.
//! let f = pool
//!     .intern(TypeKey::Fn {
//!         params: vec![s, TypeId::U32].into(),
//!         ret: s,
//!         callconv: CallConv::Auto,
//!     })
//!     .unwrap();
//! let sig = lower_fn_type(&pool, f).unwrap();
//! assert_eq!(sig.params, vec![ValType::I32, ValType::I32, ValType::I32]);
//! assert!(sig.results.is_empty() && sig.has_sret());
//! assert_eq!(sig.param_map, vec![ParamLowering::ByRef, ParamLowering::Direct(ValType::I32)]);
//!
//! // The same in the C convention: the callee gets the address of a copy, and a `u128`
//! // travels as two i64.
//! let g = pool
//!     .intern(TypeKey::Fn {
//!         params: vec![s, TypeId::U128].into(),
//!         ret: s,
//!         callconv: CallConv::C,
//!     })
//!     .unwrap();
//! let sig = lower_fn_type(&pool, g).unwrap();
//! assert_eq!(sig.params, vec![ValType::I32, ValType::I32, ValType::I64, ValType::I64]);
//! assert_eq!(sig.param_map, vec![ParamLowering::Indirect, ParamLowering::SplitI64]);
//!
//! // A constant `.{ 1, 2, 3 }` of the struct fits; `.{ 1, 2, 70000 }` does not.
//! let int = |x: i128| Value::Int(Int::from_i128(x));
//! let v = |c: i128| Value::Aggregate(vec![int(1), int(2), int(c)].into());
//! assert!(pool.check_value(s, &v(3)).is_ok());
//! let err = pool.check_value(s, &v(70000)).unwrap_err();
//! assert_eq!(err.to_string(), "`70000` does not fit `u16` (at `.c`)");
//! ```

#![deny(missing_docs)]

mod abi;
mod check;
mod error;
mod names;
mod ty;
mod value;

pub use abi::{
    block_type, is_by_ref, lower_fn_type, valtype, BlockType, CAbiClass, LoweredFn, ParamLowering,
    ResultLowering, ValType,
};
pub use error::TypeError;
pub use names::{FastBuildHasher, FastHasher, Interner, NameId};
pub use ty::{
    write_type, CallConv, ContainerLayout, EnumField, Field, FloatType, Layout, PtrInfo, PtrSize,
    Signedness, Target, TypeDisplay, TypeId, TypeKey, TypePool,
};
pub use value::{
    f16_bits_to_f64, f64_to_f16_bits, float_bits_from_f64, float_bits_to_f64, DeclAddr, Int,
    PathElem, Value,
};
