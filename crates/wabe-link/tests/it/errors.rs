//! API misuse returns errors naming the symbol; nothing panics.

use wabe_link::{LinkError, LinkOptions, Linker, Reloc, RelocKind};
use wabe_mir::{EmitError, MirData, MirFunction, MirTag, SymbolIndex, ValType};

use crate::util::{options, Mir};

use ValType::I32;

#[test]
fn duplicate_export() {
    let mut l = Linker::new(options());
    let a = l.declare_function("a", &[], &[]).unwrap();
    let b = l.declare_function("b", &[], &[]).unwrap();
    l.export_function(a, "run").unwrap();
    l.export_function(a, "run").unwrap(); // the same export again is fine
    let err = l.export_function(b, "run").unwrap_err();
    assert_eq!(err, LinkError::DuplicateExport { name: "run".into() });
    assert_eq!(err.to_string(), "duplicate export `run`");
}

#[test]
fn export_clashing_with_memory() {
    let mut l = Linker::new(options());
    let a = l.declare_function("a", &[], &[]).unwrap();
    l.set_function_body(a, Mir::new().done()).unwrap();
    l.export_function(a, "memory").unwrap();
    assert_eq!(
        l.flush().unwrap_err(),
        LinkError::DuplicateExport {
            name: "memory".into()
        }
    );
    // Without the memory export the name is free.
    let mut l = Linker::new(LinkOptions {
        export_memory: false,
        ..options()
    });
    let a = l.declare_function("a", &[], &[]).unwrap();
    l.set_function_body(a, Mir::new().done()).unwrap();
    l.export_function(a, "memory").unwrap();
    l.flush().unwrap();
}

#[test]
fn duplicate_symbols() {
    let mut l = Linker::new(options());
    l.declare_function("f", &[], &[]).unwrap();
    let err = l.declare_function("f", &[], &[]).unwrap_err();
    assert_eq!(err, LinkError::DuplicateSymbol { name: "f".into() });
    assert_eq!(
        l.declare_import("env", "f", &[], &[]).unwrap_err(),
        LinkError::DuplicateSymbol { name: "f".into() }
    );
    assert_eq!(
        l.declare_data("f", vec![], 1, false, vec![]).unwrap_err(),
        LinkError::DuplicateSymbol { name: "f".into() }
    );
    l.declare_data("d", vec![], 1, false, vec![]).unwrap();
    assert_eq!(
        l.declare_data("d", vec![], 1, false, vec![]).unwrap_err(),
        LinkError::DuplicateSymbol { name: "d".into() }
    );
    assert_eq!(
        l.declare_function("__stack_pointer", &[], &[]).unwrap_err(),
        LinkError::DuplicateSymbol {
            name: "__stack_pointer".into()
        }
    );
}

#[test]
fn signature_and_module_mismatches() {
    let mut l = Linker::new(options());
    l.declare_import("env", "print", &[I32], &[]).unwrap();
    assert_eq!(
        l.declare_import("env", "print", &[], &[]).unwrap_err(),
        LinkError::SignatureMismatch {
            name: "print".into()
        }
    );
    let err = l.declare_import("wasi", "print", &[I32], &[]).unwrap_err();
    assert!(matches!(err, LinkError::ImportModuleMismatch { .. }));
    assert_eq!(
        err.to_string(),
        "function `print` is imported from both `env` and `wasi`"
    );
    l.declare_undefined_function("g", &[I32], &[]).unwrap();
    assert_eq!(
        l.declare_function("g", &[], &[]).unwrap_err(),
        LinkError::SignatureMismatch { name: "g".into() }
    );
}

