//! Flushing: from symbols and atoms to an executable module.
//!
//! A flush is a full relink; it changes nothing but the recorded results, so the linker can be
//! updated and flushed again. The steps:
//!
//! 1. **Exports**: the explicit ones, then `--export NAME`, then the entry.
//! 2. **Scan**: every code atom's MIR and every data atom's relocations are checked (each
//!    operand names a live symbol of the right kind) and give the referenced functions and the
//!    table slots, in order of first use.
//! 3. **Indices**: referenced imports first (in symbol order), then defined functions; global 0
//!    is `__stack_pointer`, then one immutable global per exported data symbol.
//! 4. **Memory** (wasm-ld's rules): see [`MemoryLayout`].
//! 5. **Write**: sections in the standard order, each function body emitted once from its MIR
//!    with final indices (shortest LEBs), data with its relocations applied, then the `name`
//!    and `producers` custom sections.

use std::borrow::Cow;

use wabe_mir::{emit_body, write_uleb, Imm, MirFunction, Resolver, SymbolIndex, ValType};
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
    func: u32,
    table: u32,
    global: u32,
    addr: u64,
}

impl SymbolValue {
    const EMPTY: SymbolValue = SymbolValue {
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
struct Scan {
    values: Vec<SymbolValue>,
    referenced: Vec<bool>,
    /// Table entries; entry `i` is slot `i + 1`.
    table: Vec<SymbolIndex>,
}

impl Scan {
    fn reference(&mut self, sym: SymbolIndex) {
        self.referenced[sym.0 as usize] = true;
    }

    fn table_slot(&mut self, sym: SymbolIndex) {
        let v = &mut self.values[sym.0 as usize];
        if v.table == NONE32 {
            self.table.push(sym);
            v.table = self.table.len() as u32;
        }
    }
}

/// A function import in the output.
struct ImportedFunc {
    module: NameId,
    field: NameId,
    ty: u32,
    sym: SymbolIndex,
}

fn wasm_valtype(t: ValType) -> wasm_encoder::ValType {
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
    pub fn flush(&mut self) -> Result<Vec<u8>, LinkError> {
        self.layout = None;
        self.values.clear();
        let env = self.names.intern("env");

        let exports = self.collect_exports()?;
        let mut scan = Scan {
            values: vec![SymbolValue::EMPTY; self.symbols.len()],
            referenced: vec![false; self.symbols.len()],
            table: Vec::new(),
        };
        for &(_, sym) in &exports {
            scan.reference(sym);
        }

        // Scan code and data.
        for atom in &self.atoms {
            match &atom.kind {
                AtomKind::Code(None) => {
                    return Err(LinkError::MissingBody {
                        name: self.display_name(atom.symbol),
                    })
                }
                AtomKind::Code(Some(body)) => self.scan_body(atom.symbol, body, &mut scan)?,
                AtomKind::Data { bytes, .. } => self.scan_data(atom, bytes.len(), &mut scan)?,
                AtomKind::Free => {}
            }
        }

        // Function indices: referenced imports, then definitions.
        let mut imports = Vec::new();
        let mut defined = Vec::new();
        for (i, s) in self.symbols.iter().enumerate() {
            let sym = SymbolIndex(i as u32);
            let referenced = scan.referenced[i];
            match s.kind {
                SymbolKind::Function { ty, def } => match def {
                    FunctionDef::Defined(atom) => defined.push((sym, atom, ty)),
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

        let layout = self.layout_memory(&mut scan.values)?;
        let out = self.write_module(&scan, &imports, &defined, &exports, &data_globals, &layout)?;
        self.values = scan.values;
        self.layout = Some(layout);
        Ok(out)
    }

    /// The final export list: explicit exports, `--export` names, the entry.
    fn collect_exports(&self) -> Result<Vec<(String, SymbolIndex)>, LinkError> {
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
        for (&name, &sym) in &self.exports {
            add(self.names.str(name), sym)?;
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
    fn scan_body(
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
    fn scan_data(&self, atom: &Atom, size: usize, scan: &mut Scan) -> Result<(), LinkError> {
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

    /// Assigns data addresses and the stack; see [`MemoryLayout`].
    fn layout_memory(&self, values: &mut [SymbolValue]) -> Result<MemoryLayout, LinkError> {
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

        let mut segments = Vec::new();
        for segment in Segment::ALL {
            let members = || {
                self.atoms.iter().filter(
                    move |a| matches!(&a.kind, AtomKind::Data { segment: s, .. } if *s == segment),
                )
            };
            let Some(align) = members().map(|a| a.alignment).max() else {
                continue;
            };
            ptr = align_to(ptr, u64::from(align)).ok_or_else(|| overflow("__data_end"))?;
            let start = ptr;
            for atom in members() {
                ptr = align_to(ptr, u64::from(atom.alignment))
                    .ok_or_else(|| overflow("__data_end"))?;
                values[atom.symbol.0 as usize].addr = ptr;
                let len = atom.data().map_or(0, |d| d.len() as u64);
                ptr = ptr.checked_add(len).ok_or_else(|| overflow("__data_end"))?;
            }
            segments.push(SegmentLayout {
                segment,
                start,
                size: ptr - start,
            });
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

        Ok(MemoryLayout {
            data_start,
            data_end,
            stack_low,
            stack_high,
            heap_base,
            initial_pages,
            max_pages,
            segments,
        })
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
    ) -> Result<Vec<u8>, LinkError> {
        let o = &self.options;
        let values = &scan.values;
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"\0asm\x01\0\0\0");

        // type
        if !self.func_types.is_empty() {
            let mut types = TypeSection::new();
            for sig in &self.func_types {
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

        // table
        if !o.import_table && (!scan.table.is_empty() || o.export_table) {
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
        for seg in &layout.segments {
            // Memory is zeroed unless imported, so .bss needs no bytes then.
            if seg.segment == Segment::Bss && !o.import_memory {
                continue;
            }
            let bytes = self.segment_bytes(seg, values)?;
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
        values: &[SymbolValue],
    ) -> Result<Vec<u8>, LinkError> {
        let mut bytes = vec![0u8; seg.size as usize];
        for atom in &self.atoms {
            let AtomKind::Data {
                bytes: data,
                segment,
            } = &atom.kind
            else {
                continue;
            };
            if *segment != seg.segment {
                continue;
            }
            let at = (values[atom.symbol.0 as usize].addr - seg.start) as usize;
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
