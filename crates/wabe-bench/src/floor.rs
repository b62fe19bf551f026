//! The floor of compile throughput: writing the final module with `wasm-encoder` alone.
//!
//! [`decode`] parses the module wabe produced (with `wasmparser`) into the values
//! `wasm-encoder` takes: function types, imports, the function section's type indices,
//! tables, memories, globals, exports, every code body as its locals plus its instructions
//! (`wasm_encoder::Instruction`, converted from the parsed operators), and the data segments.
//! [`encode`] then builds the module from those values — a `TypeSection`, `ImportSection`,
//! ..., one `Function` per body fed instruction by instruction, a `DataSection` — and returns
//! the bytes. Only `encode` is timed: it is what any backend must at least do to write the same
//! module once it knows every instruction and every final index, with no code generation, no
//! layout and no symbol resolution. The element section and custom sections (small) are copied
//! as raw sections. The result is checked to be byte-identical to wabe's output, so the floor
//! writes exactly the same bytes (shortest LEBs both).

use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, Function,
    FunctionSection, GlobalSection, GlobalType, ImportSection, Instruction, MemorySection,
    MemoryType, Module, RawSection, TableSection, TableType, TypeSection, ValType,
};
use wasmparser::{Parser, Payload};

/// A code body: its locals and its instructions.
type Body<'a> = (Vec<(u32, ValType)>, Vec<Instruction<'a>>);

/// One section of the module, decoded (or raw), in file order.
enum Section<'a> {
    Types(Vec<(Vec<ValType>, Vec<ValType>)>),
    Imports(Vec<(&'a str, &'a str, EntityType)>),
    Functions(Vec<u32>),
    Tables(Vec<TableType>),
    Memories(Vec<MemoryType>),
    Globals(Vec<(GlobalType, ConstExpr)>),
    Exports(Vec<(&'a str, ExportKind, u32)>),
    Code(Vec<Body<'a>>),
    Data(Vec<(u32, ConstExpr, &'a [u8])>),
    Raw(u8, &'a [u8]),
    Custom(wasm_encoder::CustomSection<'a>),
}

/// A module decoded into `wasm-encoder` values, ready to be written again.
pub struct Decoded<'a> {
    sections: Vec<Section<'a>>,
    /// The number of instructions in all code bodies.
    pub instructions: usize,
}

/// Decodes a module (see the module docs). Fails on anything wabe does not write.
pub fn decode(wasm: &[u8]) -> anyhow::Result<Decoded<'_>> {
    let mut sections = Vec::new();
    let mut code = Vec::new();
    let mut instructions = 0;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(r) => {
                let mut v = Vec::new();
                for ty in r.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    let p = ty
                        .params()
                        .iter()
                        .map(|&t| ValType::try_from(t))
                        .collect::<Result<_, _>>()?;
                    let q = ty
                        .results()
                        .iter()
                        .map(|&t| ValType::try_from(t))
                        .collect::<Result<_, _>>()?;
                    v.push((p, q));
                }
                sections.push(Section::Types(v));
            }
            Payload::ImportSection(r) => {
                let mut v = Vec::new();
                for imp in r.into_imports() {
                    let imp = imp?;
                    v.push((imp.module, imp.name, EntityType::try_from(imp.ty)?));
                }
                sections.push(Section::Imports(v));
            }
            Payload::FunctionSection(r) => {
                sections.push(Section::Functions(r.into_iter().collect::<Result<_, _>>()?))
            }
            Payload::TableSection(r) => {
                let mut v = Vec::new();
                for t in r {
                    v.push(TableType::try_from(t?.ty)?);
                }
                sections.push(Section::Tables(v));
            }
            Payload::MemorySection(r) => {
                let mut v = Vec::new();
                for m in r {
                    v.push(MemoryType::from(m?));
                }
                sections.push(Section::Memories(v));
            }
            Payload::GlobalSection(r) => {
                let mut v = Vec::new();
                for g in r {
                    let g = g?;
                    v.push((
                        GlobalType::try_from(g.ty)?,
                        ConstExpr::try_from(g.init_expr)?,
                    ));
                }
                sections.push(Section::Globals(v));
            }
            Payload::ExportSection(r) => {
                let mut v = Vec::new();
                for e in r {
                    let e = e?;
                    v.push((e.name, ExportKind::from(e.kind), e.index));
                }
                sections.push(Section::Exports(v));
            }
            Payload::CodeSectionStart { .. } => {}
            Payload::CodeSectionEntry(body) => {
                let mut locals = Vec::new();
                for l in body.get_locals_reader()? {
                    let (n, t) = l?;
                    locals.push((n, ValType::try_from(t)?));
                }
                let mut insts = Vec::new();
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    insts.push(Instruction::try_from(ops.read()?)?);
                }
                instructions += insts.len();
                code.push((locals, insts));
                if code.len() == 1 {
                    sections.push(Section::Code(Vec::new()));
                }
            }
            Payload::DataSection(r) => {
                let mut v = Vec::new();
                for d in r {
                    let d = d?;
                    match d.kind {
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => {
                            v.push((memory_index, ConstExpr::try_from(offset_expr)?, d.data));
                        }
                        wasmparser::DataKind::Passive => {
                            anyhow::bail!("passive data segments are not expected")
                        }
                    }
                }
                sections.push(Section::Data(v));
            }
            Payload::ElementSection(r) => sections.push(Section::Raw(9, span(wasm, r.range()))),
            Payload::CustomSection(c) => sections.push(Section::Custom(c.into())),
            Payload::DataCountSection { range, .. } => {
                sections.push(Section::Raw(12, span(wasm, range)))
            }
            Payload::StartSection { range, .. } => {
                sections.push(Section::Raw(8, span(wasm, range)))
            }
            Payload::Version { .. } | Payload::End(_) => {}
            other => anyhow::bail!("unexpected section in wabe's output: {other:?}"),
        }
    }
    for s in &mut sections {
        if let Section::Code(c) = s {
            *c = std::mem::take(&mut code);
        }
    }
    Ok(Decoded {
        sections,
        instructions,
    })
}

