//! Writing a relocatable object ([`Linker::flush_object`]).
//!
//! The object follows [WebAssembly/tool-conventions Linking.md][linking] so that `wasm-ld` can
//! link it with objects from clang or Zig:
//!
//! - imports `env.__linear_memory` (the memory), `env.__stack_pointer` (a mutable global of
//!   the pointer type), the referenced functions that are imports or undefined, and
//!   `env.__indirect_function_table` when some `call_indirect` needs it (a 64-bit table on
//!   wasm64, as clang makes it);
//! - no table, element, global or export section: table slots, globals and exports are the
//!   final linker's business and are described by symbols and relocations;
//! - one active data segment per data atom (`.rodata.NAME`, `.data.NAME`, `.bss.NAME`),
//!   placed at increasing offsets from 0 in the object's own address space;
//! - code with padded LEBs exactly where a relocation applies (the emitter's relocatable
//!   mode): `MEMORY_ADDR_SLEB(64)` for address constants, `TABLE_INDEX_SLEB(64)` for
//!   function addresses, `FUNCTION_INDEX_LEB`, `GLOBAL_INDEX_LEB`, and for `call_indirect` a
//!   `TYPE_INDEX_LEB` and a `TABLE_NUMBER_LEB` against the table symbol (declared with the
//!   `call-indirect-overlong` feature, as clang does);
//! - the `linking` section (version 2: segment info and the symbol table) and `reloc.CODE` /
//!   `reloc.DATA`, whose offsets count from the start of the section contents (the function
//!   count and each body's size are included);
//! - a `target_features` section listing the features the code uses.
//!
//! Symbols: an exported function or data symbol (`export fn`, `--export`, the entry) is a
//! global, default-visibility symbol with the `EXPORTED` flag, so `wasm-ld` exports it by
//! default, as wabe's own link does (like clang's `export_name`). Every other definition has
//! local binding, so that two wabe objects never collide (the `__wabe_*` helpers included).
//! An `extern fn` is an undefined function with `EXPLICIT_NAME`: its import module and name
//! are explicit, so a linker imports it when nothing defines it (like clang's
//! `import_module`/`import_name`).
//!
//! [linking]: https://github.com/WebAssembly/tool-conventions/blob/main/Linking.md

use wabe_mir::{emit_body, write_sleb, write_uleb, Reloc, RelocKind, Resolver, SymbolIndex};
use wabe_object::{LinkingSection, RelocSection, RelocType, SymbolFlags, SymbolInfo};
use wasm_encoder::{
    CustomSection, EntityType, FunctionSection, GlobalType, ImportSection, MemoryType, RefType,
    Section, TableType, TypeSection,
};

use crate::atom::{AtomIndex, AtomKind};
use crate::flush::{wasm_valtype, ImportedFunc, Scan, SymbolValue};
use crate::symbol::{DataDef, FunctionDef, SymbolKind, Synthetic};
use crate::{LinkError, Linker, ValType};

const NONE: u32 = u32::MAX;

/// Resolves symbol operands for the relocatable emitter: the object's own indices (imports
/// first) and addresses in the object's address space.
struct ObjectResolver<'a> {
    values: &'a [SymbolValue],
    table_symbol: Option<SymbolIndex>,
}

impl Resolver for ObjectResolver<'_> {
    fn function_index(&self, sym: SymbolIndex) -> Option<u32> {
        self.values.get(sym.0 as usize)?.func()
    }
    fn global_index(&self, _sym: SymbolIndex) -> Option<u32> {
        Some(0)
    }
    fn memory_address(&self, sym: SymbolIndex) -> Option<u64> {
        Some(self.values.get(sym.0 as usize)?.addr().unwrap_or(0))
    }
    fn table_index(&self, _sym: SymbolIndex) -> Option<u32> {
        Some(0)
    }
    fn table_number_symbol(&self) -> Option<SymbolIndex> {
        self.table_symbol
    }
}

/// One data segment of the object.
struct ObjSegment {
    /// The wabe symbol it defines.
    sym: SymbolIndex,
    name: String,
    bytes: Vec<u8>,
    align: u32,
    relocs: Vec<Reloc>,
}

fn reloc_type(kind: RelocKind) -> RelocType {
    RelocType::from_code(kind as u8).expect("RelocKind codes are Linking.md codes")
}

