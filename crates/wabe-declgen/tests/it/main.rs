//! Tests of declaration code generation: the bytes and pointer fields of every kind of
//! constant (IR.md section 4), computed by hand from the layout rules of IR.md 3.1, and the
//! calls made to the linker.

mod link;
mod lower;

use wabe_air::{DeclIndex, Module};

/// Parses and verifies a module.
pub fn module(src: &str) -> Module {
    let mut m = wabe_air::parse(src).unwrap_or_else(|e| panic!("{e}"));
    wabe_air::verify(&mut m).unwrap_or_else(|e| panic!("{e}"));
    m
}

/// The declaration named `name`.
pub fn decl(m: &Module, name: &str) -> DeclIndex {
    m.decl_by_name(m.types.names.get(name).unwrap()).unwrap()
}
