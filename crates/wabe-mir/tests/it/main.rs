//! Tests of the MIR emitter and printer: exact bytes, validation of the emitted bodies inside a
//! small module, and relocatable output with padded LEBs.

use wabe_mir::{
    emit_body, write_padded_sleb32, write_padded_sleb64, write_padded_uleb32, write_padded_uleb64,
    EmitError, MirData, MirFunction, MirTag, Reloc, RelocKind, Resolver, SymbolIndex, ValType,
};
use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, FunctionSection, GlobalSection, GlobalType,
    MemorySection, MemoryType, Module, RefType, TableSection, TableType, TypeSection,
};

/// Symbols 0..=9: functions at index `sym + 1`, globals at `sym`, data at `0x100 * sym`,
/// table slots `sym + 1`. Symbol 99 is unknown.
struct TestResolver;

impl Resolver for TestResolver {
    fn function_index(&self, sym: SymbolIndex) -> Option<u32> {
        (sym.0 < 10).then_some(sym.0 + 1)
    }
    fn global_index(&self, sym: SymbolIndex) -> Option<u32> {
        (sym.0 < 2).then_some(sym.0)
    }
    fn memory_address(&self, sym: SymbolIndex) -> Option<u64> {
        (sym.0 < 10).then_some(0x100 * u64::from(sym.0))
    }
    fn table_index(&self, sym: SymbolIndex) -> Option<u32> {
        (sym.0 < 10).then_some(sym.0 + 1)
    }
}

fn d(a: u32) -> MirData {
    MirData::a(a)
}

fn none() -> MirData {
    MirData::default()
}

fn emit(f: &MirFunction, memory64: bool) -> Vec<u8> {
    let mut out = Vec::new();
    emit_body(f, &TestResolver, memory64, &mut out, None).unwrap();
    out
}

fn emit_reloc(f: &MirFunction, memory64: bool) -> (Vec<u8>, Vec<Reloc>) {
    let mut out = vec![0xee; 3]; // offsets must be relative to where the body starts
    let mut relocs = Vec::new();
    emit_body(f, &TestResolver, memory64, &mut out, Some(&mut relocs)).unwrap();
    (out[3..].to_vec(), relocs)
}

/// A module whose function 0 has type `(params) -> (results)` and the given body; functions 1..=10
/// are `() -> ()` stubs, type 1 is `(i32) -> i32`; globals 0 (mut i32/i64) and 1 (i32); a memory;
/// a funcref table of 16.
fn module(params: &[ValType], results: &[ValType], body: &[u8], memory64: bool) -> Vec<u8> {
    let vt = |t: &ValType| match t {
        ValType::I32 => wasm_encoder::ValType::I32,
        ValType::I64 => wasm_encoder::ValType::I64,
        ValType::F32 => wasm_encoder::ValType::F32,
        ValType::F64 => wasm_encoder::ValType::F64,
    };
    let ptr = if memory64 {
        wasm_encoder::ValType::I64
    } else {
        wasm_encoder::ValType::I32
    };
    let mut types = TypeSection::new();
    types
        .ty()
        .function(params.iter().map(vt), results.iter().map(vt));
    types
        .ty()
        .function([wasm_encoder::ValType::I32], [wasm_encoder::ValType::I32]);
    types.ty().function([], []);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    for _ in 0..10 {
        funcs.function(2);
    }
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: RefType::FUNCREF,
        table64: false,
        minimum: 16,
        maximum: None,
        shared: false,
    });
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64,
        shared: false,
        page_size_log2: None,
    });
    let mut globals = GlobalSection::new();
    let sp_init = if memory64 {
        wasm_encoder::ConstExpr::i64_const(0)
    } else {
        wasm_encoder::ConstExpr::i32_const(0)
    };
    globals.global(
        GlobalType {
            val_type: ptr,
            mutable: true,
            shared: false,
        },
        &sp_init,
    );
    globals.global(
        GlobalType {
            val_type: wasm_encoder::ValType::I32,
            mutable: false,
            shared: false,
        },
        &wasm_encoder::ConstExpr::i32_const(7),
    );
    let mut exports = ExportSection::new();
    exports.export("f", ExportKind::Func, 0);
    let mut code = CodeSection::new();
    code.raw(body);
    for _ in 0..10 {
        code.raw(&[0x00, 0x0b]);
    }
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&tables)
        .section(&memories)
        .section(&globals)
        .section(&exports)
        .section(&code);
    m.finish()
}

