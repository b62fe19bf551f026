//! The emitter: MIR to a code-section function body. TO BE WRITTEN.

use crate::{MirFunction, Reloc, SymbolIndex};

/// Errors from emitting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// A symbol the resolver does not know.
    #[error("unresolved symbol {0:?}")]
    Unresolved(SymbolIndex),
}

/// Final values of symbols, asked by the emitter.
pub trait Resolver {
    /// The function index of a function symbol.
    fn function_index(&self, sym: SymbolIndex) -> Option<u32> {
        Some(sym.0)
    }
    /// The global index of a global symbol.
    fn global_index(&self, sym: SymbolIndex) -> Option<u32> {
        Some(sym.0)
    }
    /// The address of a data symbol (without addend).
    fn memory_address(&self, sym: SymbolIndex) -> Option<u64> {
        Some(sym.0 as u64)
    }
    /// The table slot of a function symbol.
    fn table_index(&self, sym: SymbolIndex) -> Option<u32> {
        Some(sym.0)
    }
}

/// Writes an unsigned LEB128.
pub fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Writes a signed LEB128.
pub fn write_sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Writes a function body (locals, instructions, `end`) to `out`, without its size prefix.
/// With `relocs`, symbol operands are padded LEBs recorded as relocations (offsets from the
/// start of the body); without, they are final values in the shortest encoding.
pub fn emit_body(
    _func: &MirFunction,
    _resolver: &dyn Resolver,
    _memory64: bool,
    _out: &mut Vec<u8>,
    _relocs: Option<&mut Vec<Reloc>>,
) -> Result<(), EmitError> {
    Ok(())
}
