//! Data atoms: segments, addresses, relocations, local atoms, `get_decl_vaddr`.

use wabe_link::{Linker, Reloc, RelocKind, Segment};
use wabe_mir::{MirTag, SymbolIndex, ValType};

use crate::util::{options, summary, Mir, Run};

use ValType::I32;

fn reloc(offset: u32, kind: RelocKind, symbol: SymbolIndex, addend: i64) -> Reloc {
    Reloc {
        offset,
        kind,
        symbol,
        addend,
    }
}

struct Program {
    linker: Linker,
    bytes: Vec<u8>,
    greeting: SymbolIndex,
    fns: SymbolIndex,
    counter: SymbolIndex,
    ptr: SymbolIndex,
    zeros: SymbolIndex,
}

fn program(import_memory: bool) -> Program {
    let mut l = Linker::new(wabe_link::LinkOptions {
        import_memory,
        ..options()
    });
    let unary = l.func_type_index(&[I32], &[I32]);
    let double = l.declare_function("double", &[I32], &[I32]).unwrap();
    let triple = l.declare_function("triple", &[I32], &[I32]).unwrap();
    l.set_function_body(double, Mir::new().get(0).i32(2).op(MirTag::I32Mul).done())
        .unwrap();
    l.set_function_body(triple, Mir::new().get(0).i32(3).op(MirTag::I32Mul).done())
        .unwrap();

    // `counter` is referenced by `ptr` before it is defined.
    let counter = l.declare_data_symbol("counter").unwrap();
    let greeting = l
        .declare_data("greeting", b"hello".to_vec(), 1, false, vec![])
        .unwrap();
    let fns = l
        .declare_data(
            "fns",
            vec![0; 8],
            4,
            false,
            vec![
                reloc(0, RelocKind::TableIndexI32, double, 0),
                reloc(4, RelocKind::TableIndexI32, triple, 0),
            ],
        )
        .unwrap();
    l.define_data(counter, 5u32.to_le_bytes().to_vec(), 4, true, vec![])
        .unwrap();
    let ptr = l
        .declare_data(
            "ptr",
            vec![0; 4],
            4,
            true,
            vec![reloc(0, RelocKind::MemoryAddrI32, counter, 0)],
        )
        .unwrap();
    let zeros = l
        .declare_data("zeros", vec![0; 16], 8, true, vec![])
        .unwrap();

    let export = |l: &mut Linker, name: &str, params: &[ValType], body: Mir| {
        let f = l.declare_function(name, params, &[I32]).unwrap();
        l.set_function_body(f, body.done()).unwrap();
        l.export_function(f, name).unwrap();
    };
    export(
        &mut l,
        "load_counter",
        &[],
        Mir::new()
            .sym(MirTag::MemAddr, counter)
            .op2(MirTag::I32Load, 0, 2),
    );
    export(
        &mut l,
        "bump_through_ptr",
        &[],
        // *ptr += 1; return *ptr
        Mir::new()
            .sym(MirTag::MemAddr, ptr)
            .op2(MirTag::I32Load, 0, 2)
            .sym(MirTag::MemAddr, ptr)
            .op2(MirTag::I32Load, 0, 2)
            .op2(MirTag::I32Load, 0, 2)
            .i32(1)
            .op(MirTag::I32Add)
            .op2(MirTag::I32Store, 0, 2)
            .sym(MirTag::MemAddr, counter)
            .op2(MirTag::I32Load, 0, 2),
    );
    export(
        &mut l,
        "greeting_byte",
        &[I32],
        Mir::new()
            .get(0)
            .sym(MirTag::MemAddr, greeting)
            .op(MirTag::I32Add)
            .op2(MirTag::I32Load8U, 0, 0),
    );
    export(
        &mut l,
        "call_fn",
        &[I32, I32],
        // fns[i](x)
        Mir::new()
            .get(1)
            .sym(MirTag::MemAddr, fns)
            .get(0)
            .i32(2)
            .op(MirTag::I32Shl)
            .op(MirTag::I32Add)
            .op2(MirTag::I32Load, 0, 2)
            .op1(MirTag::CallIndirect, unary),
    );
    export(
        &mut l,
        "zeros_word",
        &[],
        Mir::new()
            .op(MirTag::Nop)
            .op2(MirTag::MemAddr, zeros.0, 4)
            .op2(MirTag::I32Load, 0, 2),
    );
    let heap_base = l.heap_base_symbol();
    let data_end = l.data_end_symbol();
    export(
        &mut l,
        "heap_base",
        &[],
        Mir::new().sym(MirTag::MemAddr, heap_base),
    );
    export(
        &mut l,
        "data_end",
        &[],
        Mir::new().sym(MirTag::MemAddr, data_end),
    );
    let bytes = l.flush().unwrap();
    Program {
        linker: l,
        bytes,
        greeting,
        fns,
        counter,
        ptr,
        zeros,
    }
}

