//! # wabe-funcgen
//!
//! Lowers one verified AIR function to wasm MIR: every AIR value gets a place (a wasm local, an
//! immediate, or a slot of the stack frame), locals are reused once their value dies (from
//! [`Liveness`](wabe_air::Liveness)), AIR blocks and loops become wasm blocks and loops, and the
//! stack frame is reserved by one prologue and released on every return.
//!
//! Integers narrower than their wasm container (`u7` in an `i32`, `i33` in an `i64`) are kept
//! normalized: zero-extended when unsigned, sign-extended when signed. Every instruction that
//! could leave garbage in the high bits (`add_wrap`, `shl`, `not`, `trunc`, ...) normalizes its
//! result, so comparisons, division and widening casts work on the container directly.
//!
//! Symbols (functions, the stack pointer, type indices) come from a [`Context`] the caller
//! provides, usually backed by the linker.
//!
//! # Example
//!
//! ```
//! use wabe_funcgen::{generate, Context, Options};
//! use wabe_mir::{SymbolIndex, ValType};
//!
//! struct Ctx;
//! impl Context for Ctx {
//!     fn decl_symbol(&mut self, decl: wabe_air::DeclIndex) -> SymbolIndex { SymbolIndex(decl.0) }
//!     fn stack_pointer(&mut self) -> SymbolIndex { SymbolIndex(100) }
//!     fn func_type_index(&mut self, _p: &[ValType], _r: &[ValType]) -> u32 { 0 }
//! }
//!
//! let mut m = wabe_air::parse("export fn inc(%x: u32) u32 {\n  %y = add_wrap %x, 1:u32\n  ret %y\n}\n").unwrap();
//! wabe_air::verify(&mut m).unwrap();
//! let decl = m.decl_by_name(m.types.names.get("inc").unwrap()).unwrap();
//! let mir = generate(&m, decl, &mut Ctx, &Options::default()).unwrap();
//! assert!(mir.display().contains("i32.add"));
//! ```

#![deny(missing_docs)]

mod aggregates;
mod codegen;
mod float16;
mod helpers;
mod memory;
mod ops;
mod overflow;
mod wide;

pub use codegen::generate;

use wabe_air::{DeclIndex, Span};
use wabe_mir::{SymbolIndex, ValType};

/// What code generation needs from the outside: symbols for declarations and the stack pointer,
/// and function type indices.
pub trait Context {
    /// The symbol of a declaration (a function for calls).
    fn decl_symbol(&mut self, decl: DeclIndex) -> SymbolIndex;
    /// The `__stack_pointer` global.
    fn stack_pointer(&mut self) -> SymbolIndex;
    /// The index of a function type, for `call_indirect`.
    fn func_type_index(&mut self, params: &[ValType], results: &[ValType]) -> u32;
    /// Lowers a by-reference constant operand (an aggregate, a slice, a big integer, ...) of
    /// the function being generated to anonymous read-only data owned by it (a local atom of
    /// the function's atom), returning the data symbol whose address is the constant's
    /// address. Identical constants may share one symbol.
    fn lower_constant(
        &mut self,
        ty: wabe_types::TypeId,
        value: &wabe_types::Value,
    ) -> Result<SymbolIndex, String> {
        let _ = (ty, value);
        Err("by-reference constant operands need a data-capable context".into())
    }
    /// The error-name table for `error_name`: a read-only data symbol the linker synthesizes
    /// at flush, an array of `[]const u8` slices (`{ ptr, len }`, 2 * ptr_size bytes each)
    /// indexed by error value (entry 0 is the empty slice). The name of error `%e` is the
    /// slice at `MemAddr(table) + %e * 2 * ptr_size`: that address is the (by-ref) result.
    fn error_name_table(&mut self) -> Result<SymbolIndex, String> {
        Err("`error_name` needs a context with a linker".into())
    }
    /// The tag-name table for `tag_name` on values of the enum type `enum_ty`: like the
    /// error-name table, but entry `i` is the name of the enum's field `i` in declaration
    /// order (map a tag value to its field index first when the values are not `0..n`).
    fn tag_name_table(&mut self, enum_ty: wabe_types::TypeId) -> Result<SymbolIndex, String> {
        let _ = enum_ty;
        Err("`tag_name` needs a context with a linker".into())
    }
    /// Returns the symbol of a helper function synthesized by code generation (128-bit
    /// arithmetic, `f16` conversions, ...), declaring it on first use. `name` identifies the
    /// helper (each is emitted once per module); `params`/`results` are its wasm signature, and
    /// `build` generates its body when the helper is new (it gets the context back, since a
    /// helper may call other helpers).
    fn helper_function(
        &mut self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
        build: &mut dyn FnMut(&mut dyn Context) -> Result<wabe_mir::MirFunction, String>,
    ) -> Result<SymbolIndex, String> {
        let _ = (params, results, build);
        Err(format!(
            "helper function `{name}` needs a context that can add functions"
        ))
    }
}

/// Wasm features code generation may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `sign-ext`: `i32.extend8_s` and friends.
    pub sign_ext: bool,
    /// `tail-call`: `return_call`.
    pub tail_call: bool,
    /// `bulk-memory`: `memory.copy` / `memory.fill`.
    pub bulk_memory: bool,
    /// `nontrapping-fptoint`: `trunc_sat` instructions.
    pub nontrapping_fptoint: bool,
}

impl Default for Options {
    /// LLVM's `generic` CPU: sign-ext, bulk-memory and nontrapping-fptoint on, tail-call off.
    fn default() -> Self {
        Options {
            sign_ext: true,
            tail_call: false,
            bulk_memory: true,
            nontrapping_fptoint: true,
        }
    }
}

impl Options {
    /// Turns one feature on or off by its wasm-ld/LLVM name (`sign-ext`, `tail-call`,
    /// `bulk-memory`, `nontrapping-fptoint`; `multivalue`, `mutable-globals` and
    /// `reference-types` are accepted and change nothing, since wabe does not use them).
    pub fn set_feature(&mut self, name: &str, on: bool) -> Result<(), String> {
        match name {
            "sign-ext" => self.sign_ext = on,
            "tail-call" => self.tail_call = on,
            "bulk-memory" => self.bulk_memory = on,
            "nontrapping-fptoint" => self.nontrapping_fptoint = on,
            "multivalue" | "mutable-globals" | "reference-types" => {}
            _ => return Err(format!("unknown target feature `{name}`")),
        }
        Ok(())
    }

    /// Applies a feature list as `wabe build --features` takes it: `+tail-call,-bulk-memory`.
    pub fn apply_features(&mut self, list: &str) -> Result<(), String> {
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(n) = item.strip_prefix('+') {
                self.set_feature(n, true)?;
            } else if let Some(n) = item.strip_prefix('-') {
                self.set_feature(n, false)?;
            } else {
                return Err(format!("feature `{item}` must start with `+` or `-`"));
            }
        }
        Ok(())
    }
}

/// A function that cannot be lowered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{span}: error: in function `{function}`: {message}")]
pub struct Error {
    /// The function's name.
    pub function: String,
    /// The instruction's position in the source.
    pub span: Span,
    /// What is wrong, e.g. "unsupported: `mul` on `u128`".
    pub message: String,
}
