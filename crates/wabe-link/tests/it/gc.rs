//! Garbage collection of executables (`gc_sections`, wasm-ld's `--gc-sections`): what is
//! reachable from the exports stays, the rest goes; `--no-gc-sections` keeps everything.

use crate::util::{summary, validate, Mir, Run};
use wabe_link::{LinkOptions, Linker, SymbolIndex, ValType::I32};
use wabe_mir::MirTag;

struct Program {
    linker: Linker,
    main: SymbolIndex,
    called: SymbolIndex,
    pointed: SymbolIndex,
    dead: SymbolIndex,
    read: SymbolIndex,
    target: SymbolIndex,
    unread: SymbolIndex,
}

/// `main` (exported) calls `called` and reads `read`, a pointer to `target` and `pointed`'s
/// table slot; `dead` calls the import `print` and the undefined `missing`, and reads
/// `unread`.
fn program(options: LinkOptions) -> Program {
    let mut l = Linker::new(options);
    let print = l.declare_import("env", "print", &[I32], &[]).unwrap();
    let missing = l.declare_undefined_function("missing", &[], &[]).unwrap();
    let target = l
        .declare_data("target", 40u32.to_le_bytes().to_vec(), 4, false, vec![])
        .unwrap();
    let unread = l
        .declare_data("unread", 7u32.to_le_bytes().to_vec(), 4, false, vec![])
        .unwrap();
    let called = l.declare_function("called", &[], &[I32]).unwrap();
    l.set_function_body(called, Mir::new().i32(2).done())
        .unwrap();
    let pointed = l.declare_function("pointed", &[], &[I32]).unwrap();
    l.set_function_body(pointed, Mir::new().i32(3).done())
        .unwrap();
    let read = l
        .declare_data("read", vec![0; 8], 4, false, vec![])
        .unwrap();
    l.get_decl_vaddr(read, target, 0, 0).unwrap();
    l.get_decl_vaddr(read, pointed, 4, 0).unwrap();
    let dead = l.declare_function("dead", &[], &[I32]).unwrap();
    let body = Mir::new()
        .i32(1)
        .sym(MirTag::Call, print)
        .sym(MirTag::Call, missing)
        .sym(MirTag::MemAddr, unread)
        .op2(MirTag::I32Load, 0, 2)
        .done();
    l.set_function_body(dead, body).unwrap();
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    // called() + *read[0]: 2 + 40
    let body = Mir::new()
        .sym(MirTag::Call, called)
        .sym(MirTag::MemAddr, read)
        .op2(MirTag::I32Load, 0, 2)
        .op2(MirTag::I32Load, 0, 2)
        .op(MirTag::I32Add)
        .done();
    l.set_function_body(main, body).unwrap();
    l.export_function(main, "main").unwrap();
    Program {
        linker: l,
        main,
        called,
        pointed,
        dead,
        read,
        target,
        unread,
    }
}

#[test]
fn unreferenced_functions_data_and_imports_are_left_out() {
    let mut p = program(LinkOptions::default());
    let bytes = p.linker.flush().unwrap();
    validate(&bytes);
    let s = summary(&bytes);
    let names: Vec<&str> = s.function_names.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["called", "pointed", "main"]);
    // `print` and `missing` are referenced from dead code only: no import, no error.
    assert!(s.imports.is_empty(), "{:?}", s.imports);
    let l = &p.linker;
    assert_eq!(l.function_index(p.dead), None);
    assert_eq!(l.data_address(p.unread), None);
    assert_eq!(l.data_address(p.target), Some(1024));
    assert_eq!(l.data_address(p.read), Some(1028));
    assert_eq!(l.table_index(p.pointed), Some(1));
    assert!(l.function_index(p.main).is_some() && l.function_index(p.called).is_some());
    assert_eq!(Run::new(&bytes).call0("main"), 42);
}

#[test]
fn export_and_entry_are_roots() {
    let mut p = program(LinkOptions {
        exports: vec!["unread".into()],
        entry: Some("dead".into()),
        allow_undefined: true,
        ..LinkOptions::default()
    });
    let bytes = p.linker.flush().unwrap();
    validate(&bytes);
    let s = summary(&bytes);
    assert_eq!(s.imports.len(), 2, "{:?}", s.imports);
    assert!(p.linker.function_index(p.dead).is_some());
    assert!(p.linker.data_address(p.unread).is_some());
}

#[test]
fn no_gc_sections_keeps_everything() {
    let mut p = program(LinkOptions {
        gc_sections: false,
        allow_undefined: true,
        ..LinkOptions::default()
    });
    let bytes = p.linker.flush().unwrap();
    validate(&bytes);
    let s = summary(&bytes);
    assert_eq!(s.defined_functions, 4);
    assert!(p.linker.data_address(p.unread).is_some());
    // Without --allow-undefined, `missing` is an error again.
    let mut p = program(LinkOptions {
        gc_sections: false,
        ..LinkOptions::default()
    });
    let err = p.linker.flush().unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn dead_code_is_still_checked() {
    let mut p = program(LinkOptions::default());
    p.linker.free_symbol(p.unread).unwrap();
    let err = p.linker.flush().unwrap_err();
    assert!(err.to_string().contains("`dead`"), "{err}");
}

#[test]
fn liveness_follows_updates() {
    // Unexporting `main` leaves nothing; exporting `dead` brings its data back. Each flush
    // equals a fresh link of the same program.
    let mut p = program(LinkOptions {
        allow_undefined: true,
        ..LinkOptions::default()
    });
    p.linker.flush().unwrap();
    p.linker.unexport(p.main);
    p.linker.export_function(p.dead, "dead").unwrap();
    let updated = p.linker.flush().unwrap();
    let mut fresh = program(LinkOptions {
        allow_undefined: true,
        ..LinkOptions::default()
    });
    fresh.linker.unexport(fresh.main);
    fresh.linker.export_function(fresh.dead, "dead").unwrap();
    assert_eq!(updated, fresh.linker.flush().unwrap());
    let s = summary(&updated);
    let names: Vec<&str> = s.function_names.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["print", "missing", "dead"]);
    assert_eq!(p.linker.data_address(p.unread), Some(1024));
    assert_eq!(p.linker.data_address(p.target), None);
}
