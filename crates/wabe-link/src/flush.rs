//! Flushing: from symbols and atoms to an executable module.
//!
//! A flush is a full relink; it changes nothing but the recorded results, so the linker can be
//! updated and flushed again. The steps:
//!
//! 1. **Exports**: the explicit ones, then `--export NAME`, then the entry.
//! 2. **Mark** (`gc_sections`, the default, as wasm-ld's `--gc-sections`): the symbols
//!    reachable from the exports through MIR symbol operands and data relocations are live;
//!    the rest is left out of the module.
//! 3. **Scan**: every code atom's MIR and every data atom's relocations are checked (each
//!    operand names a live symbol of the right kind); those of live atoms give the referenced
//!    functions and the table slots, in order of first use.
//! 4. **Indices**: referenced imports first (in symbol order), then defined functions; global 0
//!    is `__stack_pointer`, then one immutable global per exported data symbol.
//! 5. **Memory** (wasm-ld's rules): see [`MemoryLayout`].
//! 6. **Write**: sections in the standard order, each function body emitted once from its MIR
//!    with final indices (shortest LEBs), data with its relocations applied, then the `name`
//!    and `producers` custom sections.

use std::borrow::Cow;
use std::collections::HashMap;

use wabe_mir::{emit_body, write_uleb, Imm, MirFunction, Resolver, SymbolIndex, ValType};

use crate::atom::AtomIndex;
use crate::symbol::{FuncSig, Synthetic};
use wasm_encoder::{
    ConstExpr, DataSection, ElementSection, Elements, EntityType, ExportKind, ExportSection,
    FunctionSection, GlobalSection, GlobalType, ImportSection, MemorySection, MemoryType, NameMap,
    NameSection, ProducersField, ProducersSection, RefType, Section, TableSection, TableType,
    TypeSection,
};

use crate::atom::{Atom, AtomKind, Segment};
use crate::linker::{reloc_in_bounds, reloc_width};
use crate::symbol::{DataDef, FunctionDef, NameId, SymbolKind};
use crate::{LinkError, Linker};

/// The wasm page size.
pub const PAGE_SIZE: u64 = 65536;

/// The alignment of the stack and of `__heap_base` (BasicCABI.md).
const STACK_ALIGN: u64 = 16;

const NONE32: u32 = u32::MAX;

/// The final values of one symbol (flat, indexed by symbol).
#[derive(Copy, Clone, Debug)]
pub(crate) struct SymbolValue {
    pub(crate) func: u32,
    pub(crate) table: u32,
    pub(crate) global: u32,
    pub(crate) addr: u64,
}

impl SymbolValue {
    pub(crate) const EMPTY: SymbolValue = SymbolValue {
        func: NONE32,
        table: NONE32,
        global: NONE32,
        addr: u64::MAX,
    };

    pub(crate) fn func(&self) -> Option<u32> {
        (self.func != NONE32).then_some(self.func)
    }

    pub(crate) fn table(&self) -> Option<u32> {
        (self.table != NONE32).then_some(self.table)
    }

    pub(crate) fn global(&self) -> Option<u32> {
        (self.global != NONE32).then_some(self.global)
    }

    pub(crate) fn addr(&self) -> Option<u64> {
        (self.addr != u64::MAX).then_some(self.addr)
    }
}

/// One data symbol as [`Linker::data_layout`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSymbolLayout {
    /// Its name (`owner#k` for the `k`-th local atom of `owner`).
    pub name: String,
    /// Its output segment.
    pub segment: Segment,
    /// Its address at the last flush (identical anonymous constants share one; `None` when
    /// garbage-collected).
    pub address: Option<u64>,
    /// Its size in bytes.
    pub size: u64,
    /// Its relocations: offset, type, target name, addend.
    pub relocs: Vec<(u32, wabe_mir::RelocKind, String, i64)>,
}

/// Where one output data segment sits in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentLayout {
    /// Which segment.
    pub segment: Segment,
    /// Its first address.
    pub start: u64,
    /// Its size in bytes.
    pub size: u64,
}

/// The memory layout of a flush, following wasm-ld.
///
/// Without `stack_first`: data from `global_base` (default 1024), the segments `.rodata`,
/// `.data`, `.bss` in that order (each aligned to its largest atom alignment, each atom to its
/// own), `__data_end` after them; then the stack, aligned to 16, `stack_size` bytes, with
/// `__stack_pointer` starting at its top; `__heap_base` after the stack, aligned to 16.
///
/// With `stack_first`: the stack occupies `[0, stack_size)` and `__stack_pointer` starts at
/// `stack_size`; data follows at `global_base` if given (it may not lie inside the stack), else
/// right after the stack; `__heap_base` is the end of data aligned to 16.
///
/// The initial memory is `__heap_base` rounded up to whole pages, or `initial_memory` (a
/// multiple of the page size, at least `__heap_base`); `max_memory` (a multiple of the page
/// size, at least the initial memory) sets the maximum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryLayout {
    /// Where data starts.
    pub data_start: u64,
    /// `__data_end`: the end of the data segments.
    pub data_end: u64,
    /// The lowest address of the stack.
    pub stack_low: u64,
    /// The top of the stack: the initial value of `__stack_pointer`.
    pub stack_high: u64,
    /// `__heap_base`.
    pub heap_base: u64,
    /// The initial memory size in pages.
    pub initial_pages: u64,
    /// The maximum memory size in pages.
    pub max_pages: Option<u64>,
    /// The non-empty data segments, in address order.
    pub segments: Vec<SegmentLayout>,
}

/// Gives the emitter the values computed by the flush.
struct FinalResolver<'a>(&'a [SymbolValue]);

