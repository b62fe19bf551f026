//! The [`Linker`]: the symbol and atom tables and the declaration API. Flushing (layout and
//! writing) lives in `flush.rs`.

use indexmap::{IndexMap, IndexSet};
use wabe_mir::{MirFunction, Reloc, RelocKind, SymbolIndex, ValType};

use crate::atom::{Atom, AtomIndex, AtomKind, Segment};
use crate::flush::{MemoryLayout, SymbolValue};
use crate::symbol::{
    DataDef, FuncSig, FunctionDef, GlobalDef, NameId, Names, SigRef, Symbol, SymbolKind, Synthetic,
    BINDING_LOCAL, UNDEFINED, VISIBILITY_HIDDEN,
};
use crate::{LinkError, LinkOptions};

/// The linker: owns every symbol, atom, function type and export of one output module, and
/// writes the module on [`flush`](Linker::flush).
///
/// Symbols are handed out as [`SymbolIndex`]es, which MIR uses for calls, globals, data
/// addresses and table slots. Indices stay valid until the symbol is freed
/// ([`free_symbol`](Linker::free_symbol)); a freed index may be reused by a later declaration.
#[derive(Debug)]
pub struct Linker {
    pub(crate) options: LinkOptions,
    pub(crate) names: Names,
    pub(crate) symbols: Vec<Symbol>,
    symbols_free: Vec<SymbolIndex>,
    pub(crate) atoms: Vec<Atom>,
    atoms_free: Vec<AtomIndex>,
    pub(crate) func_types: IndexSet<FuncSig>,
    /// Export name → symbol, in the order exports were added.
    pub(crate) exports: IndexMap<NameId, SymbolIndex>,
    stack_pointer: SymbolIndex,
    heap_base: SymbolIndex,
    data_end: SymbolIndex,
    /// The layout of the last successful flush.
    pub(crate) layout: Option<MemoryLayout>,
    /// Final values of every symbol at the last successful flush.
    pub(crate) values: Vec<SymbolValue>,
    /// The next default order key (creation sequence, from 2^32 up).
    next_order: u64,
    /// Error names in value order (value `i + 1` is `error_names[i]`).
    pub(crate) error_names: Vec<String>,
    /// The error-name table symbol, once asked for.
    error_table: Option<SymbolIndex>,
    /// Tag-name tables: the names of each, and its symbol.
    pub(crate) tag_tables: Vec<(Box<[String]>, SymbolIndex)>,
}

impl Linker {
    /// A linker with no symbols but the linker-provided ones: the `__stack_pointer` global and
    /// the `__heap_base` and `__data_end` data symbols.
    pub fn new(options: LinkOptions) -> Linker {
        let mut linker = Linker {
            options,
            names: Names::default(),
            symbols: Vec::new(),
            symbols_free: Vec::new(),
            atoms: Vec::new(),
            atoms_free: Vec::new(),
            func_types: IndexSet::new(),
            exports: IndexMap::new(),
            stack_pointer: SymbolIndex(0),
            heap_base: SymbolIndex(0),
            data_end: SymbolIndex(0),
            layout: None,
            values: Vec::new(),
            next_order: 1 << 32,
            error_names: Vec::new(),
            error_table: None,
            tag_tables: Vec::new(),
        };
        linker.stack_pointer = linker.add_named(
            "__stack_pointer",
            0,
            SymbolKind::Global(GlobalDef::StackPointer),
        );
        linker.heap_base = linker.add_named(
            "__heap_base",
            0,
            SymbolKind::Data(DataDef::Synthetic(Synthetic::HeapBase)),
        );
        linker.data_end = linker.add_named(
            "__data_end",
            0,
            SymbolKind::Data(DataDef::Synthetic(Synthetic::DataEnd)),
        );
        linker
    }

    /// The options this linker was created with.
    pub fn options(&self) -> &LinkOptions {
        &self.options
    }

    /// The `__stack_pointer` global symbol, for MIR `global.get`/`global.set`.
    pub fn stack_pointer(&self) -> SymbolIndex {
        self.stack_pointer
    }

    /// The linker-provided `__heap_base` data symbol (its address is the start of the heap).
    pub fn heap_base_symbol(&self) -> SymbolIndex {
        self.heap_base
    }

