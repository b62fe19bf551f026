//! Whole programs: calls, imports, the stack pointer, the function table, incremental updates.

use wabe_link::Linker;
use wabe_mir::{MirTag, ValType};
use wasmparser::ExternalKind;

use crate::util::{options, summary, validate, Mir, Run};

use ValType::I32;

/// `main` calls the import `print` and the function `add1`.
fn calls_program() -> (Linker, Vec<u8>) {
    let mut l = Linker::new(options());
    let print = l.declare_import("env", "print", &[I32], &[]).unwrap();
    let add1 = l.declare_function("add1", &[I32], &[I32]).unwrap();
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    l.set_function_body(add1, Mir::new().get(0).i32(1).op(MirTag::I32Add).done())
        .unwrap();
    l.set_function_body(
        main,
        Mir::new()
            .i32(5)
            .sym(MirTag::Call, print)
            .i32(41)
            .sym(MirTag::Call, add1)
            .done(),
    )
    .unwrap();
    l.export_function(main, "main").unwrap();
    let bytes = l.flush().unwrap();
    (l, bytes)
}

#[test]
fn function_calling_an_import_and_a_function() {
    let (l, bytes) = calls_program();
    validate(&bytes);
    let mut run = Run::new(&bytes);
    assert_eq!(run.call0("main"), 42);
    assert_eq!(run.printed(), [5]);

    let s = summary(&bytes);
    assert_eq!(s.imports, [("env".into(), "print".into(), "func 0".into())]);
    assert_eq!(s.defined_functions, 2);
    assert_eq!(
        l.function_index(l.symbol_by_name("print").unwrap()),
        Some(0)
    );
    assert_eq!(l.function_index(l.symbol_by_name("add1").unwrap()), Some(1));
    assert_eq!(
        s.function_names,
        [(0, "print".into()), (1, "add1".into()), (2, "main".into())]
    );
    assert_eq!(s.export("main"), Some((ExternalKind::Func, 2)));
    assert_eq!(s.export("memory"), Some((ExternalKind::Memory, 0)));
}

#[test]
fn section_order_and_custom_sections() {
    let (_, bytes) = calls_program();
    let s = summary(&bytes);
    assert_eq!(
        s.sections,
        [
            "type",
            "import",
            "function",
            "memory",
            "global",
            "export",
            "code",
            "custom:name",
            "custom:producers"
        ]
    );
    assert_eq!(
        s.producers,
        [(
            "processed-by".into(),
            "wabe".into(),
            env!("CARGO_PKG_VERSION").into()
        )]
    );
    assert_eq!(s.global_names, [(0, "__stack_pointer".into())]);
}

#[test]
fn wat_snapshot() {
    let (_, bytes) = calls_program();
    insta::assert_snapshot!(wasmprinter::print_bytes(&bytes).unwrap());
}

#[test]
fn unreferenced_imports_are_dropped() {
    let mut l = Linker::new(options());
    let _unused = l.declare_import("env", "unused", &[I32], &[]).unwrap();
    let print = l.declare_import("env", "print", &[I32], &[]).unwrap();
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    l.set_function_body(
        main,
        Mir::new().i32(3).sym(MirTag::Call, print).i32(0).done(),
    )
    .unwrap();
    l.export_function(main, "main").unwrap();
    let bytes = l.flush().unwrap();
    let s = summary(&bytes);
    assert_eq!(s.imports.len(), 1);
    assert_eq!(s.imports[0].1, "print");
    assert_eq!(l.function_index(print), Some(0));
    assert_eq!(l.function_index(_unused), None);
    let mut run = Run::new(&bytes);
    assert_eq!(run.call0("main"), 0);
    assert_eq!(run.printed(), [3]);
}

#[test]
fn import_declared_twice_is_one_symbol() {
    let mut l = Linker::new(options());
    let a = l.declare_import("env", "print", &[I32], &[]).unwrap();
    let b = l.declare_import("env", "print", &[I32], &[]).unwrap();
    assert_eq!(a, b);
}

#[test]
fn stack_pointer_frame() {
    let mut l = Linker::new(options());
    let sp = l.stack_pointer();
    let frame = l.declare_function("frame", &[], &[I32]).unwrap();
    // Allocate a 16-byte frame, store 99 in it, read it back, free the frame.
    let body = Mir::new()
        .locals(&[I32])
        .sym(MirTag::GlobalGet, sp)
        .i32(16)
        .op(MirTag::I32Sub)
        .op1(MirTag::LocalTee, 0)
        .sym(MirTag::GlobalSet, sp)
        .get(0)
        .i32(99)
        .op2(MirTag::I32Store, 12, 2)
        .get(0)
        .op2(MirTag::I32Load, 12, 2)
        .get(0)
        .i32(16)
        .op(MirTag::I32Add)
        .sym(MirTag::GlobalSet, sp)
        .done();
    l.set_function_body(frame, body).unwrap();
    let get_sp = l.declare_function("get_sp", &[], &[I32]).unwrap();
    l.set_function_body(get_sp, Mir::new().sym(MirTag::GlobalGet, sp).done())
        .unwrap();
    l.export_function(frame, "frame").unwrap();
    l.export_function(get_sp, "get_sp").unwrap();
    let bytes = l.flush().unwrap();
    let top = 1024 + 1024 * 1024;
    assert_eq!(summary(&bytes).stack_pointer(), top);

    let mut run = Run::new(&bytes);
    assert_eq!(run.call0("get_sp"), top as i32);
    assert_eq!(run.call0("frame"), 99);
    assert_eq!(run.call0("get_sp"), top as i32);
}