impl Resolver for FinalResolver<'_> {
    fn function_index(&self, sym: SymbolIndex) -> Option<u32> {
        self.0.get(sym.0 as usize)?.func()
    }
    fn global_index(&self, sym: SymbolIndex) -> Option<u32> {
        self.0.get(sym.0 as usize)?.global()
    }
    fn memory_address(&self, sym: SymbolIndex) -> Option<u64> {
        self.0.get(sym.0 as usize)?.addr()
    }
    fn table_index(&self, sym: SymbolIndex) -> Option<u32> {
        self.0.get(sym.0 as usize)?.table()
    }
}

/// Per-flush bookkeeping.
pub(crate) struct Scan {
    pub(crate) values: Vec<SymbolValue>,
    pub(crate) referenced: Vec<bool>,
    /// Table entries; entry `i` is slot `i + 1`.
    pub(crate) table: Vec<SymbolIndex>,
}

impl Scan {
    pub(crate) fn reference(&mut self, sym: SymbolIndex) {
        self.referenced[sym.0 as usize] = true;
    }

    pub(crate) fn table_slot(&mut self, sym: SymbolIndex) {
        let v = &mut self.values[sym.0 as usize];
        if v.table == NONE32 {
            self.table.push(sym);
            v.table = self.table.len() as u32;
        }
    }
}

/// Something laid out in a data segment.
#[derive(Copy, Clone, Debug)]
enum Item {
    /// A data atom.
    Atom(AtomIndex),
    /// A synthesized name table.
    Table(SymbolIndex),
}

/// An item and its address.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Placed {
    item: Item,
    addr: u64,
}

/// What makes two anonymous read-only atoms identical: alignment, bytes, and relocations
/// (offset, type, target after merging, addend).
type MergeKey<'a> = (u32, &'a [u8], Vec<(u32, u8, u32, i64)>);

/// A function import in the output.
pub(crate) struct ImportedFunc {
    pub(crate) module: NameId,
    pub(crate) field: NameId,
    pub(crate) ty: u32,
    pub(crate) sym: SymbolIndex,
}

pub(crate) fn wasm_valtype(t: ValType) -> wasm_encoder::ValType {
    match t {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        ValType::F64 => wasm_encoder::ValType::F64,
    }
}

fn align_to(v: u64, align: u64) -> Option<u64> {
    Some(v.checked_add(align - 1)? & !(align - 1))
}

impl Linker {
    /// Lays out indices and memory and writes the executable module. The linker keeps its
    /// symbols and atoms, so declarations can be updated and the module flushed again.
    ///
    /// The output depends only on the live symbols, their order keys
    /// ([`set_symbol_order`](Linker::set_symbol_order)) and contents, not on symbol or atom
    /// indices: an incremental update gives the same bytes as a fresh build. To that end the
    /// type section is renumbered here (used types only, in order of first use), and the type
    /// immediates of `call_indirect` in the MIR the linker holds are rewritten accordingly.
    pub fn flush(&mut self) -> Result<Vec<u8>, LinkError> {
        self.layout = None;
        self.values.clear();
        let env = self.names.intern("env");

        let top = self.top_level_order();
        let atom_order = self.atom_order(&top);
        let exports = self.collect_exports()?;
        let mut scan = Scan {
            values: vec![SymbolValue::EMPTY; self.symbols.len()],
            referenced: vec![false; self.symbols.len()],
            table: Vec::new(),
        };
        for &(_, sym) in &exports {
            scan.reference(sym);
        }
        let live = self.mark_live(&exports);

        // Scan code and data, in output order (so table slots are numbered canonically). Dead
        // atoms are checked too, into a scratch scan that records nothing.
        let mut dead_scan: Option<Scan> = None;
        for &a in &atom_order {
            let atom = &self.atoms[a.0 as usize];
            let scan = if live[atom.symbol.0 as usize] {
                &mut scan
            } else {
                dead_scan.get_or_insert_with(|| Scan {
                    values: vec![SymbolValue::EMPTY; self.symbols.len()],
                    referenced: vec![false; self.symbols.len()],
                    table: Vec::new(),
                })
            };
            match &atom.kind {
                AtomKind::Code(None) => {
                    return Err(LinkError::MissingBody {
                        name: self.display_name(atom.symbol),
                    })
                }
                AtomKind::Code(Some(body)) => self.scan_body(atom.symbol, body, scan)?,
                AtomKind::Data { bytes, .. } => self.scan_data(atom, bytes.len(), scan)?,
                AtomKind::Zeros { .. } | AtomKind::Free => {}
            }
        }
        let live_order: Vec<AtomIndex> = atom_order
            .iter()
            .copied()
            .filter(|a| live[self.atoms[a.0 as usize].symbol.0 as usize])
            .collect();

        // Function indices: referenced imports, then definitions.
        let mut imports = Vec::new();
        let mut defined = Vec::new();
        for &sym in &top {
            let i = sym.0 as usize;
            let s = &self.symbols[i];
            let referenced = scan.referenced[i];
            match s.kind {
                SymbolKind::Function { ty, def } => match def {
                    FunctionDef::Defined(atom) if live[i] => defined.push((sym, atom, ty)),
                    FunctionDef::Import { module, field } if referenced => {
                        imports.push(ImportedFunc {
                            module,
                            field,
                            ty,
                            sym,
                        })
                    }
                    FunctionDef::Undefined if referenced => {
                        let (true, Some(name)) = (self.options.allow_undefined, s.name) else {
                            return Err(LinkError::Undefined {
                                name: self.display_name(sym),
                            });
                        };
                        imports.push(ImportedFunc {
                            module: env,
                            field: name,
                            ty,
                            sym,
                        })
                    }
                    _ => {}
                },
                SymbolKind::Data(DataDef::Undefined) if referenced => {
                    if !self.options.allow_undefined {
                        return Err(LinkError::Undefined {
                            name: self.display_name(sym),
                        });
                    }
                    // wasm-ld: an undefined data symbol's address is 0.
                    scan.values[i].addr = 0;
                }
                _ => {}
            }
        }
        for (k, import) in imports.iter().enumerate() {
            scan.values[import.sym.0 as usize].func = k as u32;
        }
        for (k, &(sym, _, _)) in defined.iter().enumerate() {
            scan.values[sym.0 as usize].func = (imports.len() + k) as u32;
        }
        let used_types = self.canonicalize_types(&mut imports, &mut defined);

        // Globals: the stack pointer, then exported data addresses.
        scan.values[self.stack_pointer().0 as usize].global = 0;
        let mut data_globals = Vec::new();
        for &(_, sym) in &exports {
            if matches!(self.symbols[sym.0 as usize].kind, SymbolKind::Data(_))
                && scan.values[sym.0 as usize].global == NONE32
            {
                scan.values[sym.0 as usize].global = 1 + data_globals.len() as u32;
                data_globals.push(sym);
            }
        }

        let (layout, placed) = self.layout_memory(&mut scan, &top, &live_order)?;
        let out = self.write_module(
            &scan,
            &imports,
            &defined,
            &exports,
            &data_globals,
            &layout,
            &placed,
            used_types,
        )?;
        self.values = scan.values;
        self.layout = Some(layout);
        Ok(out)
    }