    /// The linker-provided `__data_end` data symbol (its address is the end of the data).
    pub fn data_end_symbol(&self) -> SymbolIndex {
        self.data_end
    }

    /// The global (non-local) symbol with this name.
    pub fn symbol_by_name(&self, name: &str) -> Option<SymbolIndex> {
        self.names.get(name).and_then(|n| self.names.symbol(n))
    }

    /// The name of a symbol (`None` for anonymous local data or an unknown index).
    pub fn symbol_name(&self, sym: SymbolIndex) -> Option<&str> {
        let s = self.symbols.get(sym.0 as usize)?;
        if matches!(s.kind, SymbolKind::Dead) {
            return None;
        }
        s.name.map(|n| self.names.str(n))
    }

    /// The index of a function type in the type section, adding it if new. Types are never
    /// removed, so an index stays valid for the linker's lifetime.
    pub fn func_type_index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        if let Some(i) = self.func_types.get_index_of(&SigRef(params, results)) {
            return i as u32;
        }
        let (i, _) = self.func_types.insert_full(FuncSig {
            params: params.into(),
            results: results.into(),
        });
        i as u32
    }

    /// The number of function types.
    pub fn func_type_count(&self) -> usize {
        self.func_types.len()
    }

    // ---------------------------------------------------------------------------------------
    // Functions
    // ---------------------------------------------------------------------------------------

    /// Declares a function defined in this module; its body is set later with
    /// [`set_function_body`](Linker::set_function_body). A name already declared as an
    /// undefined function of the same signature becomes this definition (same index).
    pub fn declare_function(
        &mut self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<SymbolIndex, LinkError> {
        let ty = self.func_type_index(params, results);
        let name_id = self.names.intern(name);
        let sym = match self.names.symbol(name_id) {
            None => {
                let sym = self.add_symbol(Symbol {
                    name: Some(name_id),
                    flags: 0,
                    kind: SymbolKind::Dead,
                    order: 0,
                });
                self.names.set_symbol(name_id, Some(sym));
                sym
            }
            Some(sym) => match self.symbols[sym.0 as usize].kind {
                SymbolKind::Function {
                    ty: old,
                    def: FunctionDef::Undefined,
                } => {
                    if old != ty {
                        return Err(LinkError::SignatureMismatch { name: name.into() });
                    }
                    sym
                }
                _ => return Err(LinkError::DuplicateSymbol { name: name.into() }),
            },
        };
        let atom = self.add_atom(Atom {
            symbol: sym,
            kind: AtomKind::Code(None),
            alignment: 1,
            relocs: Vec::new(),
            locals: Vec::new(),
            parent: None,
        });
        let s = &mut self.symbols[sym.0 as usize];
        s.flags &= !UNDEFINED;
        s.kind = SymbolKind::Function {
            ty,
            def: FunctionDef::Defined(atom),
        };
        Ok(sym)
    }

    /// Declares a function imported from `module` under `name` (the symbol is named `name`).
    /// Declaring the same import again returns the same symbol. Imports that nothing references
    /// (no call, table slot or export) are left out of the output.
    pub fn declare_import(
        &mut self,
        module: &str,
        name: &str,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<SymbolIndex, LinkError> {
        let ty = self.func_type_index(params, results);
        let module_id = self.names.intern(module);
        let name_id = self.names.intern(name);
        let import = FunctionDef::Import {
            module: module_id,
            field: name_id,
        };
        match self.names.symbol(name_id) {
            None => {
                let sym = self.add_symbol(Symbol {
                    name: Some(name_id),
                    flags: UNDEFINED,
                    kind: SymbolKind::Function { ty, def: import },
                    order: 0,
                });
                self.names.set_symbol(name_id, Some(sym));
                Ok(sym)
            }
            Some(sym) => match &mut self.symbols[sym.0 as usize].kind {
                SymbolKind::Function { ty: old, def } => {
                    if *old != ty {
                        return Err(LinkError::SignatureMismatch { name: name.into() });
                    }
                    match *def {
                        FunctionDef::Undefined => {
                            *def = import;
                            Ok(sym)
                        }
                        FunctionDef::Import { module: m, .. } if m == module_id => Ok(sym),
                        FunctionDef::Import { module: m, .. } => {
                            Err(LinkError::ImportModuleMismatch {
                                name: name.into(),
                                first: self.names.str(m).into(),
                                second: module.into(),
                            })
                        }
                        FunctionDef::Defined(_) => {
                            Err(LinkError::DuplicateSymbol { name: name.into() })
                        }
                    }
                }
                _ => Err(LinkError::DuplicateSymbol { name: name.into() }),
            },
        }
    }

    /// Declares a function that some other declaration will define, or that stays undefined:
    /// at flush, a referenced undefined function is an error, or with `allow_undefined` an
    /// import from `env`. Redeclaring an existing function of the same signature returns it.
    pub fn declare_undefined_function(
        &mut self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<SymbolIndex, LinkError> {
        let ty = self.func_type_index(params, results);
        let name_id = self.names.intern(name);
        match self.names.symbol(name_id) {
            None => {
                let sym = self.add_symbol(Symbol {
                    name: Some(name_id),
                    flags: UNDEFINED,
                    kind: SymbolKind::Function {
                        ty,
                        def: FunctionDef::Undefined,
                    },
                    order: 0,
                });
                self.names.set_symbol(name_id, Some(sym));
                Ok(sym)
            }
            Some(sym) => match self.symbols[sym.0 as usize].kind {
                SymbolKind::Function { ty: old, .. } if old == ty => Ok(sym),
                SymbolKind::Function { .. } => {
                    Err(LinkError::SignatureMismatch { name: name.into() })
                }
                _ => Err(LinkError::DuplicateSymbol { name: name.into() }),
            },
        }
    }

    /// Sets (or replaces) the MIR body of a function declared with
    /// [`declare_function`](Linker::declare_function).
    pub fn set_function_body(
        &mut self,
        sym: SymbolIndex,
        body: MirFunction,
    ) -> Result<(), LinkError> {
        let atom = self.defined_function_atom(sym)?;
        self.atoms[atom.0 as usize].kind = AtomKind::Code(Some(body));
        Ok(())
    }

    /// The MIR body of a defined function, if set.
    pub fn function_body(&self, sym: SymbolIndex) -> Option<&MirFunction> {
        let atom = self.defined_function_atom(sym).ok()?;
        match &self.atoms[atom.0 as usize].kind {
            AtomKind::Code(body) => body.as_ref(),
            _ => None,
        }
    }

    /// The wasm signature of a function symbol, as a type index.
    pub fn function_type(&self, sym: SymbolIndex) -> Option<u32> {
        match self.live(sym).ok()?.kind {
            SymbolKind::Function { ty, .. } => Some(ty),
            _ => None,
        }
    }

    /// Exports a function (defined or imported) under `export_name`.
    pub fn export_function(
        &mut self,
        sym: SymbolIndex,
        export_name: &str,
    ) -> Result<(), LinkError> {
        if !matches!(self.live(sym)?.kind, SymbolKind::Function { .. }) {
            return Err(self.wrong_kind(sym, "function"));
        }
        self.add_export(sym, export_name)
    }

    /// Exports a data symbol as an immutable global holding its address (as wasm-ld does).
    pub fn export_data(&mut self, sym: SymbolIndex, export_name: &str) -> Result<(), LinkError> {
        if !matches!(self.live(sym)?.kind, SymbolKind::Data(_)) {
            return Err(self.wrong_kind(sym, "data symbol"));
        }
        self.add_export(sym, export_name)
    }

    /// Removes every export of a symbol (made with [`export_function`](Linker::export_function)
    /// or [`export_data`](Linker::export_data)).
    pub fn unexport(&mut self, sym: SymbolIndex) {
        self.exports.retain(|_, s| *s != sym);
    }

    /// Sets the output order key of a symbol. Functions (imports, then definitions), exports
    /// and top-level data are laid out by increasing key; symbols without an explicit key
    /// follow, in creation order; symbols with equal keys are ordered by name. A driver that
    /// gives every declaration its position in the program as key gets the same module from an
    /// incremental update as from a fresh build.
    pub fn set_symbol_order(&mut self, sym: SymbolIndex, key: u32) -> Result<(), LinkError> {
        self.live(sym)?;
        self.symbols[sym.0 as usize].order = u64::from(key);
        Ok(())
    }

    /// Changes the signature of a function symbol (defined, imported or undefined), for an
    /// incremental update whose new definition has another type. Code calling it must be
    /// regenerated.
    pub fn set_function_type(
        &mut self,
        sym: SymbolIndex,
        params: &[ValType],
        results: &[ValType],
    ) -> Result<(), LinkError> {
        let new_ty = self.func_type_index(params, results);
        match &mut self.symbols.get_mut(sym.0 as usize).map(|s| &mut s.kind) {
            Some(SymbolKind::Function { ty, .. }) => {
                *ty = new_ty;
                Ok(())
            }
            _ => Err(self.wrong_kind(sym, "function")),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Name tables (`error_name`, `tag_name`)
    // ---------------------------------------------------------------------------------------

    /// Sets the error names, in value order: error value `i + 1` is `names[i]` (0 is "no
    /// error"). They fill the error-name table at flush.
    pub fn set_error_names<I, S>(&mut self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.error_names = names.into_iter().map(Into::into).collect();
    }

    /// The error-name table, a read-only data symbol synthesized at flush (only if something
    /// refers to it) from the names of [`set_error_names`](Linker::set_error_names): an array
    /// of `[]const u8` slices (`{ ptr, len }`, 8 bytes each, 16 on memory64) indexed by error
    /// value, entry 0 empty; each name is followed by a NUL byte. The name of error `e` is
    /// the slice at `table + e * 2 * ptr_size`, which `error_name` returns as is.
    pub fn error_name_table(&mut self) -> SymbolIndex {
        if let Some(sym) = self.error_table {
            return sym;
        }
        let sym = self.add_named(
            "__wabe_error_names",
            BINDING_LOCAL | VISIBILITY_HIDDEN,
            SymbolKind::Data(DataDef::Synthetic(Synthetic::ErrorNames)),
        );
        self.error_table = Some(sym);
        sym
    }

    /// The tag-name table for an enum whose fields (in declaration order) are `names`: a
    /// read-only array of `[]const u8` slices, entry `i` the name of field `i`, laid out like
    /// the error-name table and synthesized at flush if something refers to it. Asking twice
    /// for the same names gives the same symbol.
    pub fn tag_name_table(&mut self, names: &[&str]) -> SymbolIndex {
        if let Some((_, sym)) = self
            .tag_tables
            .iter()
            .find(|(n, _)| n.len() == names.len() && n.iter().zip(names).all(|(a, b)| a == b))
        {
            return *sym;
        }
        let index = self.tag_tables.len() as u32;
        let sym = self.add_symbol(Symbol {
            name: None,
            flags: BINDING_LOCAL | VISIBILITY_HIDDEN,
            kind: SymbolKind::Data(DataDef::Synthetic(Synthetic::TagNames(index))),
            order: 0,
        });
        self.tag_tables
            .push((names.iter().map(|s| s.to_string()).collect(), sym));
        sym
    }

    fn add_export(&mut self, sym: SymbolIndex, export_name: &str) -> Result<(), LinkError> {
        let name = self.names.intern(export_name);
        match self.exports.get(&name) {
            Some(&old) if old == sym => Ok(()),
            Some(_) => Err(LinkError::DuplicateExport {
                name: export_name.into(),
            }),
            None => {
                self.exports.insert(name, sym);
                Ok(())
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Data
    // ---------------------------------------------------------------------------------------

    /// Declares a data symbol by name without defining it (so that others can refer to it
    /// first); returns the existing symbol if the name is already a data symbol, including
    /// the linker's `__heap_base` and `__data_end`.
    pub fn declare_data_symbol(&mut self, name: &str) -> Result<SymbolIndex, LinkError> {
        let name_id = self.names.intern(name);
        match self.names.symbol(name_id) {
            None => {
                let sym = self.add_symbol(Symbol {
                    name: Some(name_id),
                    flags: UNDEFINED,
                    kind: SymbolKind::Data(DataDef::Undefined),
                    order: 0,
                });
                self.names.set_symbol(name_id, Some(sym));
                Ok(sym)
            }
            Some(sym) => match self.symbols[sym.0 as usize].kind {
                SymbolKind::Data(_) => Ok(sym),
                _ => Err(LinkError::DuplicateSymbol { name: name.into() }),
            },
        }
    }

    /// Defines (or redefines) the contents of a data symbol. `relocs` are pointer fields in
    /// `bytes` (`MemoryAddrI32/I64` to data, `TableIndexI32/I64` to functions); they replace
    /// any earlier relocations of the atom. The segment follows from `mutable` and the
    /// contents: read-only data goes to `.rodata`; mutable data that is all zeros without
    /// relocations to `.bss`; other mutable data to `.data`.
    pub fn define_data(
        &mut self,
        sym: SymbolIndex,
        bytes: Vec<u8>,
        alignment: u32,
        mutable: bool,
        relocs: Vec<Reloc>,
    ) -> Result<(), LinkError> {
        self.check_data_def(sym, &bytes, alignment, &relocs)?;
        let kind = match classify(&bytes, mutable, &relocs) {
            Segment::Bss => AtomKind::Zeros {
                size: bytes.len() as u64,
            },
            segment => AtomKind::Data { bytes, segment },
        };
        self.define_atom(sym, kind, alignment, relocs)
    }

    /// Defines (or redefines) a data symbol as `size` zero bytes of mutable data: `.bss`,
    /// which costs no bytes in the file (unless memory is imported) and stores none here.
    pub fn define_zeros(
        &mut self,
        sym: SymbolIndex,
        size: u64,
        alignment: u32,
    ) -> Result<(), LinkError> {
        self.check_data_def(sym, &[], alignment, &[])?;
        self.define_atom(sym, AtomKind::Zeros { size }, alignment, Vec::new())
    }

    fn define_atom(
        &mut self,
        sym: SymbolIndex,
        kind: AtomKind,
        alignment: u32,
        relocs: Vec<Reloc>,
    ) -> Result<(), LinkError> {
        match self.live(sym)?.kind {
            SymbolKind::Data(DataDef::Defined(atom)) => {
                let a = &mut self.atoms[atom.0 as usize];
                a.kind = kind;
                a.alignment = alignment;
                a.relocs = relocs;
            }
            SymbolKind::Data(DataDef::Undefined) => {
                let atom = self.add_atom(Atom {
                    symbol: sym,
                    kind,
                    alignment,
                    relocs,
                    locals: Vec::new(),
                    parent: None,
                });
                let s = &mut self.symbols[sym.0 as usize];
                s.flags &= !UNDEFINED;
                s.kind = SymbolKind::Data(DataDef::Defined(atom));
            }
            SymbolKind::Data(DataDef::Synthetic(_)) => {
                return Err(LinkError::Reserved {
                    name: self.display_name(sym),
                })
            }
            _ => return Err(self.wrong_kind(sym, "data symbol")),
        }
        Ok(())
    }

    /// Declares and defines a named data symbol in one step (see
    /// [`define_data`](Linker::define_data)). A name that is already defined is an error.
    pub fn declare_data(
        &mut self,
        name: &str,
        bytes: Vec<u8>,
        alignment: u32,
        mutable: bool,
        relocs: Vec<Reloc>,
    ) -> Result<SymbolIndex, LinkError> {
        let sym = self.declare_data_symbol(name)?;
        if !matches!(
            self.symbols[sym.0 as usize].kind,
            SymbolKind::Data(DataDef::Undefined)
        ) {
            return Err(LinkError::DuplicateSymbol { name: name.into() });
        }
        self.define_data(sym, bytes, alignment, mutable, relocs)?;
        Ok(sym)
    }

    /// Adds anonymous read-only data owned by `parent`'s atom (a function or data symbol): a
    /// local atom, freed with its parent or by [`clear_locals`](Linker::clear_locals). The
    /// returned symbol is usable in MIR `MemAddr` and as a relocation target.
    pub fn add_local_data(
        &mut self,
        parent: SymbolIndex,
        bytes: Vec<u8>,
        alignment: u32,
        relocs: Vec<Reloc>,
    ) -> Result<SymbolIndex, LinkError> {
        let parent_atom = self
            .atom_of(parent)
            .ok_or_else(|| self.wrong_kind(parent, "defined function or data symbol"))?;
        let sym = self.add_symbol(Symbol {
            name: None,
            flags: BINDING_LOCAL | VISIBILITY_HIDDEN,
            kind: SymbolKind::Data(DataDef::Undefined),
            order: 0,
        });
        if let Err(e) = self.check_data_def(sym, &bytes, alignment, &relocs) {
            self.release_symbol(sym);
            return Err(e);
        }
        let atom = self.add_atom(Atom {
            symbol: sym,
            kind: AtomKind::Data {
                bytes,
                segment: Segment::Rodata,
            },
            alignment,
            relocs,
            locals: Vec::new(),
            parent: Some(parent_atom),
        });
        self.symbols[sym.0 as usize].kind = SymbolKind::Data(DataDef::Defined(atom));
        self.atoms[parent_atom.0 as usize].locals.push(atom);
        Ok(sym)
    }

    /// Records that the data of `src` (a defined data symbol, possibly a local one) holds, at
    /// `offset`, the address of `target` plus `addend`: a memory address for a data target, a
    /// table slot for a function target (the addend is then ignored). The field is 4 bytes, or
    /// 8 on memory64. Returns the placeholder to write there now (0); the linker writes the
    /// final value at flush. The relocation is added to those given to
    /// [`define_data`](Linker::define_data), so call this after defining the bytes.
    pub fn get_decl_vaddr(
        &mut self,
        src: SymbolIndex,
        target: SymbolIndex,
        offset: u32,
        addend: i64,
    ) -> Result<u64, LinkError> {
        let wide = self.options.memory64;
        let (kind, addend) = match self.live(target)?.kind {
            SymbolKind::Data(_) if wide => (RelocKind::MemoryAddrI64, addend),
            SymbolKind::Data(_) => (RelocKind::MemoryAddrI32, addend),
            SymbolKind::Function { .. } if wide => (RelocKind::TableIndexI64, 0),
            SymbolKind::Function { .. } => (RelocKind::TableIndexI32, 0),
            _ => return Err(self.wrong_kind(target, "function or data symbol")),
        };
        let atom = match self.live(src)?.kind {
            SymbolKind::Data(DataDef::Defined(atom)) => atom,
            _ => return Err(self.wrong_kind(src, "defined data symbol")),
        };
        let reloc = Reloc {
            offset,
            kind,
            symbol: target,
            addend,
        };
        let a = &mut self.atoms[atom.0 as usize];
        // A pointer field makes zero-initialised data initialised: `.bss` becomes `.data`.
        if let AtomKind::Zeros { size } = a.kind {
            if reloc_in_bounds(&reloc, size as usize) {
                a.kind = AtomKind::Data {
                    bytes: vec![0; size as usize],
                    segment: Segment::Data,
                };
            }
        }
        let size = a.data().map_or(0, <[u8]>::len);
        if !reloc_in_bounds(&reloc, size) {
            return Err(LinkError::RelocOutOfBounds {
                name: self.display_name(src),
                kind,
                offset,
                size,
            });
        }
        self.atoms[atom.0 as usize].relocs.push(reloc);
        Ok(0)
    }

    // ---------------------------------------------------------------------------------------
    // Atoms
    // ---------------------------------------------------------------------------------------

    /// The atom defining a symbol (a defined function or data symbol).
    pub fn atom_of(&self, sym: SymbolIndex) -> Option<AtomIndex> {
        match self.live(sym).ok()?.kind {
            SymbolKind::Function {
                def: FunctionDef::Defined(atom),
                ..
            }
            | SymbolKind::Data(DataDef::Defined(atom)) => Some(atom),
            _ => None,
        }
    }

    /// An atom by index (`None` if out of range or freed).
    pub fn atom(&self, atom: AtomIndex) -> Option<&Atom> {
        self.atoms
            .get(atom.0 as usize)
            .filter(|a| !matches!(a.kind, AtomKind::Free))
    }

    /// The atom for `symbol` within `atom`'s family: `atom` itself if it defines `symbol`, else
    /// the local atom of `atom` (searched recursively) that does.
    pub fn symbol_atom(&self, atom: AtomIndex, symbol: SymbolIndex) -> Option<AtomIndex> {
        let a = self.atom(atom)?;
        if a.symbol == symbol {
            return Some(atom);
        }
        a.locals
            .iter()
            .find_map(|&local| self.symbol_atom(local, symbol))
    }

    /// Frees the local atoms of a symbol's atom (before regenerating the declaration).
    pub fn clear_locals(&mut self, sym: SymbolIndex) -> Result<(), LinkError> {
        let atom = self
            .atom_of(sym)
            .ok_or_else(|| self.wrong_kind(sym, "defined function or data symbol"))?;
        let locals = std::mem::take(&mut self.atoms[atom.0 as usize].locals);
        for local in locals {
            self.free_atom_tree(local);
        }
        Ok(())
    }

    /// Frees a symbol, its atom and the atom's locals, and drops its exports. Its index (and
    /// name) may be reused. References to it that remain in MIR or relocations are errors at
    /// flush.
    pub fn free_symbol(&mut self, sym: SymbolIndex) -> Result<(), LinkError> {
        let s = self.live(sym)?;
        if matches!(
            s.kind,
            SymbolKind::Global(_) | SymbolKind::Data(DataDef::Synthetic(_))
        ) {
            return Err(LinkError::Reserved {
                name: self.display_name(sym),
            });
        }
        if let Some(atom) = self.atom_of(sym) {
            if let Some(parent) = self.atoms[atom.0 as usize].parent {
                self.atoms[parent.0 as usize].locals.retain(|&l| l != atom);
            }
            self.free_atom_tree(atom);
        } else {
            self.release_symbol(sym);
        }
        self.exports.retain(|_, s| *s != sym);
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Results of the last flush
    // ---------------------------------------------------------------------------------------

    /// The memory layout of the last successful flush.
    pub fn memory_layout(&self) -> Option<&MemoryLayout> {
        self.layout.as_ref()
    }

    /// `__heap_base` at the last successful flush.
    pub fn heap_base(&self) -> Option<u64> {
        self.layout.as_ref().map(|l| l.heap_base)
    }

    /// `__data_end` at the last successful flush.
    pub fn data_end(&self) -> Option<u64> {
        self.layout.as_ref().map(|l| l.data_end)
    }

    /// The final function index of a function symbol at the last flush (`None` for an
    /// import that was left out).
    pub fn function_index(&self, sym: SymbolIndex) -> Option<u32> {
        self.values.get(sym.0 as usize).and_then(|v| v.func())
    }

    /// The final address of a data symbol at the last flush.
    pub fn data_address(&self, sym: SymbolIndex) -> Option<u64> {
        self.values.get(sym.0 as usize).and_then(|v| v.addr())
    }

    /// The table slot of a function symbol at the last flush (slots start at 1).
    pub fn table_index(&self, sym: SymbolIndex) -> Option<u32> {
        self.values.get(sym.0 as usize).and_then(|v| v.table())
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    fn add_named(&mut self, name: &str, flags: u32, kind: SymbolKind) -> SymbolIndex {
        let name_id = self.names.intern(name);
        let sym = self.add_symbol(Symbol {
            name: Some(name_id),
            flags,
            kind,
            order: 0,
        });
        self.names.set_symbol(name_id, Some(sym));
        sym
    }

    fn add_symbol(&mut self, mut symbol: Symbol) -> SymbolIndex {
        symbol.order = self.next_order;
        self.next_order += 1;
        if let Some(sym) = self.symbols_free.pop() {
            self.symbols[sym.0 as usize] = symbol;
            sym
        } else {
            self.symbols.push(symbol);
            SymbolIndex(self.symbols.len() as u32 - 1)
        }
    }

    fn add_atom(&mut self, atom: Atom) -> AtomIndex {
        if let Some(index) = self.atoms_free.pop() {
            self.atoms[index.0 as usize] = atom;
            index
        } else {
            self.atoms.push(atom);
            AtomIndex(self.atoms.len() as u32 - 1)
        }
    }

    /// Marks a symbol dead, unbinds its name and puts its index on the free list.
    fn release_symbol(&mut self, sym: SymbolIndex) {
        let s = &mut self.symbols[sym.0 as usize];
        if let Some(name) = s.name.take() {
            if self.names.symbol(name) == Some(sym) {
                self.names.set_symbol(name, None);
            }
        }
        s.kind = SymbolKind::Dead;
        s.flags = 0;
        self.symbols_free.push(sym);
    }

    /// Frees an atom, its locals and the symbols they define.
    fn free_atom_tree(&mut self, atom: AtomIndex) {
        let a = std::mem::replace(
            &mut self.atoms[atom.0 as usize],
            Atom {
                symbol: SymbolIndex(u32::MAX),
                kind: AtomKind::Free,
                alignment: 1,
                relocs: Vec::new(),
                locals: Vec::new(),
                parent: None,
            },
        );
        self.atoms_free.push(atom);
        for local in a.locals {
            self.free_atom_tree(local);
        }
        self.release_symbol(a.symbol);
    }

    /// The symbol, if it is live.
    pub(crate) fn live(&self, sym: SymbolIndex) -> Result<&Symbol, LinkError> {
        match self.symbols.get(sym.0 as usize) {
            Some(s) if !matches!(s.kind, SymbolKind::Dead) => Ok(s),
            _ => Err(LinkError::UnknownSymbol { symbol: sym }),
        }
    }

    fn defined_function_atom(&self, sym: SymbolIndex) -> Result<AtomIndex, LinkError> {
        match self.live(sym)?.kind {
            SymbolKind::Function {
                def: FunctionDef::Defined(atom),
                ..
            } => Ok(atom),
            _ => Err(self.wrong_kind(sym, "defined function")),
        }
    }

    pub(crate) fn wrong_kind(&self, sym: SymbolIndex, expected: &'static str) -> LinkError {
        LinkError::WrongKind {
            name: self.display_name(sym),
            expected,
        }
    }

    /// The symbol's name for messages: its name, or `@symN` (with the owner's name for local
    /// data).
    pub(crate) fn display_name(&self, sym: SymbolIndex) -> String {
        let Some(s) = self.symbols.get(sym.0 as usize) else {
            return sym.to_string();
        };
        if let Some(name) = s.name {
            return self.names.str(name).to_owned();
        }
        if let SymbolKind::Data(DataDef::Defined(atom)) = s.kind {
            if let Some(parent) = self.atoms[atom.0 as usize].parent {
                let owner = self.atoms[parent.0 as usize].symbol;
                return format!("{sym} (local data of `{}`)", self.display_name(owner));
            }
        }
        sym.to_string()
    }

    fn check_data_def(
        &self,
        sym: SymbolIndex,
        bytes: &[u8],
        alignment: u32,
        relocs: &[Reloc],
    ) -> Result<(), LinkError> {
        if !alignment.is_power_of_two() {
            return Err(LinkError::BadAlignment {
                name: self.display_name(sym),
                align: alignment,
            });
        }
        for r in relocs {
            if !matches!(
                r.kind,
                RelocKind::MemoryAddrI32
                    | RelocKind::MemoryAddrI64
                    | RelocKind::TableIndexI32
                    | RelocKind::TableIndexI64
            ) {
                return Err(LinkError::BadDataReloc {
                    name: self.display_name(sym),
                    kind: r.kind,
                    target: self.display_name(r.symbol),
                });
            }
            if !reloc_in_bounds(r, bytes.len()) {
                return Err(LinkError::RelocOutOfBounds {
                    name: self.display_name(sym),
                    kind: r.kind,
                    offset: r.offset,
                    size: bytes.len(),
                });
            }
        }
        Ok(())
    }
}

/// The width in bytes of a data relocation's field.
pub(crate) fn reloc_width(kind: RelocKind) -> usize {
    match kind {
        RelocKind::MemoryAddrI64 | RelocKind::TableIndexI64 => 8,
        _ => 4,
    }
}

/// Whether a relocation's field lies within an atom of `size` bytes.
pub(crate) fn reloc_in_bounds(r: &Reloc, size: usize) -> bool {
    (r.offset as usize).saturating_add(reloc_width(r.kind)) <= size
}

fn classify(bytes: &[u8], mutable: bool, relocs: &[Reloc]) -> Segment {
    if !mutable {
        Segment::Rodata
    } else if relocs.is_empty() && bytes.iter().all(|&b| b == 0) {
        Segment::Bss
    } else {
        Segment::Data
    }
}