impl Linker {
    /// Writes a relocatable object of everything defined, as described in the [module
    /// docs](self). The linker's state is unchanged except for the renumbering of function
    /// types that a flush also does.
    pub fn flush_object(&mut self) -> Result<Vec<u8>, LinkError> {
        let wide = self.options.memory64;
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
        let mut call_indirect = false;
        for &a in &atom_order {
            let atom = &self.atoms[a.0 as usize];
            match &atom.kind {
                AtomKind::Code(None) => {
                    return Err(LinkError::MissingBody {
                        name: self.display_name(atom.symbol),
                    })
                }
                AtomKind::Code(Some(body)) => {
                    self.scan_body(atom.symbol, body, &mut scan)?;
                    call_indirect |= body
                        .tags
                        .iter()
                        .any(|t| t.immediate() == wabe_mir::Imm::CallIndirect);
                }
                AtomKind::Data { bytes, .. } => self.scan_data(atom, bytes.len(), &mut scan)?,
                AtomKind::Zeros { .. } | AtomKind::Free => {}
            }
        }

        // Function index space: referenced imports and undefined functions, then definitions.
        let env = self.names.intern("env");
        let mut imports = Vec::new();
        let mut defined = Vec::new();
        for &sym in &top {
            let s = &self.symbols[sym.0 as usize];
            if let SymbolKind::Function { ty, def } = s.kind {
                match def {
                    FunctionDef::Defined(atom) => defined.push((sym, atom, ty)),
                    FunctionDef::Import { module, field } if scan.referenced[sym.0 as usize] => {
                        imports.push(ImportedFunc {
                            module,
                            field,
                            ty,
                            sym,
                        })
                    }
                    FunctionDef::Undefined if scan.referenced[sym.0 as usize] => {
                        let Some(name) = s.name else { continue };
                        imports.push(ImportedFunc {
                            module: env,
                            field: name,
                            ty,
                            sym,
                        })
                    }
                    _ => {}
                }
            }
        }
        for (k, import) in imports.iter().enumerate() {
            scan.values[import.sym.0 as usize].func = k as u32;
        }
        for (k, &(sym, _, _)) in defined.iter().enumerate() {
            scan.values[sym.0 as usize].func = (imports.len() + k) as u32;
        }
        let used_types = self.canonicalize_types(&mut imports, &mut defined);

        // Data segments: every data atom, and the name tables something refers to.
        let mut segments = self.object_segments(&atom_order, &top, &scan)?;
        let mut vaddr = 0u64;
        for seg in &mut segments {
            vaddr = vaddr.next_multiple_of(u64::from(seg.align));
            scan.values[seg.sym.0 as usize].addr = vaddr;
            vaddr += seg.bytes.len() as u64;
        }

        // The symbol table. `symbol_index[sym]` is the object symbol of a wabe symbol.
        let exported = |sym: SymbolIndex| exports.iter().any(|&(_, s)| s == sym);
        let mut linking = LinkingSection::new();
        let mut symbol_index = vec![NONE; self.symbols.len()];
        for (k, import) in imports.iter().enumerate() {
            let explicit = matches!(
                self.symbols[import.sym.0 as usize].kind,
                SymbolKind::Function {
                    def: FunctionDef::Import { .. },
                    ..
                }
            );
            let mut flags = SymbolFlags::UNDEFINED;
            if explicit {
                flags = flags | SymbolFlags::EXPLICIT_NAME;
            }
            symbol_index[import.sym.0 as usize] = linking.symbol(SymbolInfo::Function {
                flags,
                index: k as u32,
                name: Some(self.display_name(import.sym)),
            });
        }
        for (k, &(sym, _, _)) in defined.iter().enumerate() {
            let flags = if exported(sym) {
                SymbolFlags::EXPORTED
            } else {
                SymbolFlags::BINDING_LOCAL
            };
            symbol_index[sym.0 as usize] = linking.symbol(SymbolInfo::Function {
                flags,
                index: (imports.len() + k) as u32,
                name: Some(self.display_name(sym)),
            });
        }
        let sp = self.stack_pointer();
        symbol_index[sp.0 as usize] = linking.symbol(SymbolInfo::Global {
            flags: SymbolFlags::UNDEFINED,
            index: 0,
            name: None,
        });
        let table_symbol = call_indirect.then(|| {
            linking.symbol(SymbolInfo::Table {
                flags: SymbolFlags::UNDEFINED,
                index: 0,
                name: None,
            })
        });
        for (k, seg) in segments.iter().enumerate() {
            let s = &self.symbols[seg.sym.0 as usize];
            let flags = if exported(seg.sym) {
                SymbolFlags::EXPORTED
            } else if s.name.is_some() {
                SymbolFlags::BINDING_LOCAL
            } else {
                SymbolFlags::BINDING_LOCAL | SymbolFlags::VISIBILITY_HIDDEN
            };
            symbol_index[seg.sym.0 as usize] = linking.symbol(SymbolInfo::Data {
                flags,
                name: self.object_symbol_name(seg.sym),
                defined: Some((k as u32, 0, seg.bytes.len() as u64)),
            });
            let prefix = match self
                .atom_of(seg.sym)
                .and_then(|a| self.atoms[a.0 as usize].segment())
            {
                Some(segment) => segment.name(),
                None => ".rodata",
            };
            linking.segment(
                &format!("{prefix}.{}", seg.name),
                seg.align.trailing_zeros(),
                0,
            );
        }
        // Referenced data symbols without a definition here (`__heap_base`, `__data_end`,
        // declared but undefined data).
        for (i, referenced) in scan.referenced.iter().enumerate() {
            if !referenced || symbol_index[i] != NONE {
                continue;
            }
            if let SymbolKind::Data(_) = self.symbols[i].kind {
                symbol_index[i] = linking.symbol(SymbolInfo::Data {
                    flags: SymbolFlags::UNDEFINED,
                    name: self.display_name(SymbolIndex(i as u32)),
                    defined: None,
                });
            }
        }

        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"\0asm\x01\0\0\0");
        let mut section_count = 0u32;