#[test]
fn data_layout() {
    let p = program(false);
    let l = &p.linker;
    // .rodata at 1024: greeting (5 bytes), fns aligned to 4.
    assert_eq!(l.data_address(p.greeting), Some(1024));
    assert_eq!(l.data_address(p.fns), Some(1032));
    // .data: counter, ptr.
    assert_eq!(l.data_address(p.counter), Some(1040));
    assert_eq!(l.data_address(p.ptr), Some(1044));
    // .bss aligned to 8.
    assert_eq!(l.data_address(p.zeros), Some(1048));
    let layout = l.memory_layout().unwrap();
    assert_eq!(layout.data_start, 1024);
    assert_eq!(layout.data_end, 1064);
    assert_eq!(layout.stack_low, 1072);
    assert_eq!(layout.stack_high, 1072 + 1024 * 1024);
    assert_eq!(layout.heap_base, 1072 + 1024 * 1024);
    let segs: Vec<_> = layout
        .segments
        .iter()
        .map(|s| (s.segment, s.start, s.size))
        .collect();
    assert_eq!(
        segs,
        [
            (Segment::Rodata, 1024, 16),
            (Segment::Data, 1040, 8),
            (Segment::Bss, 1048, 16)
        ]
    );

    let s = summary(&p.bytes);
    // .bss is not written when memory is not imported.
    assert_eq!(
        s.data,
        [
            (1024, b"hello\0\0\0\x01\0\0\0\x02\0\0\0".to_vec()),
            (1040, vec![5, 0, 0, 0, 0x10, 0x04, 0, 0]),
        ]
    );
    assert_eq!(s.data_names, [(0, ".rodata".into()), (1, ".data".into())]);
    assert_eq!(s.stack_pointer(), 1072 + 1024 * 1024);
}

#[test]
fn data_program_runs() {
    let p = program(false);
    let mut run = Run::new(&p.bytes);
    assert_eq!(run.call0("load_counter"), 5);
    assert_eq!(run.call0("bump_through_ptr"), 6);
    assert_eq!(run.call0("bump_through_ptr"), 7);
    assert_eq!(run.call1("greeting_byte", 1), i32::from(b'e'));
    assert_eq!(run.call2("call_fn", 0, 5), 10);
    assert_eq!(run.call2("call_fn", 1, 5), 15);
    assert_eq!(run.call0("zeros_word"), 0);
    assert_eq!(run.call0("heap_base"), 1072 + 1024 * 1024);
    assert_eq!(run.call0("data_end"), 1064);
}

#[test]
fn bss_is_written_with_imported_memory() {
    let p = program(true);
    let s = summary(&p.bytes);
    assert_eq!(s.data.len(), 3);
    assert_eq!(s.data[2], (1048, vec![0; 16]));
    assert_eq!(s.data_names[2], (2, ".bss".into()));
    let mut run = Run::with_memory(&p.bytes, Some((17, None)));
    assert_eq!(run.call0("bump_through_ptr"), 6);
}

#[test]
fn local_atoms() {
    let mut l = Linker::new(options());
    let main = l.declare_function("main", &[], &[I32]).unwrap();
    let local = l
        .add_local_data(main, 42u32.to_le_bytes().to_vec(), 4, vec![])
        .unwrap();
    let atom = l.atom_of(main).unwrap();
    let local_atom = l.atom_of(local).unwrap();
    assert_eq!(l.symbol_atom(atom, main), Some(atom));
    assert_eq!(l.symbol_atom(atom, local), Some(local_atom));
    assert_eq!(l.atom(atom).unwrap().locals, [local_atom]);
    assert_eq!(l.atom(local_atom).unwrap().parent, Some(atom));
    assert_eq!(l.symbol_name(local), None);
    l.set_function_body(
        main,
        Mir::new()
            .sym(MirTag::MemAddr, local)
            .op2(MirTag::I32Load, 0, 2)
            .done(),
    )
    .unwrap();
    l.export_function(main, "main").unwrap();
    let bytes = l.flush().unwrap();
    assert_eq!(l.data_address(local), Some(1024));
    assert_eq!(Run::new(&bytes).call0("main"), 42);

    // Regenerating the function: its locals go away, and a stale reference is an error.
    l.clear_locals(main).unwrap();
    assert_eq!(l.atom(local_atom), None);
    assert_eq!(l.atom(atom).unwrap().locals, []);
    let err = l.flush().unwrap_err();
    assert!(err.to_string().contains("`main`"), "{err}");
    assert!(err.to_string().contains("freed"), "{err}");
}

