//! Reading relocatable objects (clang, Zig, wabe) with `wasmparser`.
//!
//! An object is parsed into flat tables: function types, functions (imports first, then
//! definitions with their body bytes), globals, data segments (bytes, alignment, name), the
//! symbol table, init functions and comdats. Each `reloc.CODE` / `reloc.DATA` entry is moved
//! to the function body or data segment it lies in, its offset made relative to that body
//! (counted from the start of the body, after its size) or segment. Relocations of custom
//! sections (debug information) are dropped with those sections.
//!
//! The module is not validated: Zig's objects, for one, are not valid modules until linked.
//! Every structural problem is an error with the byte offset where it was found.

use std::ops::Range;

use wabe_object::RelocType;
use wasmparser::{
    CompositeInnerType, DataKind, KnownCustom, Linking, Parser, Payload, SymbolInfo, TypeRef,
};

use super::ObjectError;
use crate::symbol::FuncSig;
use crate::ValType;

/// A relocation inside one function body or data segment.
#[derive(Copy, Clone, Debug)]
pub(crate) struct ObjReloc {
    pub(crate) ty: RelocType,
    /// Offset from the start of the body (after its size LEB) or of the segment's bytes.
    pub(crate) offset: u32,
    /// A symbol index (a type index for `TYPE_INDEX_LEB`).
    pub(crate) index: u32,
    pub(crate) addend: i64,
}

/// A function of the object's function index space.
#[derive(Clone, Debug)]
pub(crate) struct ObjFunc {
    pub(crate) ty: u32,
    /// `(module, field)` for an import.
    pub(crate) import: Option<(String, String)>,
    /// The body (locals, code, `end`) of a definition.
    pub(crate) body: Range<usize>,
    pub(crate) relocs: Vec<ObjReloc>,
}

/// A global of the object's global index space.
#[derive(Clone, Debug)]
pub(crate) struct ObjGlobal {
    pub(crate) ty: ValType,
    pub(crate) mutable: bool,
    pub(crate) import: Option<(String, String)>,
    /// A constant initializer's bits, for a definition.
    pub(crate) init: u64,
}

/// A data segment.
#[derive(Clone, Debug)]
pub(crate) struct ObjSegment {
    pub(crate) name: String,
    pub(crate) align: u32,
    pub(crate) data: Range<usize>,
    pub(crate) relocs: Vec<ObjReloc>,
    pub(crate) tls: bool,
}

/// What a symbol is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum SymKind {
    Func,
    Data,
    Global,
    Table,
    /// Section and event symbols: kept so that indices line up, never resolved.
    Other,
}

impl SymKind {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            SymKind::Func => "function",
            SymKind::Data => "data symbol",
            SymKind::Global => "global",
            SymKind::Table => "table",
            SymKind::Other => "section or event symbol",
        }
    }
}

/// A symbol-table entry.
#[derive(Clone, Debug)]
pub(crate) struct ObjSymbol {
    pub(crate) kind: SymKind,
    pub(crate) flags: u32,
    pub(crate) name: String,
    /// The function, global or table index.
    pub(crate) index: u32,
    /// `(segment, offset, size)` of a defined data symbol.
    pub(crate) data: Option<(u32, u64, u64)>,
}

pub(crate) const WEAK: u32 = 0x1;
pub(crate) const LOCAL: u32 = 0x2;
pub(crate) const UNDEFINED: u32 = 0x10;
pub(crate) const EXPORTED: u32 = 0x20;
pub(crate) const EXPLICIT_NAME: u32 = 0x40;
pub(crate) const NO_STRIP: u32 = 0x80;

