//! Symbols: one table for every function, data and global symbol, with a free list so that an
//! incremental update can reuse the index of a freed declaration. Names are interned.

use std::hash::{Hash, Hasher};

use indexmap::{Equivalent, IndexSet};
use wabe_mir::{SymbolIndex, ValType};

use crate::AtomIndex;

/// An interned name (symbol, import module or export name).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct NameId(pub(crate) u32);

/// Interned strings; `symbol_of[name]` is the global symbol of that name, if any.
#[derive(Default, Debug)]
pub(crate) struct Names {
    strings: IndexSet<String>,
    symbol_of: Vec<Option<SymbolIndex>>,
}

impl Names {
    pub(crate) fn intern(&mut self, s: &str) -> NameId {
        if let Some(i) = self.strings.get_index_of(s) {
            return NameId(i as u32);
        }
        let (i, _) = self.strings.insert_full(s.to_owned());
        self.symbol_of.push(None);
        NameId(i as u32)
    }

    pub(crate) fn get(&self, s: &str) -> Option<NameId> {
        self.strings.get_index_of(s).map(|i| NameId(i as u32))
    }

    pub(crate) fn str(&self, id: NameId) -> &str {
        &self.strings[id.0 as usize]
    }

    pub(crate) fn symbol(&self, id: NameId) -> Option<SymbolIndex> {
        self.symbol_of[id.0 as usize]
    }

    pub(crate) fn set_symbol(&mut self, id: NameId, sym: Option<SymbolIndex>) {
        self.symbol_of[id.0 as usize] = sym;
    }
}

/// A symbol flag of WebAssembly/tool-conventions Linking.md: local binding.
pub(crate) const BINDING_LOCAL: u32 = 0x2;
/// A symbol flag: hidden visibility.
pub(crate) const VISIBILITY_HIDDEN: u32 = 0x4;
/// A symbol flag: undefined (an import, or not defined yet).
pub(crate) const UNDEFINED: u32 = 0x10;

/// One entry of the symbol table.
#[derive(Clone, Debug)]
pub(crate) struct Symbol {
    /// The name; `None` for anonymous local data.
    pub(crate) name: Option<NameId>,
    /// Linking.md flags (`BINDING_LOCAL`, `UNDEFINED`, ...).
    pub(crate) flags: u32,
    pub(crate) kind: SymbolKind,
    /// The output order key: functions, imports, exports and top-level data are laid out by
    /// increasing key. By default the creation sequence (from 2^32 up); the driver sets
    /// explicit keys (below 2^32) so that the output does not depend on the history of an
    /// incremental compilation.
    pub(crate) order: u64,
}

/// What a symbol is.
#[derive(Clone, Debug)]
pub(crate) enum SymbolKind {
    /// Freed; its index is on the free list.
    Dead,
    /// A function of type `ty` (an index into the function type table).
    Function { ty: u32, def: FunctionDef },
    /// A data symbol.
    Data(DataDef),
    /// A wasm global.
    Global(GlobalDef),
}

/// Where a function comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum FunctionDef {
    /// Defined here; the atom holds its MIR.
    Defined(AtomIndex),
    /// Imported from `module` under `field`.
    Import { module: NameId, field: NameId },
    /// Referenced but not defined: an error at flush, or an `env` import with
    /// `allow_undefined`.
    Undefined,
}

/// Where a data symbol's bytes come from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum DataDef {
    /// An atom (possibly a local atom of another symbol's atom).
    Defined(AtomIndex),
    /// Declared, not defined yet.
    Undefined,
    /// An address the linker computes (`__heap_base`, `__data_end`).
    Synthetic(Synthetic),
}

/// Linker-provided data symbols.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Synthetic {
    HeapBase,
    DataEnd,
    /// The error-name table: one `[]const u8` per error value (entry 0 is empty).
    ErrorNames,
    /// A tag-name table: one `[]const u8` per enum field, index into `Linker::tag_tables`.
    TagNames(u32),
}

/// A global the linker defines.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum GlobalDef {
    /// `__stack_pointer`: a mutable pointer-sized global set to the top of the stack.
    StackPointer,
}

/// A function signature in the type table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FuncSig {
    pub(crate) params: Box<[ValType]>,
    pub(crate) results: Box<[ValType]>,
}

/// A borrowed signature, for looking one up without allocating. Hashes exactly as [`FuncSig`].
pub(crate) struct SigRef<'a>(pub(crate) &'a [ValType], pub(crate) &'a [ValType]);

impl Hash for SigRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
        self.1.hash(state);
    }
}

impl Equivalent<FuncSig> for SigRef<'_> {
    fn equivalent(&self, key: &FuncSig) -> bool {
        *self.0 == *key.params && *self.1 == *key.results
    }
}