#[test]
fn get_decl_vaddr_records_relocations() {
    let mut l = Linker::new(options());
    let greeting = l
        .declare_data("greeting", b"hello".to_vec(), 1, false, vec![])
        .unwrap();
    let f = l.declare_function("f", &[], &[I32]).unwrap();
    l.set_function_body(f, Mir::new().i32(9).done()).unwrap();
    let table = l
        .declare_data("table", vec![0; 8], 4, false, vec![])
        .unwrap();
    assert_eq!(l.get_decl_vaddr(table, greeting, 0, 1).unwrap(), 0);
    assert_eq!(l.get_decl_vaddr(table, f, 4, 0).unwrap(), 0);
    let relocs = &l.atom(l.atom_of(table).unwrap()).unwrap().relocs;
    assert_eq!(
        relocs,
        &[
            reloc(0, RelocKind::MemoryAddrI32, greeting, 1),
            reloc(4, RelocKind::TableIndexI32, f, 0)
        ]
    );
    let bytes = l.flush().unwrap();
    let s = summary(&bytes);
    // greeting at 1024, table at 1032: &greeting[1], then slot 1.
    assert_eq!(
        s.data,
        [(1024, b"hello\0\0\0\x01\x04\0\0\x01\0\0\0".to_vec())]
    );
    assert_eq!(s.elements, [(None, 1, vec![0])]);
}

#[test]
fn local_data_of_data_symbols() {
    // A slice constant: `{ ptr, len }` pointing at anonymous bytes owned by the constant.
    let mut l = Linker::new(options());
    let slice = l.declare_data_symbol("slice").unwrap();
    l.define_data(slice, vec![0, 0, 0, 0, 3, 0, 0, 0], 4, false, vec![])
        .unwrap();
    let bytes = l.add_local_data(slice, b"abc".to_vec(), 1, vec![]).unwrap();
    l.get_decl_vaddr(slice, bytes, 0, 0).unwrap();
    let atom = l.atom_of(slice).unwrap();
    assert_eq!(l.symbol_atom(atom, bytes), l.atom_of(bytes));
    l.flush().unwrap();
    // Both are .rodata, in atom order: slice at 1024, bytes at 1032.
    assert_eq!(l.data_address(slice), Some(1024));
    assert_eq!(l.data_address(bytes), Some(1032));

    // Freeing the owner frees the local.
    l.free_symbol(slice).unwrap();
    assert_eq!(l.atom(atom), None);
    assert!(
        l.data_address(bytes).is_some(),
        "results of the last flush stay"
    );
    l.flush().unwrap();
    assert_eq!(l.memory_layout().unwrap().segments, []);
}

#[test]
fn memory64_data() {
    let mut l = Linker::new(wabe_link::LinkOptions {
        memory64: true,
        ..options()
    });
    let x = l
        .declare_data("x", 7u64.to_le_bytes().to_vec(), 8, true, vec![])
        .unwrap();
    let p = l.declare_data("p", vec![0; 8], 8, false, vec![]).unwrap();
    l.get_decl_vaddr(p, x, 0, 0).unwrap();
    let f = l.declare_function("f", &[], &[ValType::I64]).unwrap();
    l.set_function_body(
        f,
        Mir::new()
            .sym(MirTag::MemAddr, p)
            .op2(MirTag::I64Load, 0, 3)
            .op2(MirTag::I64Load, 0, 3)
            .done(),
    )
    .unwrap();
    l.export_function(f, "f").unwrap();
    let bytes = l.flush().unwrap();
    let s = summary(&bytes);
    assert!(s.memory.unwrap().memory64);
    assert_eq!(s.globals[0].0.content_type, wasmparser::ValType::I64);
    // p (rodata) at 1024 holds x's address (.data, 1032), as 8 bytes.
    assert_eq!(
        s.data,
        [
            (1024, 1032u64.to_le_bytes().to_vec()),
            (1032, 7u64.to_le_bytes().to_vec())
        ]
    );
}

#[test]
fn name_tables_are_synthesized_when_used() {
    let mut l = Linker::new(options());
    l.set_error_names(["Oops", "NotFound"]);
    let errors = l.error_name_table();
    assert_eq!(l.error_name_table(), errors, "one table");
    let colors = l.tag_name_table(&["red", "green"]);
    assert_eq!(l.tag_name_table(&["red", "green"]), colors);
    let unused = l.tag_name_table(&["never"]);
    assert_ne!(unused, colors);
    let f = l.declare_function("f", &[], &[I32]).unwrap();
    l.set_function_body(
        f,
        Mir::new()
            .sym(MirTag::MemAddr, errors)
            .sym(MirTag::MemAddr, colors)
            .op(MirTag::Drop)
            .done(),
    )
    .unwrap();
    l.export_function(f, "f").unwrap();
    let bytes = l.flush().unwrap();
    // The error table at 1024: 3 entries of { ptr, len } (entry 0 empty), then
    // "Oops\0NotFound\0" at 1048. The tag table follows at 1064 (aligned to 4): 2 entries,
    // then "red\0green\0" at 1080.
    assert_eq!(l.data_address(errors), Some(1024));
    assert_eq!(l.data_address(colors), Some(1064));
    assert_eq!(l.data_address(unused), None, "unused tables are left out");
    let le = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut want = le(&[1048, 0, 1048, 4, 1053, 8]);
    want.extend_from_slice(b"Oops\0NotFound\0\0\0");
    want.extend(le(&[1080, 3, 1084, 5]));
    want.extend_from_slice(b"red\0green\0");
    assert_eq!(summary(&bytes).data, [(1024, want)]);
}