fn validate(bytes: &[u8]) {
    if let Err(e) = wasmparser::Validator::new().validate_all(bytes) {
        panic!("invalid module: {e}");
    }
}

#[test]
fn doc_example_bytes() {
    let mut f = MirFunction::default();
    f.push(MirTag::LocalGet, d(0));
    f.push(MirTag::I32Const, d(1));
    f.push(MirTag::I32Add, none());
    let body = emit(&f, false);
    assert_eq!(body, [0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b]);
    validate(&module(&[ValType::I32], &[ValType::I32], &body, false));
}

#[test]
fn locals_are_run_length_grouped() {
    use ValType::*;
    let f = MirFunction {
        locals: vec![I32, I32, I64, I32, F64, F64, F64, F32],
        ..MirFunction::default()
    };
    let body = emit(&f, false);
    assert_eq!(
        body,
        [5, 2, 0x7f, 1, 0x7e, 1, 0x7f, 3, 0x7c, 1, 0x7d, 0x0b],
        "5 groups, then end"
    );
    validate(&module(&[], &[], &body, false));
}

#[test]
fn empty_body() {
    assert_eq!(emit(&MirFunction::default(), false), [0x00, 0x0b]);
}

#[test]
fn constants() {
    let mut f = MirFunction::default();
    f.push(MirTag::I32Const, d(-1i32 as u32));
    f.push(MirTag::Drop, none());
    f.push(MirTag::I32Const, d(64));
    f.push(MirTag::Drop, none());
    f.push(MirTag::I64Const, MirData::from_u64(-2i64 as u64));
    f.push(MirTag::Drop, none());
    f.push(MirTag::I64Const, MirData::from_u64(1 << 40));
    f.push(MirTag::Drop, none());
    f.push(MirTag::F32Const, d(1.5f32.to_bits()));
    f.push(MirTag::Drop, none());
    f.push(MirTag::F64Const, MirData::from_u64(2.5f64.to_bits()));
    let body = emit(&f, false);
    let mut expect = vec![0x00];
    expect.extend([0x41, 0x7f, 0x1a]);
    expect.extend([0x41, 0xc0, 0x00, 0x1a]);
    expect.extend([0x42, 0x7e, 0x1a]);
    expect.extend([0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x1a]);
    expect.push(0x43);
    expect.extend(1.5f32.to_le_bytes());
    expect.push(0x1a);
    expect.push(0x44);
    expect.extend(2.5f64.to_le_bytes());
    expect.push(0x0b);
    assert_eq!(body, expect);
    validate(&module(&[], &[ValType::F64], &body, false));
}

