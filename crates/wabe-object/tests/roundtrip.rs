//! The encoded sections read back with wasmparser's readers, inside a module that validates.

use wabe_object::{LinkingSection, RelocSection, RelocType, SymbolFlags, SymbolInfo};
use wasm_encoder::{
    CodeSection, CustomSection, Function, FunctionSection, Instruction, Module, TypeSection,
};
use wasmparser::{KnownCustom, Linking, Parser, Payload};

#[test]
fn sections_read_back() {
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], []);
    module.section(&types);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    funcs.function(0);
    module.section(&funcs);
    let mut code = CodeSection::new();
    let mut f = Function::new([]);
    // call 1, with a padded index: 0x10 0x81 0x80 0x80 0x80 0x00
    f.raw([0x10, 0x81, 0x80, 0x80, 0x80, 0x00]);
    f.instruction(&Instruction::End);
    code.function(&f);
    let mut g = Function::new([]);
    g.instruction(&Instruction::End);
    code.function(&g);
    module.section(&code);

    let mut linking = LinkingSection::new();
    linking.symbol(SymbolInfo::Function {
        flags: SymbolFlags::empty(),
        index: 0,
        name: Some("caller".into()),
    });
    linking.symbol(SymbolInfo::Function {
        flags: SymbolFlags::BINDING_LOCAL | SymbolFlags::VISIBILITY_HIDDEN,
        index: 1,
        name: Some("callee".into()),
    });
    linking.symbol(SymbolInfo::Data {
        flags: SymbolFlags::UNDEFINED,
        name: "ext".into(),
        defined: None,
    });
    linking.init_func(65535, 1);
    let payload = linking.encode();
    module.section(&CustomSection {
        name: "linking".into(),
        data: payload.as_slice().into(),
    });
    // code section contents: count(1) + size(1) + locals(1) => the call's immediate of body 0 is at 4
    let mut reloc = RelocSection::new(3);
    reloc.entry(RelocType::FunctionIndexLeb, 4, 1, 0);
    let r = reloc.encode();
    module.section(&CustomSection {
        name: "reloc.CODE".into(),
        data: r.as_slice().into(),
    });
    let bytes = module.finish();

    wasmparser::Validator::new().validate_all(&bytes).unwrap();
    let (mut symbols, mut inits, mut relocs) = (0, 0, 0);
    for payload in Parser::new(0).parse_all(&bytes) {
        if let Payload::CustomSection(c) = payload.unwrap() {
            match c.as_known() {
                KnownCustom::Linking(l) => {
                    assert_eq!(l.version(), 2);
                    for sub in l.subsections() {
                        match sub.unwrap() {
                            Linking::SymbolTable(t) => symbols = t.into_iter().count(),
                            Linking::InitFuncs(i) => inits = i.into_iter().count(),
                            _ => {}
                        }
                    }
                }
                KnownCustom::Reloc(r) => {
                    assert_eq!(r.section_index(), 3);
                    for e in r.entries() {
                        let e = e.unwrap();
                        assert_eq!((e.offset, e.index), (4, 1));
                        relocs += 1;
                    }
                }
                _ => {}
            }
        }
    }
    assert_eq!((symbols, inits, relocs), (3, 1, 1));
}

#[test]
fn addends_only_where_the_type_has_one() {
    let mut r = RelocSection::new(5);
    r.entry(RelocType::MemoryAddrI32, 10, 2, -4);
    r.entry(RelocType::TableIndexI32, 20, 3, 99);
    assert_eq!(r.encode(), vec![5, 2, 5, 10, 2, 0x7c, 2, 20, 3]);
    for code in 0..27u8 {
        assert_eq!(RelocType::from_code(code).map(|t| t as u8), Some(code));
    }
    assert_eq!(RelocType::from_code(27), None);
}