    /// The data symbols of the last flush in output order (each top-level symbol, then its
    /// local atoms): name, segment, address, size and relocations, for inspection and
    /// snapshot tests. A local atom is named after its owner, `owner#k` for its `k`-th local;
    /// relocation targets are named the same way. Like the other results of a flush, this is
    /// stale after a change until the next flush.
    pub fn data_layout(&self) -> Vec<DataSymbolLayout> {
        let top = self.top_level_order();
        let order = self.atom_order(&top);
        let mut local_name = vec![None; self.symbols.len()];
        for &a in &order {
            let atom = &self.atoms[a.0 as usize];
            for (k, &l) in atom.locals.iter().enumerate() {
                let owner = local_name[atom.symbol.0 as usize]
                    .clone()
                    .unwrap_or_else(|| self.display_name(atom.symbol));
                local_name[self.atoms[l.0 as usize].symbol.0 as usize] =
                    Some(format!("{owner}#{k}"));
            }
        }
        let name = |sym: SymbolIndex| {
            local_name
                .get(sym.0 as usize)
                .cloned()
                .flatten()
                .unwrap_or_else(|| self.display_name(sym))
        };
        order
            .iter()
            .filter_map(|&a| {
                let atom = &self.atoms[a.0 as usize];
                let segment = atom.segment()?;
                Some(DataSymbolLayout {
                    name: name(atom.symbol),
                    segment,
                    address: self.data_address(atom.symbol),
                    size: atom.data_size(),
                    relocs: atom
                        .relocs
                        .iter()
                        .map(|r| (r.offset, r.kind, name(r.symbol), r.addend))
                        .collect(),
                })
            })
            .collect()
    }

    /// Which symbols an executable keeps (indexed by symbol). With `gc_sections` (the
    /// default, as wasm-ld), those reachable from the exports (which include the `--export`
    /// names and the entry) through the symbol operands of function bodies (`call`,
    /// `return_call`, table indices, data addresses) and the relocations of data; without it,
    /// every symbol. Liveness depends on the program only, never on symbol history, so an
    /// incremental update keeps exactly what a fresh build keeps.
    fn mark_live(&self, exports: &[(String, SymbolIndex)]) -> Vec<bool> {
        if !self.options.gc_sections {
            return vec![true; self.symbols.len()];
        }
        let mut live = vec![false; self.symbols.len()];
        let mut work: Vec<SymbolIndex> = exports.iter().map(|&(_, sym)| sym).collect();
        while let Some(sym) = work.pop() {
            match live.get_mut(sym.0 as usize) {
                Some(l) if !*l => *l = true,
                _ => continue,
            }
            let Some(atom) = self.atom_of(sym) else {
                continue;
            };
            let atom = &self.atoms[atom.0 as usize];
            match &atom.kind {
                AtomKind::Code(Some(body)) => {
                    for (tag, data) in body.tags.iter().zip(&body.data) {
                        if matches!(tag.immediate(), Imm::Func | Imm::TableIndex | Imm::MemAddr) {
                            work.push(SymbolIndex(data.a));
                        }
                    }
                }
                AtomKind::Data { .. } => work.extend(atom.relocs.iter().map(|r| r.symbol)),
                _ => {}
            }
        }
        live
    }

