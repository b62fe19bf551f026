//! Relocatable objects: the format `flush_object` writes (read back with wasmparser's
//! `linking`/`reloc.*` readers), linking objects with `wabe_link::object::link`, its errors,
//! and malformed input (errors, never panics).

use crate::util::{validate, Mir};
use wabe_link::object::{link, ObjectError, ObjectLinkOptions};
use wabe_link::{LinkOptions, Linker};
use wabe_mir::{MirTag, ValType};
use wasmparser::{KnownCustom, Linking, Parser, Payload, RelocationType, SymbolInfo};

/// An object with an export calling an import and a local function, a data symbol with a
/// pointer to a local string, a data address constant, and an indirect call.
fn sample(export: &str) -> Vec<u8> {
    let mut l = Linker::new(LinkOptions::default());
    let print = l
        .declare_import("env", "print", &[ValType::I32], &[])
        .unwrap();
    let helper = l
        .declare_function("helper", &[ValType::I32], &[ValType::I32])
        .unwrap();
    l.set_function_body(helper, Mir::new().get(0).i32(1).op(MirTag::I32Add).done())
        .unwrap();
    let main = l.declare_function(export, &[], &[ValType::I32]).unwrap();
    let data = l
        .declare_data("table", vec![0; 8], 4, false, vec![])
        .unwrap();
    let s = l.add_local_data(data, b"hi".to_vec(), 1, vec![]).unwrap();
    l.get_decl_vaddr(data, s, 0, 1).unwrap();
    l.get_decl_vaddr(data, helper, 4, 0).unwrap();
    let ty = l.func_type_index(&[ValType::I32], &[ValType::I32]);
    let body = Mir::new()
        .i32(5)
        .sym(MirTag::Call, print)
        .i32(2)
        .sym(MirTag::MemAddr, data)
        .op2(MirTag::I32Load, 4, 2)
        .op1(MirTag::CallIndirect, ty)
        .sym(MirTag::Call, helper)
        .done();
    l.set_function_body(main, body).unwrap();
    l.export_function(main, export).unwrap();
    l.flush_object().unwrap()
}

