//! # wabe-object
//!
//! Encoders for the custom sections that make a WebAssembly module a relocatable object, as
//! described by [WebAssembly/tool-conventions Linking.md][linking]: the `linking` section
//! (symbol table, segment info, init functions, comdats) and the `reloc.*` sections. The rest of
//! an object is an ordinary module (written with `wasm-encoder`); reading objects is done with
//! `wasmparser`, whose `LinkingSectionReader` and `RelocSectionReader` parse these sections.
//!
//! [linking]: https://github.com/WebAssembly/tool-conventions/blob/main/Linking.md
//!
//! # Example
//!
//! ```
//! use wabe_object::{LinkingSection, RelocSection, RelocType, SymbolFlags, SymbolInfo};
//!
//! let mut linking = LinkingSection::new();
//! linking.symbol(SymbolInfo::Function { flags: SymbolFlags::empty(), index: 0, name: Some("f".into()) });
//! linking.symbol(SymbolInfo::Data {
//!     flags: SymbolFlags::BINDING_LOCAL,
//!     name: "str".into(),
//!     defined: Some((0, 0, 6)),
//! });
//! linking.segment(".rodata.str", 0, 0);
//! let bytes = linking.encode();
//! assert_eq!(bytes[0], 2); // version
//!
//! let mut reloc = RelocSection::new(3);
//! reloc.entry(RelocType::FunctionIndexLeb, 7, 0, 0);
//! assert_eq!(reloc.encode(), vec![3, 1, 0, 7, 0]);
//! ```

#![deny(missing_docs)]