/// The bytes of a section's contents.
fn span(wasm: &[u8], r: std::ops::Range<u64>) -> &[u8] {
    &wasm[r.start as usize..r.end as usize]
}

/// Writes the decoded module with `wasm-encoder` (the timed part).
pub fn encode(d: &Decoded<'_>) -> Vec<u8> {
    let mut m = Module::new();
    for s in &d.sections {
        match s {
            Section::Types(v) => {
                let mut t = TypeSection::new();
                for (p, q) in v {
                    t.ty().function(p.iter().copied(), q.iter().copied());
                }
                m.section(&t);
            }
            Section::Imports(v) => {
                let mut t = ImportSection::new();
                for &(module, name, ty) in v {
                    t.import(module, name, ty);
                }
                m.section(&t);
            }
            Section::Functions(v) => {
                let mut t = FunctionSection::new();
                for &ty in v {
                    t.function(ty);
                }
                m.section(&t);
            }
            Section::Tables(v) => {
                let mut t = TableSection::new();
                for &ty in v {
                    t.table(ty);
                }
                m.section(&t);
            }
            Section::Memories(v) => {
                let mut t = MemorySection::new();
                for &ty in v {
                    t.memory(ty);
                }
                m.section(&t);
            }
            Section::Globals(v) => {
                let mut t = GlobalSection::new();
                for (ty, init) in v {
                    t.global(*ty, init);
                }
                m.section(&t);
            }
            Section::Exports(v) => {
                let mut t = ExportSection::new();
                for &(name, kind, index) in v {
                    t.export(name, kind, index);
                }
                m.section(&t);
            }
            Section::Code(v) => {
                let mut t = CodeSection::new();
                for (locals, insts) in v {
                    let mut f = Function::new(locals.iter().copied());
                    for i in insts {
                        f.instruction(i);
                    }
                    t.function(&f);
                }
                m.section(&t);
            }
            Section::Data(v) => {
                let mut t = DataSection::new();
                for (mem, offset, bytes) in v {
                    t.active(*mem, offset, bytes.iter().copied());
                }
                m.section(&t);
            }
            &Section::Raw(id, data) => {
                m.section(&RawSection { id, data });
            }
            Section::Custom(c) => {
                m.section(c);
            }
        }
    }
    m.finish()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_floor_writes_the_same_bytes() {
        let src = crate::gen::module(10, None);
        let out = wabe::compile_str(&src, &wabe::Options::default()).unwrap();
        let d = super::decode(&out.wasm).unwrap();
        assert!(d.instructions > 100);
        assert_eq!(super::encode(&d), out.wasm);
    }
}