        if used_types > 0 {
            let mut types = TypeSection::new();
            for sig in self.func_types.iter().take(used_types) {
                types.ty().function(
                    sig.params.iter().copied().map(wasm_valtype),
                    sig.results.iter().copied().map(wasm_valtype),
                );
            }
            types.append_to(&mut out);
            section_count += 1;
        }

        let mut import_section = ImportSection::new();
        import_section.import(
            "env",
            "__linear_memory",
            MemoryType {
                minimum: vaddr.div_ceil(crate::PAGE_SIZE),
                maximum: None,
                memory64: wide,
                shared: false,
                page_size_log2: None,
            },
        );
        import_section.import(
            "env",
            "__stack_pointer",
            GlobalType {
                val_type: wasm_valtype(if wide { ValType::I64 } else { ValType::I32 }),
                mutable: true,
                shared: false,
            },
        );
        for import in &imports {
            import_section.import(
                self.names.str(import.module),
                self.names.str(import.field),
                EntityType::Function(import.ty),
            );
        }
        if table_symbol.is_some() {
            import_section.import(
                "env",
                "__indirect_function_table",
                TableType {
                    element_type: RefType::FUNCREF,
                    table64: wide,
                    minimum: 0,
                    maximum: None,
                    shared: false,
                },
            );
        }
        import_section.append_to(&mut out);
        section_count += 1;

        if !defined.is_empty() {
            let mut functions = FunctionSection::new();
            for &(_, _, ty) in &defined {
                functions.function(ty);
            }
            functions.append_to(&mut out);
            section_count += 1;
        }

        // The table symbol is given to the emitter as a wabe symbol index that cannot clash:
        // the relocation is mapped back below.
        let table_marker = SymbolIndex(u32::MAX);
        let resolver = ObjectResolver {
            values: &scan.values,
            table_symbol: table_symbol.map(|_| table_marker),
        };
        let map = |r: &Reloc, what: &str, owner: SymbolIndex| -> Result<u32, LinkError> {
            match r.kind {
                RelocKind::TypeIndexLeb => Ok(r.symbol.0),
                RelocKind::TableNumberLeb => Ok(table_symbol.unwrap_or(0)),
                _ => match symbol_index.get(r.symbol.0 as usize) {
                    Some(&i) if i != NONE => Ok(i),
                    _ => Err(LinkError::BadOperand {
                        function: self.display_name(owner),
                        inst: r.offset,
                        operand: format!("{} ({what} relocation)", r.symbol),
                        expected: "symbol of the object",
                    }),
                },
            }
        };