use std::ops::BitOr;

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
        if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    write_uleb(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Symbol flags (`WASM_SYM_*`).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct SymbolFlags(pub u32);

impl SymbolFlags {
    /// `BINDING_WEAK`.
    pub const BINDING_WEAK: SymbolFlags = SymbolFlags(0x1);
    /// `BINDING_LOCAL`.
    pub const BINDING_LOCAL: SymbolFlags = SymbolFlags(0x2);
    /// `VISIBILITY_HIDDEN`.
    pub const VISIBILITY_HIDDEN: SymbolFlags = SymbolFlags(0x4);
    /// `UNDEFINED`.
    pub const UNDEFINED: SymbolFlags = SymbolFlags(0x10);
    /// `EXPORTED`.
    pub const EXPORTED: SymbolFlags = SymbolFlags(0x20);
    /// `EXPLICIT_NAME`.
    pub const EXPLICIT_NAME: SymbolFlags = SymbolFlags(0x40);
    /// `NO_STRIP`.
    pub const NO_STRIP: SymbolFlags = SymbolFlags(0x80);
    /// `TLS`.
    pub const TLS: SymbolFlags = SymbolFlags(0x100);
    /// `ABSOLUTE`.
    pub const ABSOLUTE: SymbolFlags = SymbolFlags(0x200);

    /// No flags: a global, default-visibility, defined symbol.
    pub const fn empty() -> SymbolFlags {
        SymbolFlags(0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: SymbolFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for SymbolFlags {
    type Output = SymbolFlags;
    fn bitor(self, rhs: SymbolFlags) -> SymbolFlags {
        SymbolFlags(self.0 | rhs.0)
    }
}

/// One entry of the symbol table (`WASM_SYMBOL_TABLE`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SymbolInfo {
    /// A function: `index` in the function index space (imports first). `name` is required
    /// unless the symbol is an import without `EXPLICIT_NAME`.
    Function {
        /// Flags.
        flags: SymbolFlags,
        /// Function index.
        index: u32,
        /// Name.
        name: Option<String>,
    },
    /// A data symbol; `defined` is `(segment index, offset, size)` unless it is undefined.
    Data {
        /// Flags.
        flags: SymbolFlags,
        /// Name.
        name: String,
        /// `(segment, offset, size)` for a defined symbol.
        defined: Option<(u32, u64, u64)>,
    },
    /// A global: `index` in the global index space.
    Global {
        /// Flags.
        flags: SymbolFlags,
        /// Global index.
        index: u32,
        /// Name.
        name: Option<String>,
    },
    /// A section symbol (for relocations against custom sections).
    Section {
        /// Flags.
        flags: SymbolFlags,
        /// Section index.
        section: u32,
    },
    /// A table: `index` in the table index space.
    Table {
        /// Flags.
        flags: SymbolFlags,
        /// Table index.
        index: u32,
        /// Name.
        name: Option<String>,
    },
}

/// Relocation types (the `R_WASM_*` codes).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum RelocType {
    FunctionIndexLeb = 0,
    TableIndexSleb = 1,
    TableIndexI32 = 2,
    MemoryAddrLeb = 3,
    MemoryAddrSleb = 4,
    MemoryAddrI32 = 5,
    TypeIndexLeb = 6,
    GlobalIndexLeb = 7,
    FunctionOffsetI32 = 8,
    SectionOffsetI32 = 9,
    EventIndexLeb = 10,
    MemoryAddrRelSleb = 11,
    TableIndexRelSleb = 12,
    GlobalIndexI32 = 13,
    MemoryAddrLeb64 = 14,
    MemoryAddrSleb64 = 15,
    MemoryAddrI64 = 16,
    MemoryAddrRelSleb64 = 17,
    TableIndexSleb64 = 18,
    TableIndexI64 = 19,
    TableNumberLeb = 20,
    MemoryAddrTlsSleb = 21,
    FunctionOffsetI64 = 22,
    MemoryAddrLocrelI32 = 23,
    TableIndexRelSleb64 = 24,
    MemoryAddrTlsSleb64 = 25,
    FunctionIndexI32 = 26,
}

impl RelocType {
    /// Whether entries of this type carry an addend.
    pub fn has_addend(self) -> bool {
        use RelocType::*;
        matches!(
            self,
            MemoryAddrLeb
                | MemoryAddrSleb
                | MemoryAddrI32
                | MemoryAddrRelSleb
                | MemoryAddrLeb64
                | MemoryAddrSleb64
                | MemoryAddrI64
                | MemoryAddrRelSleb64
                | MemoryAddrTlsSleb
                | MemoryAddrTlsSleb64
                | MemoryAddrLocrelI32
                | FunctionOffsetI32
                | FunctionOffsetI64
                | SectionOffsetI32
        )
    }

    /// The type with this code.
    pub fn from_code(code: u8) -> Option<RelocType> {
        use RelocType::*;
        const ALL: [RelocType; 27] = [
            FunctionIndexLeb,
            TableIndexSleb,
            TableIndexI32,
            MemoryAddrLeb,
            MemoryAddrSleb,
            MemoryAddrI32,
            TypeIndexLeb,
            GlobalIndexLeb,
            FunctionOffsetI32,
            SectionOffsetI32,
            EventIndexLeb,
            MemoryAddrRelSleb,
            TableIndexRelSleb,
            GlobalIndexI32,
            MemoryAddrLeb64,
            MemoryAddrSleb64,
            MemoryAddrI64,
            MemoryAddrRelSleb64,
            TableIndexSleb64,
            TableIndexI64,
            TableNumberLeb,
            MemoryAddrTlsSleb,
            FunctionOffsetI64,
            MemoryAddrLocrelI32,
            TableIndexRelSleb64,
            MemoryAddrTlsSleb64,
            FunctionIndexI32,
        ];
        ALL.get(code as usize).copied()
    }
}

/// Builds the `linking` custom section (version 2).
#[derive(Clone, Debug, Default)]
pub struct LinkingSection {
    symbols: Vec<SymbolInfo>,
    segments: Vec<(String, u32, u32)>,
    init_funcs: Vec<(u32, u32)>,
    comdats: Vec<(String, Vec<(u8, u32)>)>,
}

impl LinkingSection {
    /// An empty section.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a symbol; returns its index in the symbol table.
    pub fn symbol(&mut self, s: SymbolInfo) -> u32 {
        self.symbols.push(s);
        self.symbols.len() as u32 - 1
    }

    /// Describes the next data segment: its name, alignment as log2, and flags
    /// (`1` STRINGS, `2` TLS, `4` RETAIN).
    pub fn segment(&mut self, name: &str, align_log2: u32, flags: u32) {
        self.segments.push((name.to_string(), align_log2, flags));
    }

    /// Adds an init function: `priority` and the function's symbol index.
    pub fn init_func(&mut self, priority: u32, symbol: u32) {
        self.init_funcs.push((priority, symbol));
    }

    /// Adds a comdat with its members as `(kind, index)` (`0` data segment, `1` function,
    /// `2` global, `3` event, `4` table, `5` section).
    pub fn comdat(&mut self, name: &str, members: Vec<(u8, u32)>) {
        self.comdats.push((name.to_string(), members));
    }

    /// The section payload (what follows the custom section's name).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![2u8];
        let mut sub = Vec::new();
        let emit = |out: &mut Vec<u8>, id: u8, payload: &[u8]| {
            out.push(id);
            write_uleb(out, payload.len() as u64);
            out.extend_from_slice(payload);
        };
        if !self.segments.is_empty() {
            sub.clear();
            write_uleb(&mut sub, self.segments.len() as u64);
            for (name, align, flags) in &self.segments {
                write_str(&mut sub, name);
                write_uleb(&mut sub, *align as u64);
                write_uleb(&mut sub, *flags as u64);
            }
            emit(&mut out, 5, &sub);
        }
        if !self.symbols.is_empty() {
            sub.clear();
            write_uleb(&mut sub, self.symbols.len() as u64);
            for s in &self.symbols {
                encode_symbol(&mut sub, s);
            }
            emit(&mut out, 8, &sub);
        }
        // INIT_FUNCS must come after the symbol table.
        if !self.init_funcs.is_empty() {
            sub.clear();
            write_uleb(&mut sub, self.init_funcs.len() as u64);
            for (p, s) in &self.init_funcs {
                write_uleb(&mut sub, *p as u64);
                write_uleb(&mut sub, *s as u64);
            }
            emit(&mut out, 6, &sub);
        }
        if !self.comdats.is_empty() {
            sub.clear();
            write_uleb(&mut sub, self.comdats.len() as u64);
            for (name, members) in &self.comdats {
                write_str(&mut sub, name);
                write_uleb(&mut sub, 0);
                write_uleb(&mut sub, members.len() as u64);
                for (kind, index) in members {
                    sub.push(*kind);
                    write_uleb(&mut sub, *index as u64);
                }
            }
            emit(&mut out, 7, &sub);
        }
        out
    }
}

fn encode_symbol(out: &mut Vec<u8>, s: &SymbolInfo) {
    let named =
        |out: &mut Vec<u8>, kind: u8, flags: SymbolFlags, index: u32, name: &Option<String>| {
            out.push(kind);
            write_uleb(out, flags.0 as u64);
            write_uleb(out, index as u64);
            let undefined = flags.contains(SymbolFlags::UNDEFINED);
            if !undefined || flags.contains(SymbolFlags::EXPLICIT_NAME) {
                write_str(out, name.as_deref().unwrap_or(""));
            }
        };
    match s {
        SymbolInfo::Function { flags, index, name } => named(out, 0, *flags, *index, name),
        SymbolInfo::Global { flags, index, name } => named(out, 2, *flags, *index, name),
        SymbolInfo::Table { flags, index, name } => named(out, 5, *flags, *index, name),
        SymbolInfo::Data {
            flags,
            name,
            defined,
        } => {
            out.push(1);
            write_uleb(out, flags.0 as u64);
            write_str(out, name);
            if let Some((segment, offset, size)) = defined {
                write_uleb(out, *segment as u64);
                write_uleb(out, *offset);
                write_uleb(out, *size);
            }
        }
        SymbolInfo::Section { flags, section } => {
            out.push(3);
            write_uleb(out, flags.0 as u64);
            write_uleb(out, *section as u64);
        }
    }
}

/// Builds one `reloc.*` custom section: the relocations of one target section.
#[derive(Clone, Debug)]
pub struct RelocSection {
    section: u32,
    entries: Vec<(RelocType, u32, u32, i64)>,
}

impl RelocSection {
    /// Relocations applying to the section at index `section` (counting every section of the
    /// module from 0, custom sections included).
    pub fn new(section: u32) -> Self {
        RelocSection {
            section,
            entries: Vec::new(),
        }
    }

    /// Adds an entry: `offset` from the start of the target section's contents (after its id
    /// and size), `index` a symbol index (a type index for `TypeIndexLeb`), `addend` written
    /// only for the types that have one.
    pub fn entry(&mut self, ty: RelocType, offset: u32, index: u32, addend: i64) {
        self.entries.push((ty, offset, index, addend));
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The section payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.entries.len() * 8);
        write_uleb(&mut out, self.section as u64);
        write_uleb(&mut out, self.entries.len() as u64);
        for &(ty, offset, index, addend) in &self.entries {
            out.push(ty as u8);
            write_uleb(&mut out, offset as u64);
            write_uleb(&mut out, index as u64);
            if ty.has_addend() {
                write_sleb(&mut out, addend);
            }
        }
        out
    }
}
