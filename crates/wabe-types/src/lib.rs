//! # wabe-types
//!
//! The types of the wabe IR, their ABI layout on wasm32 and wasm64, how they lower to
//! WebAssembly (value types, by-reference passing, function signatures for the `auto` and `c`
//! conventions), and typed constant values.
//!
//! Every other wabe crate asks this one "how big is this, where is this field, is it passed by
//! reference, which wasm type carries it", so that code generation, data generation and the
//! reference interpreter agree by construction. It depends on no other wabe crate and can be
//! used alone by any compiler.
//!
//! Types are interned in a [`TypePool`] (one pool per target): a type is a [`TypeId`], and two
//! types are equal when their ids are. Layout is computed when a type is interned.
//!
//! # Example
//!
//! ```
//! use wabe_types::{CallConv, ContainerLayout, Field, Target, TypeId, TypeKey, TypePool, ValType};
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
//! assert!(pool.is_by_ref(s));
//!
//! // fn (S, u32) S: the struct result comes back through a hidden sret pointer.
//! let f = pool
//!     .intern(TypeKey::Fn { params: vec![s, TypeId::U32].into(), ret: s, callconv: CallConv::Auto })
//!     .unwrap();
//! let sig = pool.lower_fn_type(f).unwrap();
//! assert_eq!(sig.params, vec![ValType::I32, ValType::I32, ValType::I32]);
//! assert!(sig.results.is_empty() && sig.has_sret());
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
pub use names::{Interner, NameId};
pub use ty::{
    write_type, CallConv, ContainerLayout, EnumField, Field, FloatType, Layout, PtrInfo, PtrSize,
    Signedness, Target, TypeDisplay, TypeId, TypeKey, TypePool,
};
pub use value::{
    f16_bits_to_f64, f64_to_f16_bits, float_bits_from_f64, float_bits_to_f64, DeclAddr, Int,
    PathElem, Value,
};