#[test]
fn identical_anonymous_constants_are_stored_once() {
    let mut l = Linker::new(options());
    let f = l.declare_function("f", &[], &[I32]).unwrap();
    let g = l.declare_function("g", &[], &[I32]).unwrap();
    let a = l.add_local_data(f, b"same".to_vec(), 1, vec![]).unwrap();
    let b = l.add_local_data(g, b"same".to_vec(), 1, vec![]).unwrap();
    let c = l.add_local_data(g, b"same".to_vec(), 2, vec![]).unwrap();
    // Identical structs pointing at identical strings merge too.
    let sa = l
        .add_local_data(
            f,
            vec![0; 4],
            4,
            vec![reloc(0, RelocKind::MemoryAddrI32, a, 1)],
        )
        .unwrap();
    let sb = l
        .add_local_data(
            g,
            vec![0; 4],
            4,
            vec![reloc(0, RelocKind::MemoryAddrI32, b, 1)],
        )
        .unwrap();
    for (sym, s) in [(f, sa), (g, sb)] {
        l.set_function_body(sym, Mir::new().sym(MirTag::MemAddr, s).done())
            .unwrap();
        let name = l.symbol_name(sym).unwrap().to_string();
        l.export_function(sym, &name).unwrap();
    }
    l.flush().unwrap();
    assert_eq!(l.data_address(a), l.data_address(b));
    assert_ne!(
        l.data_address(a),
        l.data_address(c),
        "a different alignment is kept apart"
    );
    assert_eq!(l.data_address(sa), l.data_address(sb));
    // Named data is never merged.
    let mut l2 = Linker::new(options());
    let x = l2
        .declare_data("x", b"k".to_vec(), 1, false, vec![])
        .unwrap();
    let y = l2
        .declare_data("y", b"k".to_vec(), 1, false, vec![])
        .unwrap();
    l2.flush().unwrap();
    assert_ne!(l2.data_address(x), l2.data_address(y));
}

#[test]
fn a_pointer_field_moves_zero_data_out_of_bss() {
    let mut l = Linker::new(options());
    let target = l.declare_data("t", vec![1], 1, false, vec![]).unwrap();
    let p = l.declare_data("p", vec![0; 4], 4, true, vec![]).unwrap();
    assert_eq!(
        l.atom(l.atom_of(p).unwrap()).unwrap().segment(),
        Some(Segment::Bss)
    );
    l.get_decl_vaddr(p, target, 0, 0).unwrap();
    assert_eq!(
        l.atom(l.atom_of(p).unwrap()).unwrap().segment(),
        Some(Segment::Data)
    );
    let bytes = l.flush().unwrap();
    assert_eq!(
        summary(&bytes).data[1],
        (1028, 1024u32.to_le_bytes().to_vec())
    );
}

#[test]
fn output_does_not_depend_on_symbol_history() {
    // Build A, B in order; and B, A with order keys: the same module.
    let build = |first_a: bool| {
        let mut l = Linker::new(options());
        let mut syms = Vec::new();
        for name in if first_a { ["a", "b"] } else { ["b", "a"] } {
            let f = l.declare_function(name, &[], &[I32]).unwrap();
            let d = l
                .declare_data(
                    &format!("{name}_data"),
                    name.as_bytes().to_vec(),
                    1,
                    false,
                    vec![],
                )
                .unwrap();
            l.set_function_body(f, Mir::new().sym(MirTag::MemAddr, d).done())
                .unwrap();
            l.export_function(f, name).unwrap();
            let key = if name == "a" { 0 } else { 2 };
            l.set_symbol_order(f, key).unwrap();
            l.set_symbol_order(d, key + 1).unwrap();
            syms.push(f);
        }
        // A freed symbol and a type nobody uses any more leave no trace.
        let tmp = l.declare_function("tmp", &[ValType::F64], &[]).unwrap();
        l.free_symbol(tmp).unwrap();
        l.flush().unwrap()
    };
    assert_eq!(build(true), build(false));
}