/// One function using every kind of immediate, validated inside a module.
fn every_immediate() -> MirFunction {
    let mut f = MirFunction {
        locals: vec![ValType::I32, ValType::I64],
        ..MirFunction::default()
    };
    // block (result i32) ... end, with br_table over 2 labels.
    f.push(MirTag::Block, d(0x40));
    f.push(MirTag::Block, d(0x40));
    f.push(MirTag::LocalGet, d(0));
    let extra = f.extra.len() as u32;
    f.extra.extend([2, 0, 1, 1]);
    f.push(MirTag::BrTable, d(extra));
    f.push(MirTag::End, none());
    f.push(MirTag::End, none());
    // loop with br_if
    f.push(MirTag::Loop, d(0x40));
    f.push(MirTag::LocalGet, d(0));
    f.push(MirTag::BrIf, d(0));
    f.push(MirTag::End, none());
    // if/else with a result
    f.push(MirTag::LocalGet, d(0));
    f.push(MirTag::If, d(0x7f));
    f.push(MirTag::I32Const, d(1));
    f.push(MirTag::Else, none());
    f.push(MirTag::I32Const, d(2));
    f.push(MirTag::End, none());
    f.push(MirTag::LocalSet, d(1));
    // calls
    f.push(MirTag::Call, d(4)); // function index 5
    f.push(MirTag::I32Const, d(9));
    f.push(MirTag::TableIndex, d(2)); // slot 3
    f.push(MirTag::CallIndirect, d(1)); // type 1: (i32) -> i32
    f.push(MirTag::Drop, none());
    // globals and memory
    f.push(MirTag::GlobalGet, d(0));
    f.push(MirTag::GlobalSet, d(0));
    f.push(MirTag::MemAddr, MirData { a: 1, b: 8 }); // 0x108
    f.push(MirTag::I32Load, MirData { a: 16, b: 2 });
    f.push(MirTag::LocalTee, d(1));
    f.push(
        MirTag::MemAddr,
        MirData {
            a: 2,
            b: -4i32 as u32,
        },
    ); // 0x1fc
    f.push(MirTag::I32Store8, MirData { a: 0, b: 0 });
    f.push(MirTag::MemorySize, none());
    f.push(MirTag::MemoryGrow, none());
    f.push(MirTag::Drop, none());
    f.push(MirTag::I32Const, d(0));
    f.push(MirTag::I32Const, d(16));
    f.push(MirTag::I32Const, d(4));
    f.push(MirTag::MemoryCopy, none());
    f.push(MirTag::I32Const, d(0));
    f.push(MirTag::I32Const, d(0));
    f.push(MirTag::I32Const, d(4));
    f.push(MirTag::MemoryFill, none());
    f.push(MirTag::F32Const, d(3.0f32.to_bits()));
    f.push(MirTag::I32TruncSatF32S, none());
    f.push(MirTag::Drop, none());
    f.push(MirTag::LocalGet, d(2));
    f.push(MirTag::Drop, none());
    f.push(MirTag::Unreachable, none());
    f
}

#[test]
fn every_immediate_validates() {
    let f = every_immediate();
    let body = emit(&f, false);
    validate(&module(&[ValType::I32], &[], &body, false));
}

#[test]
fn every_immediate_exact_bytes() {
    let body = emit(&every_immediate(), false);
    let expect: Vec<u8> = [
        &[0x02, 0x01, 0x7f, 0x01, 0x7e][..], // locals
        &[
            0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x01, 0x0b, 0x0b,
        ],
        &[0x03, 0x40, 0x20, 0x00, 0x0d, 0x00, 0x0b],
        &[
            0x20, 0x00, 0x04, 0x7f, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0b, 0x21, 0x01,
        ],
        &[0x10, 0x05, 0x41, 0x09, 0x41, 0x03, 0x11, 0x01, 0x00, 0x1a],
        &[0x23, 0x00, 0x24, 0x00],
        &[0x41, 0x88, 0x02, 0x28, 0x02, 0x10, 0x22, 0x01],
        &[0x41, 0xfc, 0x03, 0x3a, 0x00, 0x00],
        &[0x3f, 0x00, 0x40, 0x00, 0x1a],
        &[0x41, 0x00, 0x41, 0x10, 0x41, 0x04, 0xfc, 0x0a, 0x00, 0x00],
        &[0x41, 0x00, 0x41, 0x00, 0x41, 0x04, 0xfc, 0x0b, 0x00],
        &[0x43, 0x00, 0x00, 0x40, 0x40, 0xfc, 0x00, 0x1a],
        &[0x20, 0x02, 0x1a, 0x00, 0x0b],
    ]
    .concat();
    assert_eq!(body, expect);
}