#[test]
fn missing_body() {
    let mut l = Linker::new(options());
    l.declare_function("lonely", &[], &[]).unwrap();
    let err = l.flush().unwrap_err();
    assert_eq!(
        err,
        LinkError::MissingBody {
            name: "lonely".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "function `lonely` was declared but its body was never set"
    );
}

#[test]
fn undefined_import_without_allow_undefined() {
    let mut l = Linker::new(options());
    let ext = l.declare_undefined_function("ext", &[], &[]).unwrap();
    l.flush().unwrap(); // unreferenced: fine
    let main = l.declare_function("main", &[], &[]).unwrap();
    l.set_function_body(main, Mir::new().sym(MirTag::Call, ext).done())
        .unwrap();
    assert_eq!(
        l.flush().unwrap_err(),
        LinkError::Undefined { name: "ext".into() }
    );
}

#[test]
fn undefined_data_symbol() {
    let mut l = Linker::new(options());
    let d = l.declare_data_symbol("later").unwrap();
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    l.set_function_body(main, Mir::new().sym(MirTag::MemAddr, d).done())
        .unwrap();
    assert_eq!(
        l.flush().unwrap_err(),
        LinkError::Undefined {
            name: "later".into()
        }
    );
    l.define_data(d, vec![1], 1, false, vec![]).unwrap();
    l.flush().unwrap();
}

#[test]
fn body_for_non_functions() {
    let mut l = Linker::new(options());
    let imp = l.declare_import("env", "print", &[I32], &[]).unwrap();
    let err = l
        .set_function_body(imp, MirFunction::default())
        .unwrap_err();
    assert_eq!(
        err,
        LinkError::WrongKind {
            name: "print".into(),
            expected: "defined function"
        }
    );
    assert_eq!(err.to_string(), "`print` is not a defined function");
    let sp = l.stack_pointer();
    assert!(l.set_function_body(sp, MirFunction::default()).is_err());
    assert!(l.export_function(sp, "sp").is_err());
    assert!(l.export_data(imp, "p").is_err());
}

#[test]
fn unknown_symbols() {
    let mut l = Linker::new(options());
    let bogus = SymbolIndex(12345);
    let err = l
        .set_function_body(bogus, MirFunction::default())
        .unwrap_err();
    assert_eq!(err, LinkError::UnknownSymbol { symbol: bogus });
    assert_eq!(err.to_string(), "unknown symbol @sym12345");
    assert!(l.export_function(bogus, "x").is_err());
    assert!(l.free_symbol(bogus).is_err());
    assert!(l.get_decl_vaddr(bogus, bogus, 0, 0).is_err());
    assert!(l.add_local_data(bogus, vec![], 1, vec![]).is_err());
    assert!(l.clear_locals(bogus).is_err());
    assert_eq!(l.symbol_name(bogus), None);
    assert_eq!(l.function_body(bogus), None);
}

#[test]
fn linker_symbols_cannot_be_freed_or_defined() {
    let mut l = Linker::new(options());
    let sp = l.stack_pointer();
    assert_eq!(
        l.free_symbol(sp).unwrap_err(),
        LinkError::Reserved {
            name: "__stack_pointer".into()
        }
    );
    let hb = l.heap_base_symbol();
    assert_eq!(l.declare_data_symbol("__heap_base").unwrap(), hb);
    assert!(matches!(
        l.define_data(hb, vec![], 1, false, vec![]),
        Err(LinkError::Reserved { .. })
    ));
}

#[test]
fn bad_mir_operands() {
    type Operand = fn(&Linker) -> SymbolIndex;
    let cases: Vec<(MirTag, Operand, &str)> = vec![
        (MirTag::Call, |l| l.stack_pointer(), "function symbol"),
        (MirTag::GlobalGet, |l| l.heap_base_symbol(), "global symbol"),
        (
            MirTag::MemAddr,
            |l| l.symbol_by_name("main").unwrap(),
            "data symbol",
        ),
        (MirTag::TableIndex, |_| SymbolIndex(999), "function symbol"),
    ];
    for (tag, operand, expected) in cases {
        let mut l = Linker::new(options());
        let main = l.declare_function("main", &[], &[]).unwrap();
        let sym = operand(&l);
        let mut body = MirFunction::default();
        body.push(MirTag::Nop, MirData::default());
        body.push(tag, MirData::a(sym.0));
        l.set_function_body(main, body).unwrap();
        let err = l.flush().unwrap_err();
        match &err {
            LinkError::BadOperand {
                function,
                inst,
                expected: e,
                ..
            } => {
                assert_eq!(function, "main");
                assert_eq!(*inst, 1);
                assert_eq!(*e, expected);
            }
            other => panic!("{tag:?}: {other}"),
        }
        assert!(err
            .to_string()
            .starts_with("function `main`, instruction 1"));
    }
}

#[test]
fn bad_type_index() {
    let mut l = Linker::new(options());
    let main = l.declare_function("main", &[], &[]).unwrap();
    l.set_function_body(main, Mir::new().i32(0).op1(MirTag::CallIndirect, 7).done())
        .unwrap();
    assert!(matches!(
        l.flush().unwrap_err(),
        LinkError::BadTypeIndex {
            index: 7,
            count: 1,
            ..
        }
    ));
}

#[test]
fn malformed_mir() {
    let mut l = Linker::new(options());
    let main = l.declare_function("main", &[], &[]).unwrap();
    let mut body = MirFunction::default();
    body.push(MirTag::BrTable, MirData::a(50));
    l.set_function_body(main, body).unwrap();
    let err = l.flush().unwrap_err();
    assert!(matches!(
        err,
        LinkError::Emit {
            source: EmitError::BadBrTable { .. },
            ..
        }
    ));
    assert!(err.to_string().starts_with("function `main`"), "{err}");
}

#[test]
fn freed_symbol_still_referenced() {
    let mut l = Linker::new(options());
    let callee = l.declare_function("callee", &[], &[]).unwrap();
    l.set_function_body(callee, Mir::new().done()).unwrap();
    let main = l.declare_function("main", &[], &[]).unwrap();
    l.set_function_body(main, Mir::new().sym(MirTag::Call, callee).done())
        .unwrap();
    l.export_function(callee, "callee").unwrap();
    l.flush().unwrap();
    l.free_symbol(callee).unwrap();
    assert_eq!(l.symbol_by_name("callee"), None);
    let err = l.flush().unwrap_err();
    assert!(err.to_string().contains("@sym"), "{err}");
    assert!(err.to_string().contains("freed"), "{err}");
}

#[test]
fn data_definition_errors() {
    let mut l = Linker::new(options());
    let d = l.declare_data_symbol("d").unwrap();
    assert_eq!(
        l.define_data(d, vec![0; 4], 3, false, vec![]).unwrap_err(),
        LinkError::BadAlignment {
            name: "d".into(),
            align: 3
        }
    );
    let reloc = |offset, kind| Reloc {
        offset,
        kind,
        symbol: d,
        addend: 0,
    };
    let err = l
        .define_data(
            d,
            vec![0; 4],
            4,
            false,
            vec![reloc(1, RelocKind::MemoryAddrI32)],
        )
        .unwrap_err();
    assert!(matches!(
        err,
        LinkError::RelocOutOfBounds {
            offset: 1,
            size: 4,
            ..
        }
    ));
    assert!(err.to_string().contains("`d`"));
    let err = l
        .define_data(
            d,
            vec![0; 8],
            4,
            false,
            vec![reloc(0, RelocKind::FunctionIndexLeb)],
        )
        .unwrap_err();
    assert!(matches!(err, LinkError::BadDataReloc { .. }));
    assert!(
        l.get_decl_vaddr(d, d, 0, 0).is_err(),
        "d is not defined yet"
    );
    l.define_data(d, vec![0; 4], 4, false, vec![]).unwrap();
    assert!(matches!(
        l.get_decl_vaddr(d, d, 2, 0).unwrap_err(),
        LinkError::RelocOutOfBounds { .. }
    ));
    // A table-index relocation against a data symbol.
    l.define_data(
        d,
        vec![0; 4],
        4,
        false,
        vec![reloc(0, RelocKind::TableIndexI32)],
    )
    .unwrap();
    let err = l.flush().unwrap_err();
    assert!(matches!(err, LinkError::BadDataReloc { .. }), "{err}");
}

#[test]
fn stack_size_must_be_aligned() {
    let mut l = Linker::new(LinkOptions {
        stack_size: 1000,
        ..options()
    });
    let err = l.flush().unwrap_err();
    assert_eq!(err, LinkError::StackSizeAlignment { size: 1000 });
    assert!(err.to_string().contains("__stack_pointer"));
}

#[test]
fn address_overflow_in_32_bit_field() {
    let mut l = Linker::new(options());
    let target = l.declare_data("t", vec![0; 4], 4, false, vec![]).unwrap();
    l.declare_data(
        "p",
        vec![0; 4],
        4,
        false,
        vec![Reloc {
            offset: 0,
            kind: RelocKind::MemoryAddrI32,
            symbol: target,
            addend: -2000,
        }],
    )
    .unwrap();
    let err = l.flush().unwrap_err();
    assert!(matches!(err, LinkError::AddressOverflow { .. }), "{err}");
    assert!(err.to_string().contains("`p`") && err.to_string().contains("`t`"));
}
