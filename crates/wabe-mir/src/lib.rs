//! # wabe-mir
//!
//! The wasm machine IR: one function's wasm instructions as flat arrays ([`MirTag`] +
//! [`MirData`] + `extra`), its extra locals, and the emitter that turns it into a code-section
//! function body.
//!
//! Operands that only the linker knows (function, global and type indices, data addresses,
//! table slots) are symbols in MIR. The emitter asks a [`Resolver`] for them: when writing an
//! executable it writes the final value with the shortest LEB encoding; when writing a
//! relocatable object it writes a maximally padded LEB and records a [`Reloc`].
//!
//! This crate knows wasm, not the IR it was generated from nor how the linker lays things out.
//!
//! [`MirFunction::display`] prints a function in a WAT-like form (one instruction per line,
//! block bodies indented, symbols as `@sym3`) for snapshot tests.
//!
//! # Example
//!
//! ```
//! use wabe_mir::{emit_body, MirFunction, MirTag, MirData, Resolver};
//!
//! struct NoSymbols;
//! impl Resolver for NoSymbols {}
//!
//! // (func (param i32) (result i32) local.get 0 i32.const 1 i32.add)
//! let mut f = MirFunction::default();
//! f.push(MirTag::LocalGet, MirData { a: 0, b: 0 });
//! f.push(MirTag::I32Const, MirData { a: 1, b: 0 });
//! f.push(MirTag::I32Add, MirData::default());
//! let mut out = Vec::new();
//! emit_body(&f, &NoSymbols, false, &mut out, None).unwrap();
//! assert_eq!(out, [0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b]);
//! ```

#![deny(missing_docs)]

mod display;
mod emit;
mod inst;

pub use emit::{
    emit_body, valtype_byte, write_padded_sleb32, write_padded_sleb64, write_padded_uleb32,
    write_padded_uleb64, write_sleb, write_uleb, EmitError, Resolver,
};
pub use inst::{Imm, MirData, MirTag};
pub use wabe_types::ValType;

/// A symbol of the linker, as MIR refers to it. Opaque here.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct SymbolIndex(pub u32);

/// Relocation types of WebAssembly/tool-conventions Linking.md (the values are the type codes).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum RelocKind {
    /// A function index as a 5-byte `varuint32` (`call`).
    FunctionIndexLeb = 0,
    /// A table index as a 5-byte `varint32` (`i32.const` of a function address).
    TableIndexSleb = 1,
    /// A table index as a 4-byte `uint32` (function pointer in data).
    TableIndexI32 = 2,
    /// A memory address as a 5-byte `varuint32` (`memarg` offset).
    MemoryAddrLeb = 3,
    /// A memory address as a 5-byte `varint32` (`i32.const` of a data address).
    MemoryAddrSleb = 4,
    /// A memory address as a 4-byte `uint32` (pointer in data).
    MemoryAddrI32 = 5,
    /// A type index as a 5-byte `varuint32` (`call_indirect`).
    TypeIndexLeb = 6,
    /// A global index as a 5-byte `varuint32` (`global.get`).
    GlobalIndexLeb = 7,
    /// A memory address as a 10-byte `varuint64` (wasm64 `memarg`).
    MemoryAddrLeb64 = 14,
    /// A memory address as a 10-byte `varint64` (wasm64 `i64.const`).
    MemoryAddrSleb64 = 15,
    /// A memory address as an 8-byte `uint64` (wasm64 data).
    MemoryAddrI64 = 16,
    /// A table index as a 10-byte `varint64` (wasm64 function address).
    TableIndexSleb64 = 18,
    /// A table index as an 8-byte `uint64` (wasm64 data).
    TableIndexI64 = 19,
    /// A table number as a 5-byte `varuint32`.
    TableNumberLeb = 20,
}

impl RelocKind {
    /// Whether entries of this type carry an addend.
    pub fn has_addend(self) -> bool {
        matches!(
            self,
            RelocKind::MemoryAddrLeb
                | RelocKind::MemoryAddrSleb
                | RelocKind::MemoryAddrI32
                | RelocKind::MemoryAddrLeb64
                | RelocKind::MemoryAddrSleb64
                | RelocKind::MemoryAddrI64
        )
    }
}

/// A place in a function body or data blob whose value the linker writes.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Reloc {
    /// Byte offset from the start of the body (or data blob).
    pub offset: u32,
    /// What is written there.
    pub kind: RelocKind,
    /// The target symbol (a type index for `TypeIndexLeb`).
    pub symbol: SymbolIndex,
    /// Added to a memory address.
    pub addend: i64,
}

/// One function in MIR: its extra locals (after the parameters) and its instructions, without
/// the final `end`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MirFunction {
    /// Locals declared after the parameters.
    pub locals: Vec<ValType>,
    /// Instruction tags.
    pub tags: Vec<MirTag>,
    /// Instruction operands.
    pub data: Vec<MirData>,
    /// Operands that do not fit [`MirData`] (`br_table` labels).
    pub extra: Vec<u32>,
}

impl MirFunction {
    /// Appends an instruction.
    pub fn push(&mut self, tag: MirTag, data: MirData) {
        self.tags.push(tag);
        self.data.push(data);
    }

    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there are no instructions.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}