#[test]
fn relocatable_mode_pads_symbol_operands() {
    let f = every_immediate();
    let (body, relocs) = emit_reloc(&f, false);
    validate(&module(&[ValType::I32], &[], &body, false));

    let kinds: Vec<_> = relocs
        .iter()
        .map(|r| (r.kind, r.symbol.0, r.addend))
        .collect();
    assert_eq!(
        kinds,
        [
            (RelocKind::FunctionIndexLeb, 4, 0),
            (RelocKind::TableIndexSleb, 2, 0),
            (RelocKind::TypeIndexLeb, 1, 0),
            (RelocKind::GlobalIndexLeb, 0, 0),
            (RelocKind::GlobalIndexLeb, 0, 0),
            (RelocKind::MemoryAddrSleb, 1, 8),
            (RelocKind::MemoryAddrSleb, 2, -4),
        ]
    );
    // Every relocation points at a 5-byte LEB holding the resolved value.
    let expect_values = [5i64, 3, 1, 0, 0, 0x108, 0x1fc];
    for (r, want) in relocs.iter().zip(expect_values) {
        let at = r.offset as usize;
        let field = &body[at..at + 5];
        assert!(
            field[..4].iter().all(|b| b & 0x80 != 0),
            "{r:?}: {field:x?}"
        );
        assert_eq!(field[4] & 0x80, 0);
        let mut reader = wasmparser::BinaryReader::new(field, 0);
        let got = match r.kind {
            RelocKind::TableIndexSleb | RelocKind::MemoryAddrSleb => {
                i64::from(reader.read_var_i32().unwrap())
            }
            _ => i64::from(reader.read_var_u32().unwrap()),
        };
        assert_eq!(got, want, "{r:?}");
    }
    // The call's operand follows its opcode, and the first instruction comes after the locals.
    let call = relocs[0].offset as usize;
    assert_eq!(body[call - 1], 0x10);
    assert_eq!(&body[call..call + 5], [0x85, 0x80, 0x80, 0x80, 0x00]);
}

#[test]
fn relocatable_negative_address_is_sign_padded() {
    let mut f = MirFunction::default();
    f.push(
        MirTag::MemAddr,
        MirData {
            a: 0,
            b: -8i32 as u32,
        },
    );
    let (body, relocs) = emit_reloc(&f, false);
    assert_eq!(body, [0x00, 0x41, 0xf8, 0xff, 0xff, 0xff, 0x7f, 0x0b]);
    assert_eq!(
        relocs,
        [Reloc {
            offset: 2,
            kind: RelocKind::MemoryAddrSleb,
            symbol: SymbolIndex(0),
            addend: -8
        }]
    );
}