#[test]
fn object_format() {
    let obj = sample("main");
    validate(&obj);
    let mut imports = Vec::new();
    let mut symbols = Vec::new();
    let mut segments = Vec::new();
    let mut relocs = Vec::new();
    let mut code_start = 0;
    let mut bodies = Vec::new();
    let mut section = 0u32;
    let mut sections = Vec::new();
    for payload in Parser::new(0).parse_all(&obj) {
        let payload = payload.unwrap();
        if let Some((id, _)) = payload.as_section() {
            sections.push(id);
            section += 1;
        }
        match payload {
            Payload::ImportSection(r) => {
                for i in r.into_imports() {
                    let i = i.unwrap();
                    imports.push(format!("{}.{}", i.module, i.name));
                }
            }
            Payload::CodeSectionStart {
                unchecked_range, ..
            } => code_start = unchecked_range.start,
            Payload::CodeSectionEntry(b) => bodies.push(b.range()),
            Payload::CustomSection(c) => match c.as_known() {
                KnownCustom::Linking(r) => {
                    assert_eq!(r.version(), 2);
                    for sub in r.subsections() {
                        match sub.unwrap() {
                            Linking::SymbolTable(t) => {
                                for s in t {
                                    symbols.push(match s.unwrap() {
                                        SymbolInfo::Func { flags, index, name } => {
                                            format!("func {index} {name:?} {:#x}", flags.bits())
                                        }
                                        SymbolInfo::Data {
                                            flags,
                                            name,
                                            symbol,
                                        } => format!(
                                            "data {name} {:?} {:#x}",
                                            symbol.map(|d| (d.index, d.offset, d.size)),
                                            flags.bits()
                                        ),
                                        SymbolInfo::Global { flags, index, name } => {
                                            format!("global {index} {name:?} {:#x}", flags.bits())
                                        }
                                        SymbolInfo::Table { flags, index, name } => {
                                            format!("table {index} {name:?} {:#x}", flags.bits())
                                        }
                                        other => format!("{other:?}"),
                                    })
                                }
                            }
                            Linking::SegmentInfo(s) => {
                                for s in s {
                                    let s = s.unwrap();
                                    segments.push(format!("{} {}", s.name, s.alignment));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                KnownCustom::Reloc(r) => {
                    let target = r.section_index();
                    for e in r.entries() {
                        let e = e.unwrap();
                        relocs.push((
                            c.name().to_string(),
                            target,
                            e.ty,
                            e.offset,
                            e.index,
                            e.addend,
                        ));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    let _ = section;
    assert_eq!(
        imports,
        [
            "env.__linear_memory",
            "env.__stack_pointer",
            "env.print",
            "env.__indirect_function_table"
        ]
    );
    assert_eq!(
        symbols,
        [
            "func 0 Some(\"print\") 0x50",
            "func 1 Some(\"helper\") 0x2",
            "func 2 Some(\"main\") 0x20",
            "global 0 None 0x10",
            "table 0 None 0x10",
            "data table Some((0, 0, 8)) 0x2",
            "data .Ltable.0 Some((1, 0, 2)) 0x6",
        ]
    );
    assert_eq!(segments, [".rodata.table 2", ".rodata..Ltable.0 0"]);
    // Every code relocation points at a maximally padded LEB inside a body, counted from the
    // start of the code section's contents.
    for (name, target, ty, offset, index, addend) in &relocs {
        let at = (code_start + u64::from(*offset)) as usize;
        if name == "reloc.CODE" {
            assert_eq!(*target, 3, "the code section is the fourth");
            assert!(bodies
                .iter()
                .any(|b| b.start as usize <= at && at + 5 <= b.end as usize));
            assert!(
                obj[at..at + 4].iter().all(|b| b & 0x80 != 0),
                "{ty:?} at {offset} is padded"
            );
            assert_eq!(obj[at + 4] & 0x80, 0);
        } else {
            assert_eq!(name, "reloc.DATA");
            assert_eq!(*target, 4);
            let _ = (index, addend);
        }
    }
    let kinds: Vec<_> = relocs
        .iter()
        .map(|r| (r.0.as_str(), r.2, r.4, r.5))
        .collect();
    assert_eq!(
        kinds,
        [
            ("reloc.CODE", RelocationType::FunctionIndexLeb, 0, 0),
            ("reloc.CODE", RelocationType::MemoryAddrSleb, 5, 0),
            ("reloc.CODE", RelocationType::TypeIndexLeb, 1, 0),
            ("reloc.CODE", RelocationType::TableNumberLeb, 4, 0),
            ("reloc.CODE", RelocationType::FunctionIndexLeb, 1, 0),
            ("reloc.DATA", RelocationType::MemoryAddrI32, 6, 1),
            ("reloc.DATA", RelocationType::TableIndexI32, 1, 0),
        ]
    );
}

fn fnames(wasm: &[u8]) -> Vec<String> {
    crate::util::summary(wasm)
        .function_names
        .into_iter()
        .map(|(_, n)| n)
        .collect()
}

fn opts() -> ObjectLinkOptions {
    let mut o = ObjectLinkOptions::default();
    o.link.allow_undefined = false;
    o
}

#[test]
fn link_and_run() {
    let obj = sample("main");
    let wasm = link(vec![("a.o".into(), obj)], &opts()).unwrap();
    validate(&wasm);
    // `helper` is live (called and in the table); the import stays.
    let names = fnames(&wasm);
    assert!(names.iter().any(|n| n == "helper"), "{names:?}");
}

#[test]
fn duplicate_signature_and_undefined() {
    let a = sample("main");
    let err = link(
        vec![("a.o".into(), a.clone()), ("b.o".into(), a.clone())],
        &opts(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "duplicate symbol `main`: defined in a.o and in b.o"
    );

    // `main` defined with another signature.
    let mut l = Linker::new(LinkOptions::default());
    let f = l
        .declare_undefined_function("main", &[ValType::I64], &[])
        .unwrap();
    let g = l.declare_function("user", &[], &[]).unwrap();
    l.set_function_body(
        g,
        Mir::new()
            .op1(MirTag::I64Const, 1)
            .sym(MirTag::Call, f)
            .done(),
    )
    .unwrap();
    l.export_function(g, "user").unwrap();
    let b = l.flush_object().unwrap();
    let err = link(
        vec![("a.o".into(), a.clone()), ("b.o".into(), b.clone())],
        &opts(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ObjectError::SignatureMismatch { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("`main`") && err.to_string().contains("b.o"),
        "{err}"
    );

    // Alone, `main` is undefined (no explicit import name).
    let err = link(vec![("b.o".into(), b)], &opts()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "undefined symbol `main` (referenced from b.o)"
    );
}

#[test]
fn gc_sections() {
    let mut l = Linker::new(LinkOptions::default());
    let unused = l.declare_function("unused", &[], &[]).unwrap();
    l.set_function_body(unused, Mir::new().done()).unwrap();
    let main = l.declare_function("main", &[], &[]).unwrap();
    l.set_function_body(main, Mir::new().done()).unwrap();
    l.export_function(main, "main").unwrap();
    let obj = l.flush_object().unwrap();
    let gc = link(vec![("a.o".into(), obj.clone())], &opts()).unwrap();
    assert_eq!(fnames(&gc), ["main"]);
    let mut o = opts();
    o.link.gc_sections = false;
    let all = link(vec![("a.o".into(), obj)], &o).unwrap();
    assert_eq!(fnames(&all), ["unused", "main"]);
}

/// Truncated and corrupted objects give errors, never panics.
#[test]
fn malformed_objects() {
    let obj = sample("main");
    for len in 0..obj.len() {
        let _ = link(vec![("t.o".into(), obj[..len].to_vec())], &opts());
    }
    let mut seed = 0x2545f4914f6cdd1du64;
    for i in 0..obj.len() * 4 {
        let mut bad = obj.clone();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        bad[i % obj.len()] = (seed >> 24) as u8;
        let _ = link(vec![("c.o".into(), bad)], &opts());
    }
    let err = link(vec![("t.o".into(), obj[..obj.len() / 2].to_vec())], &opts()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("t.o: malformed object at byte offset"),
        "{err}"
    );
}