impl ObjSymbol {
    pub(crate) fn is(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
    pub(crate) fn defined(&self) -> bool {
        !self.is(UNDEFINED)
    }
}

/// A parsed object.
#[derive(Clone, Debug)]
pub(crate) struct ObjFile {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) types: Vec<FuncSig>,
    pub(crate) funcs: Vec<ObjFunc>,
    pub(crate) imported_funcs: u32,
    pub(crate) globals: Vec<ObjGlobal>,
    pub(crate) tables: u32,
    pub(crate) segments: Vec<ObjSegment>,
    pub(crate) symbols: Vec<ObjSymbol>,
    /// `(priority, symbol)`.
    pub(crate) init_funcs: Vec<(u32, u32)>,
    /// Comdats: name, then members as (kind: 0 data segment, 1 function, ...; index).
    pub(crate) comdats: Vec<(String, Vec<(u8, u32)>)>,
    pub(crate) memory64: bool,
}

fn valtype(file: &str, t: wasmparser::ValType, offset: u64) -> Result<ValType, ObjectError> {
    Ok(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        other => {
            return Err(ObjectError::Unsupported {
                file: file.into(),
                what: format!("value type {other} (at byte offset {offset:#x})"),
            })
        }
    })
}

/// Parses an object. `name` is used in messages.
pub(crate) fn parse(name: &str, bytes: Vec<u8>) -> Result<ObjFile, ObjectError> {
    let mut f = ObjFile {
        name: name.to_string(),
        bytes: Vec::new(),
        types: Vec::new(),
        funcs: Vec::new(),
        imported_funcs: 0,
        globals: Vec::new(),
        tables: 0,
        segments: Vec::new(),
        symbols: Vec::new(),
        init_funcs: Vec::new(),
        comdats: Vec::new(),
        memory64: false,
    };
    let malformed = |e: wasmparser::BinaryReaderError| ObjectError::Malformed {
        file: name.into(),
        offset: e.offset(),
        message: e.message().to_string(),
    };
    let bad = |offset: u64, message: String| ObjectError::Malformed {
        file: name.into(),
        offset,
        message,
    };

    let mut section_index = 0u32;
    let mut code_section: Option<(u32, usize)> = None;
    let mut data_section: Option<(u32, usize)> = None;
    let mut defined_types = Vec::new();
    let mut next_body = 0usize;
    let mut segment_info: Vec<(String, u32, u32)> = Vec::new();
    let mut linking_seen = false;
    let mut relocs: Vec<(u32, Vec<wasmparser::RelocationEntry>, usize)> = Vec::new();

    for payload in Parser::new(0).parse_all(&bytes) {
        let payload = payload.map_err(malformed)?;
        match &payload {
            Payload::TypeSection(_)
            | Payload::ImportSection(_)
            | Payload::FunctionSection(_)
            | Payload::TableSection(_)
            | Payload::MemorySection(_)
            | Payload::TagSection(_)
            | Payload::GlobalSection(_)
            | Payload::ExportSection(_)
            | Payload::StartSection { .. }
            | Payload::ElementSection(_)
            | Payload::DataCountSection { .. }
            | Payload::DataSection(_)
            | Payload::CodeSectionStart { .. }
            | Payload::CustomSection(_)
            | Payload::UnknownSection { .. } => section_index += 1,
            _ => {}
        }
        let this_section = section_index.wrapping_sub(1);
        match payload {
            Payload::Version {
                encoding, range, ..
            } if encoding != wasmparser::Encoding::Module => {
                return Err(bad(range.start, "not a core wasm module".into()));
            }
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group.map_err(malformed)?;
                    for (offset, sub) in group.into_types_and_offsets() {
                        let CompositeInnerType::Func(ft) = &sub.composite_type.inner else {
                            return Err(ObjectError::Unsupported {
                                file: name.into(),
                                what: format!("non-function type at byte offset {offset:#x}"),
                            });
                        };
                        let params = ft
                            .params()
                            .iter()
                            .map(|&t| valtype(name, t, offset))
                            .collect::<Result<_, _>>()?;
                        let results = ft
                            .results()
                            .iter()
                            .map(|&t| valtype(name, t, offset))
                            .collect::<Result<_, _>>()?;
                        f.types.push(FuncSig { params, results });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import.map_err(malformed)?;
                    let at = (import.module.to_string(), import.name.to_string());
                    match import.ty {
                        TypeRef::Func(ty) => {
                            f.funcs.push(ObjFunc {
                                ty,
                                import: Some(at),
                                body: 0..0,
                                relocs: Vec::new(),
                            });
                            f.imported_funcs += 1;
                        }
                        TypeRef::Global(g) => f.globals.push(ObjGlobal {
                            ty: valtype(name, g.content_type, offset)?,
                            mutable: g.mutable,
                            import: Some(at),
                            init: 0,
                        }),
                        TypeRef::Table(_) => f.tables += 1,
                        TypeRef::Memory(m) => f.memory64 = m.memory64,
                        TypeRef::Tag(_) | TypeRef::FuncExact(_) => {
                            return Err(ObjectError::Unsupported {
                                file: name.into(),
                                what: format!(
                                    "import `{}.{}` (at byte offset {offset:#x})",
                                    import.module, import.name
                                ),
                            })
                        }
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    defined_types.push(ty.map_err(malformed)?);
                }
            }
            Payload::TableSection(reader) => f.tables += reader.count(),
            Payload::MemorySection(reader) => {
                for m in reader {
                    f.memory64 |= m.map_err(malformed)?.memory64;
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.map_err(malformed)?;
                    let offset = g.init_expr.get_binary_reader().original_position();
                    let mut ops = g.init_expr.get_operators_reader();
                    let init = match ops.read().map_err(malformed)? {
                        wasmparser::Operator::I32Const { value } => value as u32 as u64,
                        wasmparser::Operator::I64Const { value } => value as u64,
                        wasmparser::Operator::F32Const { value } => u64::from(value.bits()),
                        wasmparser::Operator::F64Const { value } => value.bits(),
                        _ => {
                            return Err(ObjectError::Unsupported {
                                file: name.into(),
                                what: format!(
                                    "global initializer that is not a constant (at byte offset {offset:#x})"
                                ),
                            })
                        }
                    };
                    f.globals.push(ObjGlobal {
                        ty: valtype(name, g.ty.content_type, offset)?,
                        mutable: g.ty.mutable,
                        import: None,
                        init,
                    });
                }
            }
            Payload::CodeSectionStart {
                unchecked_range, ..
            } => {
                code_section = Some((this_section, unchecked_range.start as usize));
                f.funcs.reserve(defined_types.len());
            }
            Payload::CodeSectionEntry(body) => {
                let Some(&ty) = defined_types.get(next_body) else {
                    return Err(bad(
                        body.range().start,
                        "more function bodies than functions".into(),
                    ));
                };
                next_body += 1;
                f.funcs.push(ObjFunc {
                    ty,
                    import: None,
                    body: body.range().start as usize..body.range().end as usize,
                    relocs: Vec::new(),
                });
            }
            Payload::DataSection(reader) => {
                data_section = Some((this_section, reader.range().start as usize));
                for data in reader {
                    let data = data.map_err(malformed)?;
                    if let DataKind::Active { memory_index, .. } = data.kind {
                        if memory_index != 0 {
                            return Err(bad(
                                data.range.start,
                                format!("data segment for memory {memory_index}"),
                            ));
                        }
                    }
                    let end = data.range.end as usize;
                    f.segments.push(ObjSegment {
                        name: String::new(),
                        align: 1,
                        data: end - data.data.len()..end,
                        relocs: Vec::new(),
                        tls: false,
                    });
                }
            }
            Payload::CustomSection(c) => match c.as_known() {
                KnownCustom::Linking(reader) => {
                    linking_seen = true;
                    if reader.version() != 2 {
                        return Err(bad(
                            reader.range().start,
                            format!("linking section version {} (expected 2)", reader.version()),
                        ));
                    }
                    for sub in reader.subsections() {
                        match sub.map_err(malformed)? {
                            Linking::SegmentInfo(segs) => {
                                for s in segs {
                                    let s = s.map_err(malformed)?;
                                    segment_info.push((
                                        s.name.to_string(),
                                        s.alignment,
                                        s.flags.bits(),
                                    ));
                                }
                            }
                            Linking::InitFuncs(funcs) => {
                                for i in funcs {
                                    let i = i.map_err(malformed)?;
                                    f.init_funcs.push((i.priority, i.symbol_index));
                                }
                            }
                            Linking::ComdatInfo(comdats) => {
                                for c in comdats {
                                    let c = c.map_err(malformed)?;
                                    let mut members = Vec::new();
                                    for m in c.symbols {
                                        let m = m.map_err(malformed)?;
                                        members.push((m.kind as u8, m.index));
                                    }
                                    f.comdats.push((c.name.to_string(), members));
                                }
                            }
                            Linking::SymbolTable(syms) => {
                                for s in syms {
                                    let s = s.map_err(malformed)?;
                                    f.symbols.push(symbol(&f, s));
                                }
                            }
                            Linking::TargetArch(_) | Linking::Unknown { .. } => {}
                        }
                    }
                }
                KnownCustom::Reloc(reader) => {
                    let start = reader.range().start;
                    let section = reader.section_index();
                    let mut entries = Vec::new();
                    for e in reader.entries() {
                        entries.push(e.map_err(malformed)?);
                    }
                    relocs.push((section, entries, start as usize));
                }
                _ => {}
            },
            _ => {}
        }
    }
    if !linking_seen {
        return Err(bad(
            0,
            "no `linking` section: not a relocatable object".into(),
        ));
    }
    if next_body != defined_types.len() {
        return Err(bad(
            code_section.map_or(0, |c| c.1 as u64),
            format!("{} functions but {next_body} bodies", defined_types.len()),
        ));
    }
    if !segment_info.is_empty() && segment_info.len() != f.segments.len() {
        return Err(bad(
            data_section.map_or(0, |d| d.1 as u64),
            format!(
                "segment info describes {} segments, the data section has {}",
                segment_info.len(),
                f.segments.len()
            ),
        ));
    }
    for (seg, (name, align, flags)) in f.segments.iter_mut().zip(segment_info) {
        if align >= 32 {
            return Err(bad(0, format!("segment `{name}`: alignment 2^{align}")));
        }
        seg.align = 1 << align;
        seg.tls = flags & 2 != 0 || name.starts_with(".tdata") || name.starts_with(".tbss");
        seg.name = name;
    }

    // Check the symbols' indices.
    for (i, s) in f.symbols.iter().enumerate() {
        let ok = match s.kind {
            SymKind::Func => (s.index as usize) < f.funcs.len(),
            SymKind::Global => (s.index as usize) < f.globals.len(),
            SymKind::Table => s.index < f.tables,
            SymKind::Data => match s.data {
                Some((seg, offset, size)) => f.segments.get(seg as usize).is_some_and(|g| {
                    offset
                        .checked_add(size)
                        .is_some_and(|end| end <= g.data.len() as u64)
                }),
                None => true,
            },
            SymKind::Other => true,
        };
        if !ok {
            return Err(ObjectError::BadSymbol {
                file: name.into(),
                name: s.name.clone(),
                index: i as u32,
                message: format!("{} index {} is out of range", s.kind.describe(), s.index),
            });
        }
        if s.kind == SymKind::Func {
            let func = &f.funcs[s.index as usize];
            if s.defined() == func.import.is_some() {
                return Err(ObjectError::BadSymbol {
                    file: name.into(),
                    name: s.name.clone(),
                    index: i as u32,
                    message: "defined-ness disagrees with the import section".into(),
                });
            }
        }
    }
    for func in &f.funcs {
        if func.ty as usize >= f.types.len() {
            return Err(bad(
                func.body.start as u64,
                format!("type index {} out of range", func.ty),
            ));
        }
    }

    // Move each relocation to the body or segment it patches.
    for (section, entries, at) in relocs {
        let (code, base) = match (code_section, data_section) {
            (Some((i, base)), _) if i == section => (true, base),
            (_, Some((i, base))) if i == section => (false, base),
            // A custom section's (debug information): dropped with it.
            _ => continue,
        };
        for e in entries {
            let ty = RelocType::from_code(e.ty as u8)
                .ok_or_else(|| bad(at as u64, format!("unknown relocation type {}", e.ty as u8)))?;
            let start = base + e.offset as usize;
            let end = start + e.ty.extent();
            let place = |r: &Range<usize>| r.start <= start && end <= r.end;
            let target = if code {
                f.funcs
                    .iter_mut()
                    .find(|g| g.import.is_none() && place(&g.body))
                    .map(|g| (g.body.start, &mut g.relocs))
            } else {
                f.segments
                    .iter_mut()
                    .find(|s| place(&s.data))
                    .map(|s| (s.data.start, &mut s.relocs))
            };
            let Some((origin, list)) = target else {
                return Err(bad(
                    start as u64,
                    format!(
                        "{ty:?} relocation at offset {:#x} of the {} section is not inside one {}",
                        e.offset,
                        if code { "code" } else { "data" },
                        if code {
                            "function body"
                        } else {
                            "data segment"
                        }
                    ),
                ));
            };
            let symbol_ok = ty == RelocType::TypeIndexLeb && (e.index as usize) < f.types.len()
                || ty != RelocType::TypeIndexLeb && (e.index as usize) < f.symbols.len();
            if !symbol_ok {
                return Err(bad(
                    start as u64,
                    format!(
                        "{ty:?} relocation at offset {:#x}: index {} out of range",
                        e.offset, e.index
                    ),
                ));
            }
            list.push(ObjReloc {
                ty,
                offset: (start - origin) as u32,
                index: e.index,
                addend: e.addend,
            });
        }
    }
    for func in &mut f.funcs {
        func.relocs.sort_by_key(|r| r.offset);
    }
    for seg in &mut f.segments {
        seg.relocs.sort_by_key(|r| r.offset);
    }
    f.bytes = bytes;
    Ok(f)
}