        // code
        let mut features = FeatureSet::default();
        let mut code_relocs = RelocSection::new(section_count);
        if !defined.is_empty() {
            let mut contents = Vec::new();
            write_uleb(&mut contents, defined.len() as u64);
            let mut body = Vec::new();
            let mut relocs = Vec::new();
            for &(sym, atom, _) in &defined {
                let AtomKind::Code(Some(mir)) = &self.atoms[atom.0 as usize].kind else {
                    return Err(LinkError::MissingBody {
                        name: self.display_name(sym),
                    });
                };
                features.scan(mir);
                let mir = if wide {
                    table64_calls(mir)
                } else {
                    std::borrow::Cow::Borrowed(mir)
                };
                body.clear();
                relocs.clear();
                emit_body(&mir, &resolver, wide, &mut body, Some(&mut relocs)).map_err(
                    |source| LinkError::Emit {
                        function: self.display_name(sym),
                        source,
                    },
                )?;
                write_uleb(&mut contents, body.len() as u64);
                let start = contents.len() as u32;
                for r in &relocs {
                    let index = map(r, "code", sym)?;
                    code_relocs.entry(reloc_type(r.kind), start + r.offset, index, r.addend);
                }
                contents.extend_from_slice(&body);
            }
            out.push(10);
            write_uleb(&mut out, contents.len() as u64);
            out.extend_from_slice(&contents);
            section_count += 1;
        }

        // data
        let mut data_relocs = RelocSection::new(section_count);
        if !segments.is_empty() {
            let mut contents = Vec::new();
            write_uleb(&mut contents, segments.len() as u64);
            for seg in &segments {
                contents.push(0); // active, memory 0
                let addr = scan.values[seg.sym.0 as usize].addr().unwrap_or(0);
                if wide {
                    contents.push(0x42);
                    write_sleb(&mut contents, addr as i64);
                } else {
                    contents.push(0x41);
                    write_sleb(&mut contents, i64::from(addr as u32 as i32));
                }
                contents.push(0x0b);
                write_uleb(&mut contents, seg.bytes.len() as u64);
                let start = contents.len() as u32;
                for r in &seg.relocs {
                    let index = map(r, "data", seg.sym)?;
                    data_relocs.entry(reloc_type(r.kind), start + r.offset, index, r.addend);
                }
                contents.extend_from_slice(&seg.bytes);
            }
            out.push(11);
            write_uleb(&mut out, contents.len() as u64);
            out.extend_from_slice(&contents);
        }

        CustomSection {
            name: "linking".into(),
            data: linking.encode().into(),
        }
        .append_to(&mut out);
        for (name, relocs) in [("reloc.CODE", &code_relocs), ("reloc.DATA", &data_relocs)] {
            if !relocs.is_empty() {
                CustomSection {
                    name: name.into(),
                    data: relocs.encode().into(),
                }
                .append_to(&mut out);
            }
        }

        features.mutable_globals = true;
        features.memory64 = wide;
        features.call_indirect_overlong = table_symbol.is_some();
        CustomSection {
            name: "target_features".into(),
            data: features.encode().into(),
        }
        .append_to(&mut out);
        Ok(out)
    }

    /// The name of a data symbol in the object: its own, or `.L<owner>.<k>` for the `k`-th
    /// local atom of `owner` (a name only this object sees).
    fn object_symbol_name(&self, sym: SymbolIndex) -> String {
        if let Some(name) = self.symbol_name(sym) {
            return name.to_owned();
        }
        if let Some(atom) = self.atom_of(sym) {
            if let Some(parent) = self.atoms[atom.0 as usize].parent {
                let p = &self.atoms[parent.0 as usize];
                let k = p.locals.iter().position(|&l| l == atom).unwrap_or(0);
                return format!(".L{}.{k}", self.object_symbol_name(p.symbol));
            }
        }
        format!(".Lwabe.sym{}", sym.0)
    }

    /// The data segments of an object, in output order: each data atom, then the referenced
    /// name tables (written with their own address 0 and a relocation per string pointer).
    fn object_segments(
        &self,
        atom_order: &[AtomIndex],
        top: &[SymbolIndex],
        scan: &Scan,
    ) -> Result<Vec<ObjSegment>, LinkError> {
        let mut out = Vec::new();
        for &a in atom_order {
            let atom = &self.atoms[a.0 as usize];
            let bytes = match &atom.kind {
                AtomKind::Data { bytes, .. } => bytes.clone(),
                AtomKind::Zeros { size } => {
                    let Ok(size) = usize::try_from(*size) else {
                        return Err(LinkError::DataTooLarge {
                            name: self.display_name(atom.symbol),
                            size: *size,
                            address: 0,
                            limit: usize::MAX as u64,
                        });
                    };
                    vec![0; size]
                }
                _ => continue,
            };
            out.push(ObjSegment {
                sym: atom.symbol,
                name: self.object_symbol_name(atom.symbol),
                bytes,
                align: atom.alignment.max(1),
                relocs: atom.relocs.clone(),
            });
        }
        let w: usize = if self.options.memory64 { 8 } else { 4 };
        for &sym in top {
            let i = sym.0 as usize;
            let is_table = matches!(
                self.symbols[i].kind,
                SymbolKind::Data(DataDef::Synthetic(
                    Synthetic::ErrorNames | Synthetic::TagNames(_)
                ))
            );
            if !is_table || !scan.referenced[i] {
                continue;
            }
            let size = self.table_size(sym) as usize;
            let mut bytes = vec![0; size];
            self.write_table(sym, 0, &mut bytes);
            let entries = self
                .table_names(sym)
                .map_or(0, |(n, e)| n.len() + usize::from(e));
            let relocs = (0..entries)
                .map(|k| {
                    let at = k * 2 * w;
                    let mut v = [0u8; 8];
                    v[..w].copy_from_slice(&bytes[at..at + w]);
                    Reloc {
                        offset: at as u32,
                        kind: if w == 8 {
                            RelocKind::MemoryAddrI64
                        } else {
                            RelocKind::MemoryAddrI32
                        },
                        symbol: sym,
                        addend: u64::from_le_bytes(v) as i64,
                    }
                })
                .collect();
            out.push(ObjSegment {
                sym,
                name: self.object_symbol_name(sym),
                bytes,
                align: w as u32,
                relocs,
            });
        }
        Ok(out)
    }
}

