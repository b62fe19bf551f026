//! The emitter: MIR to a code-section function body.
//!
//! A body is the locals declaration (run-length grouped by value type), the instructions, and the
//! final `end`. Every instruction is written as its opcode (or `0xFC` and a LEB sub-opcode) and its
//! immediate as [`Imm`] describes it.
//!
//! Symbol operands (function and global indices, data addresses, table slots, and the type index
//! of `call_indirect`) come from a [`Resolver`]. Two modes:
//!
//! - **final** (`relocs` is `None`): the value is written in the shortest LEB encoding. This is
//!   what an executable gets, once the linker knows every index and address.
//! - **relocatable** (`relocs` is `Some`): the value is written as a maximally padded LEB (5 bytes
//!   for 32-bit fields, 10 for 64-bit ones) and a [`Reloc`] records where it sits, as
//!   WebAssembly/tool-conventions `Linking.md` requires, so that a linker can patch it in place.

use crate::{Imm, MirFunction, Reloc, RelocKind, SymbolIndex, ValType};

/// Errors from emitting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// A symbol the resolver does not know.
    #[error("unresolved symbol {0:?}")]
    Unresolved(SymbolIndex),
    /// A `br_table` whose `extra` payload is out of bounds.
    #[error("instruction {inst}: br_table payload at extra[{extra}] is out of bounds")]
    BadBrTable {
        /// The instruction index.
        inst: u32,
        /// The extra index it names.
        extra: u32,
    },
    /// `tags` and `data` have different lengths.
    #[error("malformed MIR: {tags} tags but {data} data entries")]
    LengthMismatch {
        /// `tags.len()`.
        tags: usize,
        /// `data.len()`.
        data: usize,
    },
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
    /// In relocatable mode, the table symbol that the table immediate of `call_indirect`
    /// names: the immediate is then a padded LEB with a `TABLE_NUMBER_LEB` relocation, as
    /// current tool-conventions objects write it. `None` (the default) writes the single byte
    /// `0x00` of the MVP encoding, without a relocation.
    fn table_number_symbol(&self) -> Option<SymbolIndex> {
        None
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

/// Writes `v` as an unsigned LEB128 of exactly `len` bytes (`len` ≥ the minimal length). The
/// value bits beyond `7 * len` are dropped.
fn write_padded(out: &mut Vec<u8>, v: u64, len: usize, negative: bool) {
    let mut v = v;
    for i in 0..len {
        let byte = (v & 0x7f) as u8;
        // Arithmetic shift for negative values keeps the sign bits flowing into the last byte.
        v = if negative {
            ((v as i64) >> 7) as u64
        } else {
            v >> 7
        };
        if i + 1 == len {
            out.push(byte);
        } else {
            out.push(byte | 0x80);
        }
    }
}

/// Writes a `varuint32` padded to 5 bytes (as relocatable fields must be).
pub fn write_padded_uleb32(out: &mut Vec<u8>, v: u32) {
    write_padded(out, v as u64, 5, false);
}

/// Writes a `varint32` padded to 5 bytes.
pub fn write_padded_sleb32(out: &mut Vec<u8>, v: i32) {
    write_padded(out, v as i64 as u64, 5, v < 0);
}

/// Writes a `varuint64` padded to 10 bytes.
pub fn write_padded_uleb64(out: &mut Vec<u8>, v: u64) {
    write_padded(out, v, 10, false);
}

/// Writes a `varint64` padded to 10 bytes.
pub fn write_padded_sleb64(out: &mut Vec<u8>, v: i64) {
    write_padded(out, v as u64, 10, v < 0);
}

/// The binary encoding of a value type.
pub fn valtype_byte(t: ValType) -> u8 {
    match t {
        ValType::I32 => 0x7f,
        ValType::I64 => 0x7e,
        ValType::F32 => 0x7d,
        ValType::F64 => 0x7c,
    }
}

/// Writes the locals declaration: runs of equal value types as one `(count, type)` entry.
fn emit_locals(locals: &[ValType], out: &mut Vec<u8>) {
    let groups = locals.chunk_by(|a, b| a == b);
    write_uleb(out, groups.clone().count() as u64);
    for group in groups {
        write_uleb(out, group.len() as u64);
        out.push(valtype_byte(group[0]));
    }
}

/// Writes a function body (locals, instructions, `end`) to `out`, without its size prefix.
/// With `relocs`, symbol operands are padded LEBs recorded as relocations (offsets from the
/// start of the body); without, they are final values in the shortest encoding.
pub fn emit_body(
    func: &MirFunction,
    resolver: &dyn Resolver,
    memory64: bool,
    out: &mut Vec<u8>,
    mut relocs: Option<&mut Vec<Reloc>>,
) -> Result<(), EmitError> {
    if func.tags.len() != func.data.len() {
        return Err(EmitError::LengthMismatch {
            tags: func.tags.len(),
            data: func.data.len(),
        });
    }
    let start = out.len();
    emit_locals(&func.locals, out);

    for (inst, (&tag, &data)) in func.tags.iter().zip(&func.data).enumerate() {
        let imm = tag.immediate();
        let op = tag.opcode();
        match imm {
            // The pseudo-instructions become a constant of the address width.
            Imm::MemAddr | Imm::TableIndex => out.push(if memory64 { 0x42 } else { 0x41 }),
            _ if op >= 0xfc00 => {
                out.push(0xfc);
                write_uleb(out, u64::from(op & 0xff));
            }
            _ => out.push(op as u8),
        }

        // Records a relocation at the current position (relative to the body start).
        let mut record = |out: &Vec<u8>, kind: RelocKind, symbol: SymbolIndex, addend: i64| {
            if let Some(relocs) = relocs.as_deref_mut() {
                relocs.push(Reloc {
                    offset: (out.len() - start) as u32,
                    kind,
                    symbol,
                    addend,
                });
                true
            } else {
                false
            }
        };

        match imm {
            Imm::None => {}
            Imm::BlockType => out.push(data.a as u8),
            Imm::Label | Imm::Local => write_uleb(out, u64::from(data.a)),
            Imm::BrTable => {
                let bad = EmitError::BadBrTable {
                    inst: inst as u32,
                    extra: data.a,
                };
                let at = data.a as usize;
                let count = *func.extra.get(at).ok_or(bad.clone())? as usize;
                let labels = func.extra.get(at + 1..at + 2 + count).ok_or(bad)?;
                write_uleb(out, count as u64);
                for &label in labels {
                    write_uleb(out, u64::from(label));
                }
            }
            Imm::Func => {
                let sym = SymbolIndex(data.a);
                let index = resolver
                    .function_index(sym)
                    .ok_or(EmitError::Unresolved(sym))?;
                if record(out, RelocKind::FunctionIndexLeb, sym, 0) {
                    write_padded_uleb32(out, index);
                } else {
                    write_uleb(out, u64::from(index));
                }
            }
            Imm::CallIndirect => {
                let ty = data.a;
                if record(out, RelocKind::TypeIndexLeb, SymbolIndex(ty), 0) {
                    write_padded_uleb32(out, ty);
                    match resolver.table_number_symbol() {
                        Some(table) => {
                            record(out, RelocKind::TableNumberLeb, table, 0);
                            write_padded_uleb32(out, 0);
                        }
                        None => out.push(0x00),
                    }
                } else {
                    write_uleb(out, u64::from(ty));
                    out.push(0x00);
                }
            }
            Imm::Global => {
                let sym = SymbolIndex(data.a);
                let index = resolver
                    .global_index(sym)
                    .ok_or(EmitError::Unresolved(sym))?;
                if record(out, RelocKind::GlobalIndexLeb, sym, 0) {
                    write_padded_uleb32(out, index);
                } else {
                    write_uleb(out, u64::from(index));
                }
            }
            Imm::MemArg => {
                write_uleb(out, u64::from(data.b));
                write_uleb(out, u64::from(data.a));
            }
            Imm::I32 => write_sleb(out, i64::from(data.a as i32)),
            Imm::I64 => write_sleb(out, data.wide() as i64),
            Imm::F32 => out.extend_from_slice(&data.a.to_le_bytes()),
            Imm::F64 => out.extend_from_slice(&data.wide().to_le_bytes()),
            Imm::Memory => out.push(0x00),
            Imm::MemoryCopy => out.extend_from_slice(&[0x00, 0x00]),
            Imm::MemAddr => {
                let sym = SymbolIndex(data.a);
                let addend = i64::from(data.b as i32);
                let base = resolver
                    .memory_address(sym)
                    .ok_or(EmitError::Unresolved(sym))?;
                let value = (base as i64).wrapping_add(addend);
                if memory64 {
                    if record(out, RelocKind::MemoryAddrSleb64, sym, addend) {
                        write_padded_sleb64(out, value);
                    } else {
                        write_sleb(out, value);
                    }
                } else if record(out, RelocKind::MemoryAddrSleb, sym, addend) {
                    write_padded_sleb32(out, value as i32);
                } else {
                    write_sleb(out, i64::from(value as i32));
                }
            }
            Imm::TableIndex => {
                let sym = SymbolIndex(data.a);
                let slot = resolver
                    .table_index(sym)
                    .ok_or(EmitError::Unresolved(sym))?;
                if memory64 {
                    if record(out, RelocKind::TableIndexSleb64, sym, 0) {
                        write_padded_sleb64(out, i64::from(slot));
                    } else {
                        write_sleb(out, i64::from(slot));
                    }
                } else if record(out, RelocKind::TableIndexSleb, sym, 0) {
                    write_padded_sleb32(out, slot as i32);
                } else {
                    write_sleb(out, i64::from(slot as i32));
                }
            }
        }
    }
    out.push(0x0b);
    Ok(())
}
