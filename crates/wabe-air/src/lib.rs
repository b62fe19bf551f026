//! # wabe-air
//!
//! The input IR of wabe, in the data-oriented form of Zig's AIR: a function is parallel arrays
//! of instruction tags, 8-byte data and result types, one `extra` array of `u32` for operands and
//! bodies, and a constant pool. This crate holds the [`Module`] and [`Air`] data structures, the
//! [`FuncBuilder`] for compilers that build IR directly, the text [parser](parse) and
//! [printer](print) (print then parse gives the same module), the [verifier](verify) (which also
//! computes result types), and [`Liveness`].
//!
//! It knows types (from `wabe-types`) but nothing about wasm.
//!
//! # Example
//!
//! ```
//! let src = "
//! export fn add1(%x: u32) u32 {
//!   %y = add %x, 1:u32
//!   ret %y
//! }
//! ";
//! let mut module = wabe_air::parse(src).unwrap();
//! wabe_air::verify(&mut module).unwrap();
//! let text = wabe_air::print(&module);
//! assert!(text.contains("%y = add %x, 1:u32"));
//! ```

#![deny(missing_docs)]

mod air;
mod builder;
mod inst;
mod lexer;
mod liveness;
mod module;
pub mod parse;
pub mod print;
pub mod verify;

pub use air::{Air, CondBrExtra, Constant, Ref, Span, SwitchBrExtra, SwitchCase, INFER, NO_NAME};
pub use builder::FuncBuilder;
pub use inst::{Data, Form, Tag};
pub use liveness::Liveness;
pub use module::{Decl, DeclIndex, DeclKind, ExternFn, Function, Global, Module, TypeItem};
pub use parse::{parse, parse_with_target};
pub use print::print;
pub use verify::verify;

use std::fmt;

/// One error, at a place in the IR text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where (0:0 when the IR was not built from text).
    pub span: Span,
    /// What is wrong, as a sentence without a trailing period.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.span, self.message)
    }
}

/// Errors from parsing or verifying: every diagnostic found, in source order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .diagnostics.first().map(|d| d.to_string()).unwrap_or_default())]
pub struct Error {
    /// The diagnostics, at least one.
    pub diagnostics: Vec<Diagnostic>,
}

impl Error {
    /// An error with one diagnostic.
    pub fn new(span: Span, message: impl Into<String>) -> Error {
        Error {
            diagnostics: vec![Diagnostic {
                span,
                message: message.into(),
            }],
        }
    }
}