/// On wasm64 the function table of objects is a 64-bit table (as clang makes it), indexed by
/// an `i64`: the `i32.wrap_i64` funcgen puts before each indirect call for the 32-bit table
/// of executables is dropped (or an `i64.extend_i32_u` added).
fn table64_calls(mir: &wabe_mir::MirFunction) -> std::borrow::Cow<'_, wabe_mir::MirFunction> {
    use wabe_mir::{MirData, MirTag};
    let indirect = |t: &MirTag| matches!(t, MirTag::CallIndirect | MirTag::ReturnCallIndirect);
    if !mir.tags.iter().any(indirect) {
        return std::borrow::Cow::Borrowed(mir);
    }
    let mut out = wabe_mir::MirFunction {
        locals: mir.locals.clone(),
        extra: mir.extra.clone(),
        ..Default::default()
    };
    for (&tag, &data) in mir.tags.iter().zip(&mir.data) {
        if indirect(&tag) {
            if out.tags.last() == Some(&MirTag::I32WrapI64) {
                out.tags.pop();
                out.data.pop();
            } else {
                out.push(MirTag::I64ExtendI32U, MirData::default());
            }
        }
        out.push(tag, data);
    }
    std::borrow::Cow::Owned(out)
}

/// The features an object's code uses, for its `target_features` section.
#[derive(Default)]
struct FeatureSet {
    sign_ext: bool,
    nontrapping_fptoint: bool,
    bulk_memory: bool,
    tail_call: bool,
    mutable_globals: bool,
    memory64: bool,
    call_indirect_overlong: bool,
}

impl FeatureSet {
    fn scan(&mut self, mir: &wabe_mir::MirFunction) {
        for tag in &mir.tags {
            match tag.opcode() {
                0xc0..=0xc4 => self.sign_ext = true,
                0x12 | 0x13 => self.tail_call = true,
                0xfc00..=0xfc07 => self.nontrapping_fptoint = true,
                0xfc08..=0xfc11 => self.bulk_memory = true,
                _ => {}
            }
        }
    }

    fn encode(&self) -> Vec<u8> {
        let list = [
            (self.bulk_memory, "bulk-memory"),
            (self.call_indirect_overlong, "call-indirect-overlong"),
            (self.memory64, "memory64"),
            (self.mutable_globals, "mutable-globals"),
            (self.nontrapping_fptoint, "nontrapping-fptoint"),
            (self.sign_ext, "sign-ext"),
            (self.tail_call, "tail-call"),
        ];
        let used: Vec<&str> = list.iter().filter(|(on, _)| *on).map(|&(_, n)| n).collect();
        let mut out = Vec::new();
        write_uleb(&mut out, used.len() as u64);
        for name in used {
            out.push(b'+');
            write_uleb(&mut out, name.len() as u64);
            out.extend_from_slice(name.as_bytes());
        }
        out
    }
}