/// `apply(which, x)` calls `double` or `triple` through the table.
#[test]
fn function_pointers_and_call_indirect() {
    let mut l = Linker::new(options());
    let unary = l.func_type_index(&[I32], &[I32]);
    let double = l.declare_function("double", &[I32], &[I32]).unwrap();
    let triple = l.declare_function("triple", &[I32], &[I32]).unwrap();
    let apply = l.declare_function("apply", &[I32, I32], &[I32]).unwrap();
    l.set_function_body(double, Mir::new().get(0).i32(2).op(MirTag::I32Mul).done())
        .unwrap();
    l.set_function_body(triple, Mir::new().get(0).i32(3).op(MirTag::I32Mul).done())
        .unwrap();
    // x; if which { &triple } else { &double }; call_indirect
    let body = Mir::new()
        .get(1)
        .get(0)
        .op1(MirTag::If, 0x7f)
        .sym(MirTag::TableIndex, triple)
        .op(MirTag::Else)
        .sym(MirTag::TableIndex, double)
        .op(MirTag::End)
        .op1(MirTag::CallIndirect, unary)
        .done();
    l.set_function_body(apply, body).unwrap();
    l.export_function(apply, "apply").unwrap();
    let bytes = l.flush().unwrap();

    // Slots in order of first use, from 1.
    assert_eq!(l.table_index(triple), Some(1));
    assert_eq!(l.table_index(double), Some(2));
    let s = summary(&bytes);
    assert_eq!(s.elements, [(None, 1, vec![1, 0])]);
    let table = s.table.unwrap();
    assert_eq!((table.initial, table.maximum), (3, Some(3)));
    assert!(s.sections.contains(&"table".to_string()));
    assert!(s.sections.contains(&"element".to_string()));

    let mut run = Run::new(&bytes);
    assert_eq!(run.call2("apply", 0, 7), 14);
    assert_eq!(run.call2("apply", 1, 7), 21);
}

#[test]
fn imports_in_the_table() {
    let mut l = Linker::new(options());
    let unary = l.func_type_index(&[I32], &[]);
    let print = l.declare_import("env", "print", &[I32], &[]).unwrap();
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    let body = Mir::new()
        .i32(8)
        .sym(MirTag::TableIndex, print)
        .op1(MirTag::CallIndirect, unary)
        .i32(1)
        .done();
    l.set_function_body(main, body).unwrap();
    l.export_function(main, "main").unwrap();
    let bytes = l.flush().unwrap();
    assert_eq!(summary(&bytes).elements, [(None, 1, vec![0])]);
    let mut run = Run::new(&bytes);
    assert_eq!(run.call0("main"), 1);
    assert_eq!(run.printed(), [8]);
}

#[test]
fn undefined_function_resolved_by_a_later_definition() {
    let mut l = Linker::new(options());
    let f = l.declare_undefined_function("f", &[], &[I32]).unwrap();
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    l.set_function_body(main, Mir::new().sym(MirTag::Call, f).done())
        .unwrap();
    let f2 = l.declare_function("f", &[], &[I32]).unwrap();
    assert_eq!(f, f2);
    l.set_function_body(f, Mir::new().i32(17).done()).unwrap();
    l.export_function(main, "main").unwrap();
    let bytes = l.flush().unwrap();
    assert!(summary(&bytes).imports.is_empty());
    assert_eq!(Run::new(&bytes).call0("main"), 17);
}

#[test]
fn incremental_update_and_reflush() {
    let (mut l, _) = calls_program();
    let add1 = l.symbol_by_name("add1").unwrap();
    l.set_function_body(add1, Mir::new().get(0).i32(100).op(MirTag::I32Add).done())
        .unwrap();
    let bytes = l.flush().unwrap();
    assert_eq!(Run::new(&bytes).call0("main"), 141);

    // Free a helper, reuse its index for a new function.
    let helper = l.declare_function("helper", &[], &[]).unwrap();
    l.set_function_body(helper, Mir::new().done()).unwrap();
    l.flush().unwrap();
    l.free_symbol(helper).unwrap();
    assert_eq!(l.symbol_by_name("helper"), None);
    let again = l.declare_function("helper2", &[], &[]).unwrap();
    assert_eq!(again, helper, "freed indices are reused");
    l.set_function_body(again, Mir::new().done()).unwrap();
    let bytes = l.flush().unwrap();
    let s = summary(&bytes);
    assert!(s.function_names.iter().any(|n| n.1 == "helper2"));
    assert!(!s.function_names.iter().any(|n| n.1 == "helper"));
}

#[test]
fn flush_is_repeatable() {
    let (mut l, first) = calls_program();
    assert_eq!(l.flush().unwrap(), first);
}

#[test]
fn executable_uses_shortest_lebs() {
    // 200 functions: a call to the last one needs a 2-byte index, not 5.
    let mut l = Linker::new(options());
    let mut last = None;
    for i in 0..200 {
        let f = l.declare_function(&format!("f{i}"), &[], &[]).unwrap();
        l.set_function_body(f, Mir::new().done()).unwrap();
        last = Some(f);
    }
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    l.set_function_body(
        main,
        Mir::new().sym(MirTag::Call, last.unwrap()).i32(0).done(),
    )
    .unwrap();
    l.export_function(main, "main").unwrap();
    let bytes = l.flush().unwrap();
    validate(&bytes);
    // call 199 = 0x10 0xc7 0x01
    let needle = [0x10, 0xc7, 0x01, 0x41, 0x00, 0x0b];
    assert!(bytes.windows(needle.len()).any(|w| w == needle));
}