#[test]
fn memory64_addresses_are_i64() {
    let mut f = MirFunction::default();
    f.push(MirTag::MemAddr, MirData { a: 3, b: 4 });
    f.push(MirTag::I64Load, MirData { a: 0, b: 3 });
    f.push(MirTag::Drop, none());
    f.push(MirTag::TableIndex, d(1));
    f.push(MirTag::Drop, none());
    let body = emit(&f, true);
    assert_eq!(
        body,
        [0x00, 0x42, 0x84, 0x06, 0x29, 0x03, 0x00, 0x1a, 0x42, 0x02, 0x1a, 0x0b]
    );
    validate(&module(&[], &[], &body, true));

    let (body, relocs) = emit_reloc(&f, true);
    validate(&module(&[], &[], &body, true));
    assert_eq!(relocs.len(), 2);
    assert_eq!(relocs[0].kind, RelocKind::MemoryAddrSleb64);
    assert_eq!(relocs[0].offset, 2);
    assert_eq!(relocs[0].addend, 4);
    assert_eq!(
        &body[2..12],
        [0x84, 0x86, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
    );
    assert_eq!(relocs[1].kind, RelocKind::TableIndexSleb64);
    assert_eq!(relocs[1].offset, 17);
    assert_eq!(body[16], 0x42);
}

#[test]
fn padded_leb_helpers() {
    let mut out = Vec::new();
    write_padded_uleb32(&mut out, 3);
    assert_eq!(out, [0x83, 0x80, 0x80, 0x80, 0x00]);
    out.clear();
    write_padded_uleb32(&mut out, u32::MAX);
    assert_eq!(out, [0xff, 0xff, 0xff, 0xff, 0x0f]);
    out.clear();
    write_padded_sleb32(&mut out, -1);
    assert_eq!(out, [0xff, 0xff, 0xff, 0xff, 0x7f]);
    out.clear();
    write_padded_sleb32(&mut out, i32::MIN);
    assert_eq!(out, [0x80, 0x80, 0x80, 0x80, 0x78]);
    out.clear();
    write_padded_sleb32(&mut out, 64);
    assert_eq!(out, [0xc0, 0x80, 0x80, 0x80, 0x00]);
    for v in [0u64, 1, 127, 128, u64::from(u32::MAX), u64::MAX] {
        out.clear();
        write_padded_uleb64(&mut out, v);
        assert_eq!(out.len(), 10);
        assert_eq!(
            wasmparser::BinaryReader::new(&out, 0)
                .read_var_u64()
                .unwrap(),
            v
        );
    }
    for v in [0i64, -1, 63, -64, 64, i64::MIN, i64::MAX] {
        out.clear();
        write_padded_sleb64(&mut out, v);
        assert_eq!(out.len(), 10);
        assert_eq!(
            wasmparser::BinaryReader::new(&out, 0)
                .read_var_i64()
                .unwrap(),
            v
        );
    }
    for v in [0i32, -1, 63, -64, 64, i32::MIN, i32::MAX] {
        out.clear();
        write_padded_sleb32(&mut out, v);
        assert_eq!(
            wasmparser::BinaryReader::new(&out, 0)
                .read_var_i32()
                .unwrap(),
            v
        );
    }
}

#[test]
fn unresolved_symbols_are_errors() {
    for tag in [
        MirTag::Call,
        MirTag::GlobalGet,
        MirTag::MemAddr,
        MirTag::TableIndex,
    ] {
        let mut f = MirFunction::default();
        f.push(tag, d(99));
        let mut out = Vec::new();
        assert_eq!(
            emit_body(&f, &TestResolver, false, &mut out, None),
            Err(EmitError::Unresolved(SymbolIndex(99))),
            "{tag:?}"
        );
    }
}

#[test]
fn malformed_mir_is_an_error() {
    let mut f = MirFunction::default();
    f.extra.push(3);
    f.push(MirTag::BrTable, d(0));
    let mut out = Vec::new();
    assert!(matches!(
        emit_body(&f, &TestResolver, false, &mut out, None),
        Err(EmitError::BadBrTable { inst: 0, extra: 0 })
    ));
    let mut f = MirFunction::default();
    f.tags.push(MirTag::Nop);
    assert!(matches!(
        emit_body(&f, &TestResolver, false, &mut out, None),
        Err(EmitError::LengthMismatch { tags: 1, data: 0 })
    ));
}

#[test]
fn display_snapshot() {
    insta::assert_snapshot!(every_immediate().display(), @r"
    (local i32 i64)
    block
      block
        local.get 0
        br_table 0 1 1
      end
    end
    loop
      local.get 0
      br_if 0
    end
    local.get 0
    if (result i32)
      i32.const 1
    else
      i32.const 2
    end
    local.set 1
    call @sym4
    i32.const 9
    table_index @sym2
    call_indirect (type 1)
    drop
    global.get @sym0
    global.set @sym0
    mem_addr @sym1+8
    i32.load offset=16
    local.tee 1
    mem_addr @sym2-4
    i32.store8
    memory.size
    memory.grow
    drop
    i32.const 0
    i32.const 16
    i32.const 4
    memory.copy
    i32.const 0
    i32.const 0
    i32.const 4
    memory.fill
    f32.const 3.0
    i32.trunc_sat_f32_s
    drop
    local.get 2
    drop
    unreachable
    ");
}

#[test]
fn display_constants() {
    let mut f = MirFunction::default();
    f.push(MirTag::I64Const, MirData::from_u64(-5i64 as u64));
    f.push(MirTag::F32Const, d(f32::NAN.to_bits()));
    f.push(MirTag::F32Const, d(f32::NEG_INFINITY.to_bits()));
    f.push(MirTag::F64Const, MirData::from_u64(0x7ff0_0000_0000_0001));
    f.push(MirTag::F64Const, MirData::from_u64(0.1f64.to_bits()));
    f.push(MirTag::I64Load8U, MirData { a: 0, b: 2 });
    insta::assert_snapshot!(f.display(), @r"
    i64.const -5
    f32.const nan
    f32.const -inf
    f64.const nan:0x1
    f64.const 0.1
    i64.load8_u align=4
    ");
}