    /// Live symbols that are not local data, by order key, then name (so that symbols given
    /// the same key, such as the driver's helper functions, are ordered by name), then index.
    pub(crate) fn top_level_order(&self) -> Vec<SymbolIndex> {
        let mut top: Vec<SymbolIndex> = self
            .symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| match s.kind {
                SymbolKind::Dead => false,
                SymbolKind::Data(DataDef::Defined(atom)) => {
                    self.atoms[atom.0 as usize].parent.is_none()
                }
                _ => true,
            })
            .map(|(i, _)| SymbolIndex(i as u32))
            .collect();
        let name = |s: SymbolIndex| self.symbols[s.0 as usize].name.map(|n| self.names.str(n));
        top.sort_by(|&a, &b| {
            let (ka, kb) = (
                self.symbols[a.0 as usize].order,
                self.symbols[b.0 as usize].order,
            );
            ka.cmp(&kb)
                .then_with(|| name(a).cmp(&name(b)))
                .then(a.0.cmp(&b.0))
        });
        top
    }

    /// Every live atom in output order: each top-level symbol's atom, then its locals
    /// (depth first, in the order they were added).
    pub(crate) fn atom_order(&self, top: &[SymbolIndex]) -> Vec<AtomIndex> {
        fn visit(l: &Linker, atom: AtomIndex, out: &mut Vec<AtomIndex>) {
            out.push(atom);
            for &local in &l.atoms[atom.0 as usize].locals {
                visit(l, local, out);
            }
        }
        let mut out = Vec::new();
        for &sym in top {
            if let Some(atom) = self.atom_of(sym) {
                visit(self, atom, &mut out);
            }
        }
        out
    }

    /// Renumbers the function types: the types of imports, then of definitions, then of
    /// `call_indirect`s in bodies, in order of first use; unused types follow. Rewrites every
    /// type index the linker holds. Returns how many types are used.
    pub(crate) fn canonicalize_types(
        &mut self,
        imports: &mut [ImportedFunc],
        defined: &mut [(SymbolIndex, AtomIndex, u32)],
    ) -> usize {
        let n = self.func_types.len();
        let mut remap = vec![NONE32; n];
        let mut order: Vec<u32> = Vec::with_capacity(n);
        fn use_ty(t: u32, remap: &mut [u32], order: &mut Vec<u32>) {
            if let Some(r) = remap.get_mut(t as usize) {
                if *r == NONE32 {
                    *r = order.len() as u32;
                    order.push(t);
                }
            }
        }
        for import in imports.iter() {
            use_ty(import.ty, &mut remap, &mut order);
        }
        for &(_, _, ty) in defined.iter() {
            use_ty(ty, &mut remap, &mut order);
        }
        for &(_, atom, _) in defined.iter() {
            if let AtomKind::Code(Some(body)) = &self.atoms[atom.0 as usize].kind {
                for (tag, data) in body.tags.iter().zip(&body.data) {
                    if tag.immediate() == Imm::CallIndirect {
                        use_ty(data.a, &mut remap, &mut order);
                    }
                }
            }
        }
        let used = order.len();
        for t in 0..n as u32 {
            use_ty(t, &mut remap, &mut order);
        }
        if order.iter().enumerate().all(|(i, &t)| i as u32 == t) {
            return used;
        }
        let old: Vec<FuncSig> = std::mem::take(&mut self.func_types).into_iter().collect();
        for &t in &order {
            self.func_types.insert(old[t as usize].clone());
        }
        for s in &mut self.symbols {
            if let SymbolKind::Function { ty, .. } = &mut s.kind {
                *ty = remap[*ty as usize];
            }
        }
        for atom in &mut self.atoms {
            if let AtomKind::Code(Some(body)) = &mut atom.kind {
                for (tag, data) in body.tags.iter().zip(body.data.iter_mut()) {
                    if tag.immediate() == Imm::CallIndirect {
                        if let Some(&r) = remap.get(data.a as usize) {
                            data.a = r;
                        }
                    }
                }
            }
        }
        for import in imports.iter_mut() {
            import.ty = remap[import.ty as usize];
        }
        for d in defined.iter_mut() {
            d.2 = remap[d.2 as usize];
        }
        used
    }

    /// The final export list: explicit exports, `--export` names, the entry.
    pub(crate) fn collect_exports(&self) -> Result<Vec<(String, SymbolIndex)>, LinkError> {
        let mut taken = indexmap::IndexMap::<String, Option<SymbolIndex>>::new();
        if self.options.export_memory {
            taken.insert("memory".into(), None);
        }
        if self.options.export_table {
            taken.insert("__indirect_function_table".into(), None);
        }
        let mut add = |name: &str, sym: SymbolIndex| match taken.get(name) {
            Some(&Some(old)) if old == sym => Ok(()),
            Some(_) => Err(LinkError::DuplicateExport { name: name.into() }),
            None => {
                taken.insert(name.into(), Some(sym));
                Ok(())
            }
        };
        // Explicit exports by their symbol's order key, then name.
        let mut explicit: Vec<(&str, SymbolIndex)> = self
            .exports
            .iter()
            .map(|(&name, &sym)| (self.names.str(name), sym))
            .collect();
        explicit.sort_by_key(|&(name, sym)| (self.symbols[sym.0 as usize].order, name));
        for (name, sym) in explicit {
            add(name, sym)?;
        }
        for name in &self.options.exports {
            let sym = self
                .symbol_by_name(name)
                .filter(|&s| self.is_defined(s))
                .ok_or_else(|| LinkError::ExportNotFound { name: name.clone() })?;
            add(name, sym)?;
        }
        if let (Some(name), false) = (&self.options.entry, self.options.no_entry) {
            let sym = self
                .symbol_by_name(name)
                .filter(|&s| {
                    matches!(
                        self.symbols[s.0 as usize].kind,
                        SymbolKind::Function {
                            def: FunctionDef::Defined(_),
                            ..
                        }
                    )
                })
                .ok_or_else(|| LinkError::EntryNotFound { name: name.clone() })?;
            add(name, sym)?;
        }
        Ok(taken
            .into_iter()
            .filter_map(|(name, sym)| Some((name, sym?)))
            .collect())
    }

    fn is_defined(&self, sym: SymbolIndex) -> bool {
        matches!(
            self.symbols[sym.0 as usize].kind,
            SymbolKind::Function {
                def: FunctionDef::Defined(_),
                ..
            } | SymbolKind::Data(DataDef::Defined(_) | DataDef::Synthetic(_))
        )
    }

    /// Checks the symbol operands of a body; records references and table slots.
    pub(crate) fn scan_body(
        &self,
        function: SymbolIndex,
        body: &MirFunction,
        scan: &mut Scan,
    ) -> Result<(), LinkError> {
        for (inst, (&tag, data)) in body.tags.iter().zip(&body.data).enumerate() {
            let sym = SymbolIndex(data.a);
            let kind = self
                .symbols
                .get(sym.0 as usize)
                .map(|s| &s.kind)
                .unwrap_or(&SymbolKind::Dead);
            let expected = match tag.immediate() {
                Imm::Func | Imm::TableIndex => {
                    if !matches!(kind, SymbolKind::Function { .. }) {
                        "function symbol"
                    } else {
                        scan.reference(sym);
                        if tag.immediate() == Imm::TableIndex {
                            scan.table_slot(sym);
                        }
                        continue;
                    }
                }
                Imm::Global => {
                    if matches!(kind, SymbolKind::Global(_)) {
                        continue;
                    }
                    "global symbol"
                }
                Imm::MemAddr => {
                    if matches!(kind, SymbolKind::Data(_)) {
                        scan.reference(sym);
                        continue;
                    }
                    "data symbol"
                }
                Imm::CallIndirect => {
                    if (data.a as usize) < self.func_types.len() {
                        continue;
                    }
                    return Err(LinkError::BadTypeIndex {
                        function: self.display_name(function),
                        inst: inst as u32,
                        index: data.a,
                        count: self.func_types.len(),
                    });
                }
                _ => continue,
            };
            let operand = if matches!(kind, SymbolKind::Dead) {
                format!("{sym} (unknown or freed)")
            } else {
                format!("`{}`", self.display_name(sym))
            };
            return Err(LinkError::BadOperand {
                function: self.display_name(function),
                inst: inst as u32,
                operand,
                expected,
            });
        }
        Ok(())
    }

    /// Checks a data atom's relocations; records references and table slots.
    pub(crate) fn scan_data(
        &self,
        atom: &Atom,
        size: usize,
        scan: &mut Scan,
    ) -> Result<(), LinkError> {
        for r in &atom.relocs {
            if !reloc_in_bounds(r, size) {
                return Err(LinkError::RelocOutOfBounds {
                    name: self.display_name(atom.symbol),
                    kind: r.kind,
                    offset: r.offset,
                    size,
                });
            }
            let kind = self
                .symbols
                .get(r.symbol.0 as usize)
                .map(|s| &s.kind)
                .unwrap_or(&SymbolKind::Dead);
            let ok = match r.kind {
                wabe_mir::RelocKind::TableIndexI32 | wabe_mir::RelocKind::TableIndexI64 => {
                    matches!(kind, SymbolKind::Function { .. })
                }
                wabe_mir::RelocKind::MemoryAddrI32 | wabe_mir::RelocKind::MemoryAddrI64 => {
                    matches!(kind, SymbolKind::Data(_))
                }
                _ => false,
            };
            if !ok {
                return Err(LinkError::BadDataReloc {
                    name: self.display_name(atom.symbol),
                    kind: r.kind,
                    target: if matches!(kind, SymbolKind::Dead) {
                        format!("{} (unknown or freed)", r.symbol)
                    } else {
                        self.display_name(r.symbol)
                    },
                });
            }
            scan.reference(r.symbol);
            if matches!(kind, SymbolKind::Function { .. }) {
                scan.table_slot(r.symbol);
            }
        }
        Ok(())
    }

    /// Assigns data addresses and the stack; see [`MemoryLayout`]. Returns the layout and,
    /// per laid-out segment, what was placed where. Identical anonymous read-only local atoms
    /// (string literals, constant operands) are stored once: a later one gets the address of
    /// the first.
    fn layout_memory(
        &self,
        scan: &mut Scan,
        top: &[SymbolIndex],
        atom_order: &[AtomIndex],
    ) -> Result<(MemoryLayout, Vec<Vec<Placed>>), LinkError> {
        let o = &self.options;
        let limit_pages: u64 = if o.memory64 { 1 << 48 } else { 1 << 16 };
        let overflow = |what| LinkError::TooManyPages {
            what,
            pages: u64::MAX / PAGE_SIZE,
            limit: limit_pages,
        };
        if !o.stack_size.is_multiple_of(STACK_ALIGN) {
            return Err(LinkError::StackSizeAlignment { size: o.stack_size });
        }
        // Data must end below this address.
        let mut data_limit = limit_pages.saturating_mul(PAGE_SIZE);
        if let Some(max) = o.max_memory {
            data_limit = data_limit.min(max);
        }

        let mut ptr;
        let (mut stack_low, mut stack_high) = (0, 0);
        if o.stack_first {
            stack_high = o.stack_size;
            ptr = stack_high;
            if let Some(base) = o.global_base {
                if base < stack_high {
                    return Err(LinkError::GlobalBaseInStack {
                        base,
                        stack_end: stack_high,
                    });
                }
                ptr = base;
            }
        } else {
            ptr = o.global_base.unwrap_or(1024);
        }
        let data_start = ptr;

        // Synthesized name tables that something refers to, in canonical order: the
        // error-name table, then tag-name tables by their names.
        let mut tables: Vec<SymbolIndex> = top
            .iter()
            .copied()
            .filter(|s| {
                scan.referenced[s.0 as usize]
                    && matches!(
                        self.symbols[s.0 as usize].kind,
                        SymbolKind::Data(DataDef::Synthetic(
                            Synthetic::ErrorNames | Synthetic::TagNames(_)
                        ))
                    )
            })
            .collect();
        tables.sort_by_key(|s| match self.symbols[s.0 as usize].kind {
            SymbolKind::Data(DataDef::Synthetic(Synthetic::TagNames(i))) => {
                Some(&self.tag_tables[i as usize].0)
            }
            _ => None,
        });

        let values = &mut scan.values;
        let mut representative = vec![NONE32; self.symbols.len()];
        let mut merged: HashMap<MergeKey<'_>, SymbolIndex> = HashMap::new();
        let mut segments = Vec::new();
        let mut placed = Vec::new();
        let ptr_size = if o.memory64 { 8 } else { 4 };
        for segment in Segment::ALL {
            let mut items: Vec<Item> = atom_order
                .iter()
                .filter(|a| self.atoms[a.0 as usize].segment() == Some(segment))
                .map(|&a| Item::Atom(a))
                .collect();
            if segment == Segment::Rodata {
                items.extend(tables.iter().map(|&s| Item::Table(s)));
            }
            let align = items
                .iter()
                .map(|item| match item {
                    Item::Atom(a) => u64::from(self.atoms[a.0 as usize].alignment),
                    Item::Table(_) => ptr_size,
                })
                .max();
            let Some(align) = align else { continue };
            ptr = align_to(ptr, align).ok_or_else(|| overflow("__data_end"))?;
            let start = ptr;
            let mut here = Vec::with_capacity(items.len());
            for item in items {
                let (sym, alignment, size) = match item {
                    Item::Atom(a) => {
                        let atom = &self.atoms[a.0 as usize];
                        if let (AtomKind::Data { bytes, .. }, Some(_), Segment::Rodata) =
                            (&atom.kind, atom.parent, segment)
                        {
                            let relocs = atom
                                .relocs
                                .iter()
                                .map(|r| {
                                    let rep = representative[r.symbol.0 as usize];
                                    let target = if rep == NONE32 { r.symbol.0 } else { rep };
                                    (r.offset, r.kind as u8, target, r.addend)
                                })
                                .collect();
                            let key = (atom.alignment, bytes.as_slice(), relocs);
                            if let Some(&first) = merged.get(&key) {
                                values[atom.symbol.0 as usize].addr = values[first.0 as usize].addr;
                                representative[atom.symbol.0 as usize] = first.0;
                                continue;
                            }
                            merged.insert(key, atom.symbol);
                        }
                        (atom.symbol, u64::from(atom.alignment), atom.data_size())
                    }
                    Item::Table(sym) => (sym, ptr_size, self.table_size(sym)),
                };
                ptr = align_to(ptr, alignment).ok_or_else(|| overflow("__data_end"))?;
                let end = ptr.checked_add(size).filter(|&e| e <= data_limit);
                let Some(end) = end else {
                    return Err(LinkError::DataTooLarge {
                        name: self.display_name(sym),
                        size,
                        address: ptr,
                        limit: data_limit,
                    });
                };
                values[sym.0 as usize].addr = ptr;
                here.push(Placed { item, addr: ptr });
                ptr = end;
            }
            segments.push(SegmentLayout {
                segment,
                start,
                size: ptr - start,
            });
            placed.push(here);
        }
        let data_end = ptr;
        values[self.data_end_symbol().0 as usize].addr = data_end;

        if !o.stack_first {
            stack_low = align_to(ptr, STACK_ALIGN).ok_or_else(|| overflow("__stack_pointer"))?;
            stack_high = stack_low
                .checked_add(o.stack_size)
                .ok_or_else(|| overflow("__stack_pointer"))?;
            ptr = stack_high;
        }
        let heap_base = align_to(ptr, STACK_ALIGN).ok_or_else(|| overflow("__heap_base"))?;
        values[self.heap_base_symbol().0 as usize].addr = heap_base;

        let mut memory = heap_base;
        let mut what = "__heap_base";
        if let Some(initial) = o.initial_memory {
            if !initial.is_multiple_of(PAGE_SIZE) {
                return Err(LinkError::MemoryUnaligned {
                    option: "--initial-memory",
                    value: initial,
                });
            }
            if initial < heap_base {
                return Err(LinkError::MemoryTooSmall {
                    option: "--initial-memory",
                    value: initial,
                    needed: heap_base,
                });
            }
            memory = initial;
            what = "--initial-memory";
        }
        let initial_pages = memory.div_ceil(PAGE_SIZE);
        if initial_pages > limit_pages {
            return Err(LinkError::TooManyPages {
                what,
                pages: initial_pages,
                limit: limit_pages,
            });
        }
        let max_pages = match o.max_memory {
            None => None,
            Some(max) => {
                if !max.is_multiple_of(PAGE_SIZE) {
                    return Err(LinkError::MemoryUnaligned {
                        option: "--max-memory",
                        value: max,
                    });
                }
                if max < initial_pages * PAGE_SIZE {
                    return Err(LinkError::MemoryTooSmall {
                        option: "--max-memory",
                        value: max,
                        needed: initial_pages * PAGE_SIZE,
                    });
                }
                let pages = max / PAGE_SIZE;
                if pages > limit_pages {
                    return Err(LinkError::TooManyPages {
                        what: "--max-memory",
                        pages,
                        limit: limit_pages,
                    });
                }
                Some(pages)
            }
        };

        let layout = MemoryLayout {
            data_start,
            data_end,
            stack_low,
            stack_high,
            heap_base,
            initial_pages,
            max_pages,
            segments,
        };
        Ok((layout, placed))
    }

    /// The size of a synthesized name table.
    pub(crate) fn table_size(&self, sym: SymbolIndex) -> u64 {
        let ptr_size = if self.options.memory64 { 8 } else { 4 };
        let (entries, strings) = match self.table_names(sym) {
            Some((names, first_empty)) => (
                names.len() + usize::from(first_empty),
                names.iter().map(|n| n.len() + 1).sum::<usize>(),
            ),
            None => (0, 0),
        };
        (entries as u64) * 2 * ptr_size + strings as u64
    }

    /// The names of a synthesized table, and whether entry 0 is an extra empty entry.
    pub(crate) fn table_names(&self, sym: SymbolIndex) -> Option<(&[String], bool)> {
        match self.symbols[sym.0 as usize].kind {
            SymbolKind::Data(DataDef::Synthetic(Synthetic::ErrorNames)) => {
                Some((&self.error_names, true))
            }
            SymbolKind::Data(DataDef::Synthetic(Synthetic::TagNames(i))) => {
                Some((&self.tag_tables[i as usize].0, false))
            }
            _ => None,
        }
    }

    /// Writes a name table at `addr` into `dest`: `{ ptr, len }` entries, then the strings,
    /// each followed by a NUL byte.
    pub(crate) fn write_table(&self, sym: SymbolIndex, addr: u64, dest: &mut [u8]) {
        let Some((names, first_empty)) = self.table_names(sym) else {
            return;
        };
        let w = if self.options.memory64 { 8 } else { 4 };
        let entries = names.len() + usize::from(first_empty);
        let strings_at = entries * 2 * w;
        let put = |dest: &mut [u8], at: usize, v: u64| {
            dest[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
        };
        if first_empty {
            put(dest, 0, addr + strings_at as u64);
            put(dest, w, 0);
        }
        let mut s = strings_at;
        for (i, name) in names.iter().enumerate() {
            let e = (i + usize::from(first_empty)) * 2 * w;
            put(dest, e, addr + s as u64);
            put(dest, e + w, name.len() as u64);
            dest[s..s + name.len()].copy_from_slice(name.as_bytes());
            s += name.len() + 1;
        }
    }

    /// A constant of the pointer width.
    fn ptr_const(&self, v: u64) -> ConstExpr {
        if self.options.memory64 {
            ConstExpr::i64_const(v as i64)
        } else {
            ConstExpr::i32_const(v as u32 as i32)
        }
    }

    fn write_module(
        &self,
        scan: &Scan,
        imports: &[ImportedFunc],
        defined: &[(SymbolIndex, crate::AtomIndex, u32)],
        exports: &[(String, SymbolIndex)],
        data_globals: &[SymbolIndex],
        layout: &MemoryLayout,
        placed: &[Vec<Placed>],
        used_types: usize,
    ) -> Result<Vec<u8>, LinkError> {
        let o = &self.options;
        let values = &scan.values;
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"\0asm\x01\0\0\0");

        // type
        if used_types > 0 {
            let mut types = TypeSection::new();
            for sig in self.func_types.iter().take(used_types) {
                types.ty().function(
                    sig.params.iter().copied().map(wasm_valtype),
                    sig.results.iter().copied().map(wasm_valtype),
                );
            }
            types.append_to(&mut out);
        }

        // import
        let memory_type = MemoryType {
            minimum: layout.initial_pages,
            maximum: layout.max_pages,
            memory64: o.memory64,
            shared: false,
            page_size_log2: None,
        };
        let table_size = scan.table.len() as u64 + 1;
        let mut import_section = ImportSection::new();
        if o.import_memory {
            import_section.import("env", "memory", memory_type);
        }
        if o.import_table {
            import_section.import(
                "env",
                "__indirect_function_table",
                TableType {
                    element_type: RefType::FUNCREF,
                    table64: false,
                    minimum: table_size,
                    maximum: None,
                    shared: false,
                },
            );
        }
        for import in imports {
            import_section.import(
                self.names.str(import.module),
                self.names.str(import.field),
                EntityType::Function(import.ty),
            );
        }
        if !import_section.is_empty() {
            import_section.append_to(&mut out);
        }

        // function
        if !defined.is_empty() {
            let mut functions = FunctionSection::new();
            for &(_, _, ty) in defined {
                functions.function(ty);
            }
            functions.append_to(&mut out);
        }

        // table (also when no function has its address taken but a body calls through a
        // pointer: `call_indirect` needs table 0 to validate, and traps on its null slot)
        let calls_indirect = defined.iter().any(|&(_, atom, _)| {
            matches!(&self.atoms[atom.0 as usize].kind, AtomKind::Code(Some(body))
                if body.tags.iter().any(|t| t.immediate() == Imm::CallIndirect))
        });
        if !o.import_table && (!scan.table.is_empty() || o.export_table || calls_indirect) {
            let mut tables = TableSection::new();
            tables.table(TableType {
                element_type: RefType::FUNCREF,
                table64: false,
                minimum: table_size,
                maximum: Some(table_size),
                shared: false,
            });
            tables.append_to(&mut out);
        }

        // memory
        if !o.import_memory {
            let mut memories = MemorySection::new();
            memories.memory(memory_type);
            memories.append_to(&mut out);
        }

        // global
        let ptr_type = wasm_valtype(if o.memory64 {
            ValType::I64
        } else {
            ValType::I32
        });
        let mut globals = GlobalSection::new();
        globals.global(
            GlobalType {
                val_type: ptr_type,
                mutable: true,
                shared: false,
            },
            &self.ptr_const(layout.stack_high),
        );
        for &sym in data_globals {
            let addr = values[sym.0 as usize].addr().unwrap_or(0);
            globals.global(
                GlobalType {
                    val_type: ptr_type,
                    mutable: false,
                    shared: false,
                },
                &self.ptr_const(addr),
            );
        }
        globals.append_to(&mut out);

        // export
        let mut export_section = ExportSection::new();
        if o.export_memory {
            export_section.export("memory", ExportKind::Memory, 0);
        }
        if o.export_table {
            export_section.export("__indirect_function_table", ExportKind::Table, 0);
        }
        for (name, sym) in exports {
            let v = &values[sym.0 as usize];
            match (v.func(), v.global()) {
                (Some(func), _) => export_section.export(name, ExportKind::Func, func),
                (None, Some(global)) => export_section.export(name, ExportKind::Global, global),
                (None, None) => {
                    return Err(LinkError::ExportNotFound { name: name.clone() });
                }
            };
        }
        if !export_section.is_empty() {
            export_section.append_to(&mut out);
        }

        // element
        if !scan.table.is_empty() {
            let funcs: Vec<u32> = scan
                .table
                .iter()
                .map(|s| values[s.0 as usize].func)
                .collect();
            let mut elements = ElementSection::new();
            elements.active(
                None,
                &ConstExpr::i32_const(1),
                Elements::Functions(Cow::Owned(funcs)),
            );
            elements.append_to(&mut out);
        }

        // code: each body emitted once into a reused buffer, then appended.
        if !defined.is_empty() {
            let resolver = FinalResolver(values);
            let mut contents = Vec::new();
            write_uleb(&mut contents, defined.len() as u64);
            let mut body = Vec::new();
            for &(sym, atom, _) in defined {
                let AtomKind::Code(Some(mir)) = &self.atoms[atom.0 as usize].kind else {
                    return Err(LinkError::MissingBody {
                        name: self.display_name(sym),
                    });
                };
                body.clear();
                emit_body(mir, &resolver, o.memory64, &mut body, None).map_err(|source| {
                    LinkError::Emit {
                        function: self.display_name(sym),
                        source,
                    }
                })?;
                write_uleb(&mut contents, body.len() as u64);
                contents.extend_from_slice(&body);
            }
            out.push(10);
            write_uleb(&mut out, contents.len() as u64);
            out.extend_from_slice(&contents);
        }

        // data
        let mut data_names = NameMap::new();
        let mut data_section = DataSection::new();
        for (seg, placed) in layout.segments.iter().zip(placed) {
            // Memory is zeroed unless imported, so .bss needs no bytes then.
            if seg.segment == Segment::Bss && !o.import_memory {
                continue;
            }
            let bytes = self.segment_bytes(seg, placed, values)?;
            data_names.append(data_section.len(), seg.segment.name());
            data_section.active(0, &self.ptr_const(seg.start), bytes.iter().copied());
        }
        if !data_section.is_empty() {
            data_section.append_to(&mut out);
        }

        // name
        let mut names = NameSection::new();
        let mut func_names = NameMap::new();
        for (k, import) in imports.iter().enumerate() {
            func_names.append(k as u32, &self.name_for_output(import.sym));
        }
        for (k, &(sym, _, _)) in defined.iter().enumerate() {
            func_names.append((imports.len() + k) as u32, &self.name_for_output(sym));
        }
        if !func_names.is_empty() {
            names.functions(&func_names);
        }
        let mut global_names = NameMap::new();
        global_names.append(0, "__stack_pointer");
        for (k, &sym) in data_globals.iter().enumerate() {
            global_names.append(1 + k as u32, &self.name_for_output(sym));
        }
        names.globals(&global_names);
        if !data_names.is_empty() {
            names.data(&data_names);
        }
        names.append_to(&mut out);

        // producers
        let mut producers = ProducersSection::new();
        let mut processed_by = ProducersField::new();
        processed_by.value("wabe", env!("CARGO_PKG_VERSION"));
        producers.field("processed-by", &processed_by);
        producers.append_to(&mut out);

        Ok(out)
    }

    /// A symbol's name for the name section, without allocating for named symbols.
    fn name_for_output(&self, sym: SymbolIndex) -> Cow<'_, str> {
        match self.symbol_name(sym) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(self.display_name(sym)),
        }
    }

    /// The initial bytes of one output segment, with relocations applied.
    fn segment_bytes(
        &self,
        seg: &crate::SegmentLayout,
        placed: &[Placed],
        values: &[SymbolValue],
    ) -> Result<Vec<u8>, LinkError> {
        let mut bytes = vec![0u8; seg.size as usize];
        for p in placed {
            let at = (p.addr - seg.start) as usize;
            let atom = match p.item {
                Item::Table(sym) => {
                    let size = self.table_size(sym) as usize;
                    self.write_table(sym, p.addr, &mut bytes[at..at + size]);
                    continue;
                }
                Item::Atom(a) => &self.atoms[a.0 as usize],
            };
            let AtomKind::Data { bytes: data, .. } = &atom.kind else {
                continue;
            };
            let dest = &mut bytes[at..at + data.len()];
            dest.copy_from_slice(data);
            for r in &atom.relocs {
                let target = &values[r.symbol.0 as usize];
                let value = match r.kind {
                    wabe_mir::RelocKind::TableIndexI32 | wabe_mir::RelocKind::TableIndexI64 => {
                        u64::from(target.table().unwrap_or(0))
                    }
                    _ => (target.addr().unwrap_or(0) as i64).wrapping_add(r.addend) as u64,
                };
                let field = &mut dest[r.offset as usize..r.offset as usize + reloc_width(r.kind)];
                if field.len() == 8 {
                    field.copy_from_slice(&value.to_le_bytes());
                } else {
                    let Ok(v) = u32::try_from(value) else {
                        return Err(LinkError::AddressOverflow {
                            name: self.display_name(atom.symbol),
                            target: self.display_name(r.symbol),
                            value,
                        });
                    };
                    field.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        Ok(bytes)
    }
}
