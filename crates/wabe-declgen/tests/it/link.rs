//! `generate_decl` and `generate_constant`: what they ask of the linker, in which order.

use wabe_declgen::{generate_constant, generate_decl, Context};
use wabe_mir::SymbolIndex;
use wabe_types::{TypeId, Value};

use crate::{decl, module};

/// The calls made, in order.
#[derive(Debug, PartialEq, Eq)]
enum Call {
    Define(u32, Vec<u8>, u32, bool),
    Zeros(u32, u64, u32),
    Local(u32, Vec<u8>, u32, u32),
    Vaddr(u32, u32, u32, i64),
}

#[derive(Default)]
struct Recorder {
    calls: Vec<Call>,
    next: u32,
}

impl Context for Recorder {
    fn decl_symbol(&mut self, decl: wabe_air::DeclIndex) -> Option<SymbolIndex> {
        Some(SymbolIndex(decl.0))
    }
    fn define_data(
        &mut self,
        sym: SymbolIndex,
        bytes: Vec<u8>,
        align: u32,
        mutable: bool,
    ) -> Result<(), String> {
        self.calls.push(Call::Define(sym.0, bytes, align, mutable));
        Ok(())
    }
    fn define_zeros(&mut self, sym: SymbolIndex, size: u64, align: u32) -> Result<(), String> {
        self.calls.push(Call::Zeros(sym.0, size, align));
        Ok(())
    }
    fn add_local_data(
        &mut self,
        owner: SymbolIndex,
        bytes: Vec<u8>,
        align: u32,
    ) -> Result<SymbolIndex, String> {
        self.next += 1;
        let sym = 100 + self.next;
        self.calls.push(Call::Local(owner.0, bytes, align, sym));
        Ok(SymbolIndex(sym))
    }
    fn get_decl_vaddr(
        &mut self,
        src: SymbolIndex,
        target: SymbolIndex,
        offset: u32,
        addend: i64,
    ) -> Result<u64, String> {
        self.calls
            .push(Call::Vaddr(src.0, target.0, offset, addend));
        Ok(0)
    }
}

fn calls(src: &str, name: &str) -> Vec<Call> {
    let m = module(src);
    let mut r = Recorder::default();
    generate_decl(&m, decl(&m, name), &mut r).unwrap();
    r.calls
}

#[test]
fn data_is_defined_before_its_relocations() {
    let src = "
type N = extern struct { name: []const u8, alias: []const u8, next: ?*const N }
const a: N = .{ \"x\", \"x\", null }
const b: N = .{ \"y\", \"z\", @a }
";
    // `a` (decl 0): one local for both identical strings.
    assert_eq!(
        calls(src, "a"),
        [
            Call::Define(
                0,
                vec![0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
                4,
                false
            ),
            Call::Local(0, b"x".to_vec(), 1, 101),
            Call::Vaddr(0, 101, 0, 0),
            Call::Vaddr(0, 101, 8, 0),
        ]
    );
    let c = calls(src, "b");
    assert_eq!(
        c[1..],
        [
            Call::Local(1, b"y".to_vec(), 1, 101),
            Call::Local(1, b"z".to_vec(), 1, 102),
            Call::Vaddr(1, 101, 0, 0),
            Call::Vaddr(1, 102, 8, 0),
            Call::Vaddr(1, 0, 16, 0),
        ]
    );
}

#[test]
fn zero_vars_cost_nothing() {
    let src = "
var big: [4000000000]u8 = undef
var zeros: [4]u32 = .{ 0, 0, 0, 0 }
var some: [4]u32 = .{ 0, 1, 0, 0 }
const c: [2]u32 = .{ 0, 0 }
";
    // Not allocated: 4 GB would not fit here.
    assert_eq!(calls(src, "big"), [Call::Zeros(0, 4_000_000_000, 1)]);
    assert_eq!(calls(src, "zeros"), [Call::Zeros(1, 16, 4)]);
    assert!(matches!(
        calls(src, "some")[..],
        [Call::Define(2, _, 4, true)]
    ));
    // Read-only data is always written.
    assert_eq!(calls(src, "c"), [Call::Define(3, vec![0; 8], 4, false)]);
}

#[test]
fn huge_initialized_data_is_an_error() {
    let m = module("const big: [2000000000]u8 = undef\n");
    let err = generate_decl(&m, decl(&m, "big"), &mut Recorder::default()).unwrap_err();
    assert_eq!(err.name, "big");
    assert!(err.to_string().starts_with("`@big`: "), "{err}");
    assert!(err.message.contains("2000000000 bytes"), "{err}");
}

#[test]
fn constants_own_their_strings_created_first() {
    let m = module("type S = extern struct { s: []const u8, n: u32 }\n");
    let s = m.types.names.get("S").unwrap();
    let ty = m.type_items.iter().find(|t| t.name == s).unwrap().ty;
    let v = Value::Aggregate(
        vec![
            Value::Bytes(b"hi".to_vec().into()),
            Value::Int(wabe_types::Int::from_i128(7)),
        ]
        .into(),
    );
    let mut r = Recorder::default();
    let sym = generate_constant(&m, ty, &v, SymbolIndex(9), "main", &mut r).unwrap();
    assert_eq!(sym, SymbolIndex(102));
    assert_eq!(
        r.calls,
        [
            Call::Local(9, b"hi".to_vec(), 1, 101),
            Call::Local(9, vec![0, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0], 4, 102),
            Call::Vaddr(102, 101, 0, 0),
        ]
    );
    let err = generate_constant(
        &m,
        TypeId::U8,
        &Value::Bool(true),
        SymbolIndex(9),
        "main",
        &mut r,
    )
    .unwrap_err();
    assert_eq!(err.name, "main");
}
