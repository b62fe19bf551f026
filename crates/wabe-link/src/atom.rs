//! Atoms: the relocatable pieces of the output. A function's atom holds its MIR; a data atom
//! holds its bytes. Either kind owns child *local* atoms (anonymous read-only data that only it
//! refers to, such as a by-ref constant used in a function body), which live and die with it.

use std::fmt;

use wabe_mir::{MirFunction, Reloc, SymbolIndex};

/// The index of an atom in the linker's atom table.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct AtomIndex(pub u32);

impl fmt::Display for AtomIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "atom{}", self.0)
    }
}

/// The output data segment an atom goes to (WebAssembly/tool-conventions segment names).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Segment {
    /// `.rodata`: read-only data.
    Rodata,
    /// `.data`: mutable data with some non-zero byte or a relocation.
    Data,
    /// `.bss`: mutable, all-zero data. Costs no file bytes unless memory is imported.
    Bss,
}

impl Segment {
    /// The output segment name.
    pub fn name(self) -> &'static str {
        match self {
            Segment::Rodata => ".rodata",
            Segment::Data => ".data",
            Segment::Bss => ".bss",
        }
    }

    /// All segments in output order.
    pub const ALL: [Segment; 3] = [Segment::Rodata, Segment::Data, Segment::Bss];
}

/// What an atom holds.
#[derive(Clone, Debug, PartialEq)]
pub enum AtomKind {
    /// A function: its MIR, once set.
    Code(Option<MirFunction>),
    /// Data bytes placed in a segment.
    Data {
        /// The initial contents (relocated fields hold placeholders).
        bytes: Vec<u8>,
        /// The output segment.
        segment: Segment,
    },
    /// Zero-initialised mutable data of `size` bytes (`.bss`): no bytes are stored.
    Zeros {
        /// The size in bytes.
        size: u64,
    },
    /// A freed atom slot.
    Free,
}

/// One relocatable piece: a function body or a data blob, and the places in it that name other
/// symbols.
#[derive(Clone, Debug, PartialEq)]
pub struct Atom {
    /// The symbol this atom defines.
    pub symbol: SymbolIndex,
    /// The contents.
    pub kind: AtomKind,
    /// Alignment in bytes (a power of two); 1 for code.
    pub alignment: u32,
    /// Relocations of data atoms (offsets into `bytes`). Code atoms keep their symbol operands
    /// in MIR instead: the emitter resolves them when the layout is known.
    pub relocs: Vec<Reloc>,
    /// Child atoms owned by this one.
    pub locals: Vec<AtomIndex>,
    /// The atom owning this one, for a local atom.
    pub parent: Option<AtomIndex>,
}

impl Atom {
    /// The data bytes, for a data atom with stored bytes.
    pub fn data(&self) -> Option<&[u8]> {
        match &self.kind {
            AtomKind::Data { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// The output data segment of a data atom (`.bss` for zero-initialised data).
    pub fn segment(&self) -> Option<Segment> {
        match &self.kind {
            AtomKind::Data { segment, .. } => Some(*segment),
            AtomKind::Zeros { .. } => Some(Segment::Bss),
            _ => None,
        }
    }

    /// The size in memory of a data atom (0 for code).
    pub fn data_size(&self) -> u64 {
        match &self.kind {
            AtomKind::Data { bytes, .. } => bytes.len() as u64,
            AtomKind::Zeros { size } => *size,
            _ => 0,
        }
    }
}