fn symbol(f: &ObjFile, s: SymbolInfo<'_>) -> ObjSymbol {
    let import_name = |index: u32, funcs: bool| -> String {
        let import = if funcs {
            f.funcs.get(index as usize).and_then(|g| g.import.as_ref())
        } else {
            f.globals
                .get(index as usize)
                .and_then(|g| g.import.as_ref())
        };
        import.map(|(_, field)| field.clone()).unwrap_or_default()
    };
    match s {
        SymbolInfo::Func { flags, index, name } => ObjSymbol {
            kind: SymKind::Func,
            flags: flags.bits(),
            name: name.map_or_else(|| import_name(index, true), str::to_string),
            index,
            data: None,
        },
        SymbolInfo::Global { flags, index, name } => ObjSymbol {
            kind: SymKind::Global,
            flags: flags.bits(),
            name: name.map_or_else(|| import_name(index, false), str::to_string),
            index,
            data: None,
        },
        SymbolInfo::Table { flags, index, name } => ObjSymbol {
            kind: SymKind::Table,
            flags: flags.bits(),
            name: name.unwrap_or("__indirect_function_table").to_string(),
            index,
            data: None,
        },
        SymbolInfo::Data {
            flags,
            name,
            symbol,
        } => ObjSymbol {
            kind: SymKind::Data,
            flags: flags.bits(),
            name: name.to_string(),
            index: 0,
            data: symbol.map(|d| (d.index, u64::from(d.offset), u64::from(d.size))),
        },
        SymbolInfo::Section { flags, .. } => ObjSymbol {
            kind: SymKind::Other,
            flags: flags.bits(),
            name: String::new(),
            index: 0,
            data: None,
        },
        SymbolInfo::Event { flags, name, index } => ObjSymbol {
            kind: SymKind::Other,
            flags: flags.bits(),
            name: name.unwrap_or("").to_string(),
            index,
            data: None,
        },
    }
}
