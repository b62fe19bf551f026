//! Data through the driver: layout snapshots of the `data_*` programs, one test per linker
//! flag read back with wasmparser, zero-cost `.bss`, the name tables, bad input, and
//! incremental updates that must write exactly what a fresh build writes.

use wabe::{Compilation, Options};
use wabe_air::Module;
use wasmparser::{DataKind, ExternalKind, Operator, Parser, Payload, TypeRef};

use crate::{root, validate};

fn module(src: &str) -> Module {
    let mut m = wabe_air::parse(src).unwrap_or_else(|e| panic!("{e}"));
    wabe_air::verify(&mut m).unwrap_or_else(|e| panic!("{e}"));
    m
}

fn build(src: &str, options: &Options) -> Vec<u8> {
    let m = module(src);
    let wasm = Compilation::new(&m, options).unwrap().flush().unwrap();
    validate(&wasm);
    wasm
}

/// What a module holds, read back with wasmparser.
#[derive(Debug, Default)]
struct Summary {
    imports: Vec<(String, String, &'static str)>,
    memory: Option<wasmparser::MemoryType>,
    imported_memory: Option<wasmparser::MemoryType>,
    table: Option<wasmparser::TableType>,
    exports: Vec<(String, ExternalKind, u32)>,
    /// Initial values of the globals (global 0 is `__stack_pointer`).
    globals: Vec<i64>,
    /// Active data segments: address and bytes.
    data: Vec<(i64, Vec<u8>)>,
}

fn const_value(e: &wasmparser::ConstExpr<'_>) -> i64 {
    match e.get_operators_reader().read().unwrap() {
        Operator::I32Const { value } => value as i64,
        Operator::I64Const { value } => value,
        op => panic!("unexpected {op:?}"),
    }
}

fn summary(wasm: &[u8]) -> Summary {
    let mut s = Summary::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.unwrap();
                    let what = match imp.ty {
                        TypeRef::Func(_) => "func",
                        TypeRef::Memory(m) => {
                            s.imported_memory = Some(m);
                            "memory"
                        }
                        TypeRef::Table(_) => "table",
                        _ => "other",
                    };
                    s.imports.push((imp.module.into(), imp.name.into(), what));
                }
            }
            Payload::MemorySection(r) => s.memory = Some(r.into_iter().next().unwrap().unwrap()),
            Payload::TableSection(r) => s.table = Some(r.into_iter().next().unwrap().unwrap().ty),
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e.unwrap();
                    s.exports.push((e.name.into(), e.kind, e.index));
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    s.globals.push(const_value(&g.unwrap().init_expr));
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d.unwrap();
                    if let DataKind::Active { offset_expr, .. } = d.kind {
                        s.data.push((const_value(&offset_expr), d.data.to_vec()));
                    }
                }
            }
            _ => {}
        }
    }
    s
}

impl Summary {
    fn export(&self, name: &str) -> Option<(ExternalKind, u32)> {
        self.exports
            .iter()
            .find(|e| e.0 == name)
            .map(|e| (e.1, e.2))
    }

    /// The memory's `(initial, maximum)` pages, defined or imported.
    fn limits(&self) -> (u64, Option<u64>) {
        let m = self.memory.or(self.imported_memory).expect("a memory");
        (m.initial, m.maximum)
    }

    /// The 4 bytes at `addr` in the data segments.
    fn word(&self, addr: i64) -> u32 {
        for (start, bytes) in &self.data {
            if addr >= *start && addr + 4 <= start + bytes.len() as i64 {
                let at = (addr - start) as usize;
                return u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
            }
        }
        panic!("no data at {addr:#x}");
    }
}

// ---------------------------------------------------------------------------------------------
// Layout snapshots of the data programs.

fn layout_text(file: &str) -> String {
    let src = std::fs::read_to_string(root().join("tests/programs").join(file)).unwrap();
    let m = module(&src);
    let mut c = Compilation::new(&m, &Options::default()).unwrap();
    validate(&c.flush().unwrap());
    let mut out = String::new();
    for d in c.linker().data_layout() {
        let addr = d.address.map_or("-".to_string(), |a| format!("{a:#06x}"));
        out += &format!(
            "{addr} {:<8} {:<16} size {}\n",
            d.segment.name(),
            d.name,
            d.size
        );
        for (offset, kind, target, addend) in &d.relocs {
            out += &format!("    +{offset}: {kind:?} {target} + {addend}\n");
        }
    }
    let layout = c.linker().memory_layout().unwrap();
    out += &format!(
        "__data_end {:#x}, stack {:#x}..{:#x}, __heap_base {:#x}, {} pages\n",
        layout.data_end,
        layout.stack_low,
        layout.stack_high,
        layout.heap_base,
        layout.initial_pages
    );
    out
}

#[test]
fn data_layout_snapshots() {
    for file in [
        "data_linked_list.air",
        "data_fn_table.air",
        "data_slices.air",
        "data_big_table.air",
    ] {
        let name = file.trim_end_matches(".air");
        insta::with_settings!({ snapshot_suffix => name }, {
            insta::assert_snapshot!("layout", layout_text(file));
        });
    }
}

#[test]
fn element_pointer_is_an_addend_not_a_copy() {
    let src = std::fs::read_to_string(root().join("tests/programs/data_big_table.air")).unwrap();
    let wasm = build(&src, &Options::default());
    let s = summary(&wasm);
    // .rodata starts at 1024 with the 4000-byte table; p77 follows at 5024 and holds
    // 1024 + 77 * 4; tail at 5028 is { 1024 + 990 * 4, 10 }.
    assert_eq!(s.word(1024 + 77 * 4), 232);
    assert_eq!(s.word(5024), 1024 + 77 * 4);
    assert_eq!((s.word(5028), s.word(5032)), (1024 + 990 * 4, 10));
    // Only one copy of the table: the rodata segment is 4000 + 4 + 8 bytes.
    assert_eq!(s.data[0], (1024, s.data[0].1.clone()));
    assert_eq!(s.data[0].1.len(), 4012);
}

// ---------------------------------------------------------------------------------------------
// Zero-cost .bss.

#[test]
fn two_mib_of_zero_vars_make_a_tiny_module() {
    let src = "
type Buf = struct { len: u32, bytes: [1048576]u8 }
var big: [1048576]u8 = undef
var buf: Buf = .{ .len = 0, .bytes = undef }
var counter: u32 = 0
export fn touch(%i: usize, %v: u8) u8 {
  %p = ptr_elem_ptr @big, %i
  store %p, %v
  %r = ptr_elem_val @big, %i
  ret %r
}
";
    // `buf` and `counter` are unreferenced: keep them (no garbage collection).
    let mut o = Options::default();
    o.link.gc_sections = false;
    let wasm = build(src, &o);
    assert!(wasm.len() < 2048, "module is {} bytes", wasm.len());
    let s = summary(&wasm);
    assert!(
        s.data.is_empty(),
        "no data segment is written: {:?}",
        s.data.len()
    );
    // .bss from 1024: big (1 MiB), buf (4 + 1 MiB), counter; then the 1 MiB stack.
    let data_end = 1024 + 1048576 + (4 + 1048576) + 4;
    let stack_high = (data_end + 15) / 16 * 16 + 1048576;
    assert_eq!(s.globals[0], stack_high);
    assert_eq!(s.limits(), ((stack_high as u64).div_ceil(65536), None));
    let out =
        wabe::run::invoke(&m_of(src), &wasm, "touch", &["1000000".into(), "7".into()]).unwrap();
    assert_eq!(out.values, ["7"]);
}

fn m_of(src: &str) -> Module {
    module(src)
}

#[test]
fn zero_var_with_imported_memory_is_written() {
    let src = "var z: [16]u8 = undef\nexport fn f() u32 {\n  ret 0:u32\n}\n";
    let mut o = Options::default();
    o.link.import_memory = true;
    o.link.export_memory = false;
    o.link.gc_sections = false;
    let s = summary(&build(src, &o));
    assert_eq!(s.data, [(1024, vec![0; 16])]);
}

// ---------------------------------------------------------------------------------------------
// One test per linker flag.

/// `const c` and `const fns` (.rodata at 1024 and 1032), `var v` (.data at 1036), functions.
const FLAGS_SRC: &str = "
extern fn print_u32(%x: u32) void
const c: [8]u8 = \"abcdefgh\"
var v: u32 = 1
export fn main() u32 {
  %x = load @v
  ret %x
}
fn helper() void {
  ret
}
const fns: [1]*const fn () void = .{ @helper }
";

/// Without garbage collection: `c`, `helper` and `fns` are unreferenced.
fn flags(f: impl FnOnce(&mut wabe_link::LinkOptions)) -> Summary {
    let mut o = Options::default();
    o.link.gc_sections = false;
    f(&mut o.link);
    summary(&build(FLAGS_SRC, &o))
}

/// `__data_end`: v ends at 1040, which is 16-aligned, so the stack starts there.
const DATA_END: i64 = 1040;

#[test]
fn flag_defaults() {
    let s = flags(|_| {});
    assert_eq!(s.globals[0], DATA_END + 1048576);
    assert_eq!(s.limits(), (17, None));
    assert_eq!(s.export("memory"), Some((ExternalKind::Memory, 0)));
    assert_eq!(s.export("main").map(|e| e.0), Some(ExternalKind::Func));
    // The unreferenced import is left out; the function table has slot 0 empty and helper at 1.
    assert!(s.imports.is_empty());
    assert_eq!(s.table.unwrap().initial, 2);
    assert_eq!(s.word(1036), 1);
}

#[test]
fn flag_stack_size() {
    let s = flags(|l| l.stack_size = 65536);
    assert_eq!(s.globals[0], DATA_END + 65536);
    assert_eq!(s.limits(), (2, None));
}

#[test]
fn flag_stack_first() {
    let s = flags(|l| l.stack_first = true);
    // The stack is [0, 1 MiB); data follows.
    assert_eq!(s.globals[0], 1048576);
    assert_eq!(s.data[0].0, 1048576);
}

#[test]
fn flag_global_base() {
    let s = flags(|l| l.global_base = Some(4096));
    assert_eq!(s.data[0].0, 4096);
    assert_eq!(s.globals[0], 4096 + 16 + 1048576);
}

#[test]
fn flag_initial_and_max_memory() {
    let s = flags(|l| {
        l.initial_memory = Some(32 * 65536);
        l.max_memory = Some(64 * 65536);
    });
    assert_eq!(s.limits(), (32, Some(64)));
}

#[test]
fn flag_import_memory() {
    let s = flags(|l| {
        l.import_memory = true;
        l.export_memory = false;
    });
    assert!(s.memory.is_none());
    assert_eq!(s.imports, [("env".into(), "memory".into(), "memory")]);
    assert_eq!(s.export("memory"), None);
}

#[test]
fn flag_no_export_memory() {
    let s = flags(|l| l.export_memory = false);
    assert!(s.memory.is_some());
    assert_eq!(s.export("memory"), None);
}

#[test]
fn flag_import_and_export_table() {
    let s = flags(|l| l.import_table = true);
    assert_eq!(
        s.imports,
        [("env".into(), "__indirect_function_table".into(), "table")]
    );
    assert!(s.table.is_none());
    let s = flags(|l| l.export_table = true);
    assert_eq!(
        s.export("__indirect_function_table"),
        Some((ExternalKind::Table, 0))
    );
}

#[test]
fn flag_export() {
    let s = flags(|l| l.exports = vec!["helper".into(), "c".into(), "__heap_base".into()]);
    assert_eq!(s.export("helper").map(|e| e.0), Some(ExternalKind::Func));
    // Data exports are globals holding the address.
    let (kind, g) = s.export("c").unwrap();
    assert_eq!((kind, s.globals[g as usize]), (ExternalKind::Global, 1024));
    let (_, g) = s.export("__heap_base").unwrap();
    assert_eq!(s.globals[g as usize], DATA_END + 1048576);
}

#[test]
fn flag_entry_and_no_entry() {
    let s = flags(|l| l.entry = Some("helper".into()));
    assert!(s.export("helper").is_some());
    let s = flags(|l| {
        l.entry = Some("helper".into());
        l.no_entry = true;
    });
    assert!(s.export("helper").is_none());
}

#[test]
fn flag_allow_undefined() {
    // An `extern fn` is always an import from its module; `--allow-undefined` concerns
    // functions declared but defined nowhere (the linker's tests cover those).
    let src = "extern fn missing() void from \"other\"\nexport fn f() void {\n  call @missing()\n  ret\n}\n";
    for allow in [false, true] {
        let s = summary(&build(src, &{
            let mut o = Options::default();
            o.link.allow_undefined = allow;
            o
        }));
        assert_eq!(s.imports, [("other".into(), "missing".into(), "func")]);
    }
}

#[test]
fn exported_data_is_a_global_with_its_address() {
    let src = "export const version: u32 = 3\nexport var state: u32 = 9\n";
    let s = summary(&build(src, &Options::default()));
    let (kind, g) = s.export("version").unwrap();
    assert_eq!(kind, ExternalKind::Global);
    assert_eq!(s.word(s.globals[g as usize]), 3);
    let (_, g) = s.export("state").unwrap();
    assert_eq!(s.word(s.globals[g as usize]), 9);
}

#[test]
fn wasm64_data() {
    let src = "target wasm64\nconst t: [2]u64 = .{ 5, 6 }\nconst p: *const u64 = @t[1]\nexport fn f() u64 {\n  %q = load @p\n  %v = load %q\n  ret %v\n}\n";
    let m = module(src);
    let wasm = Compilation::new(&m, &Options::default())
        .unwrap()
        .flush()
        .unwrap();
    validate(&wasm);
    let s = summary(&wasm);
    // p (8 bytes, MEMORY_ADDR_I64) holds 1024 + 8.
    assert_eq!(&s.data[0].1[16..24], &1032u64.to_le_bytes());
    let out = wabe::run::invoke(&m, &wasm, "f", &[]).unwrap();
    assert_eq!(out.values, ["6"]);
}

// ---------------------------------------------------------------------------------------------
// Anonymous constants.

#[test]
fn identical_strings_are_stored_once() {
    let src = "
const a: []const u8 = \"shared\"
const b: []const u8 = \"shared\"
export fn la() usize {
  %s = load @a
  %l = slice_len %s
  ret %l
}
export fn lb() usize {
  %s = load @b
  %l = slice_len %s
  ret %l
}
";
    let m = module(src);
    let mut c = Compilation::new(&m, &Options::default()).unwrap();
    c.flush().unwrap();
    let layout = c.linker().data_layout();
    let addr = |n: &str| layout.iter().find(|d| d.name == n).unwrap().address;
    assert_eq!(addr("a#0"), addr("b#0"));
    assert_ne!(addr("a"), addr("b"));
}

// ---------------------------------------------------------------------------------------------
// Bad input.

fn link_error(src: &str, options: &Options) -> String {
    let m = module(src);
    match Compilation::new(&m, options).and_then(|mut c| c.flush()) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn undefined_symbol_is_named() {
    let mut o = Options::default();
    o.link.exports = vec!["nothing".into()];
    let e = link_error("const c: u32 = 1\n", &o);
    assert!(e.contains("`nothing`"), "{e}");
}

#[test]
fn duplicate_export_is_named() {
    let mut o = Options::default();
    o.link.exports = vec!["memory".into()];
    let e = link_error("export const memory: u32 = 1\n", &o);
    assert!(e.contains("duplicate export `memory`"), "{e}");
}

#[test]
fn data_larger_than_memory_is_named() {
    let mut o = Options::default();
    o.link.max_memory = Some(2 * 65536);
    let e = link_error("export var big: [200000]u8 = undef\n", &o);
    assert!(e.contains("`big`") && e.contains("does not fit"), "{e}");
    let e = link_error(
        "export var a: [3000000000]u8 = undef\nexport var b: [3000000000]u8 = undef\n",
        &Options::default(),
    );
    assert!(e.contains("`b`"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Incremental updates.

#[test]
fn removing_a_referenced_declaration_is_an_error() {
    let src = "const a: u32 = 1\nconst p: *const u32 = @a\nconst q: u32 = 2\n";
    let m = module(src);
    let mut c = Compilation::new(&m, &Options::default()).unwrap();
    let e = c.remove_decl("a").unwrap_err().to_string();
    assert!(e.contains("`@a`") && e.contains("`@p`"), "{e}");
    c.remove_decl("q").unwrap();
    let inc = c.flush().unwrap();
    let fresh = build(
        "const a: u32 = 1\nconst p: *const u32 = @a\n",
        &Options::default(),
    );
    assert_eq!(inc, fresh);
}

/// A tiny deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One declaration of the random program.
#[derive(Clone, Debug)]
enum Item {
    Const {
        name: String,
        value: u32,
    },
    Str {
        name: String,
        text: String,
    },
    Table {
        name: String,
        values: Vec<u32>,
    },
    Ptr {
        name: String,
        table: String,
        index: usize,
    },
    Var {
        name: String,
        value: u32,
    },
    Func {
        name: String,
        reads: String,
        add: u32,
        exported: bool,
        text: String,
    },
    FnTable {
        name: String,
        fns: Vec<String>,
    },
    /// A function on 128-bit integers, which calls wabe's helper functions: `op` picks
    /// `mul_wrap` (`__wabe_mul128`, `__wabe_umulh`), `div_trunc` (`__wabe_udivmod128`),
    /// signed `div_trunc` (`__wabe_sdivmod128`, which calls `__wabe_udivmod128`), or a plain
    /// `add_wrap` (no helper).
    Wide {
        name: String,
        op: usize,
        exported: bool,
    },
}

/// The helper functions the `Wide` items may use.
const HELPERS: [&str; 4] = [
    "__wabe_mul128",
    "__wabe_umulh",
    "__wabe_udivmod128",
    "__wabe_sdivmod128",
];

impl Item {
    fn name(&self) -> &str {
        match self {
            Item::Const { name, .. }
            | Item::Str { name, .. }
            | Item::Table { name, .. }
            | Item::Ptr { name, .. }
            | Item::Var { name, .. }
            | Item::Func { name, .. }
            | Item::FnTable { name, .. }
            | Item::Wide { name, .. } => name,
        }
    }

    fn refs(&self) -> Vec<&str> {
        match self {
            Item::Ptr { table, .. } => vec![table],
            Item::Func { reads, .. } => vec![reads],
            Item::FnTable { fns, .. } => fns.iter().map(String::as_str).collect(),
            _ => vec![],
        }
    }

    fn text(&self) -> String {
        match self {
            Item::Const { name, value } => format!("const {name}: u32 = {value}\n"),
            Item::Str { name, text } => format!("const {name}: []const u8 = \"{text}\"\n"),
            Item::Table { name, values } => {
                let v: Vec<String> = values.iter().map(u32::to_string).collect();
                format!("const {name}: [{}]u32 = .{{ {} }}\n", values.len(), v.join(", "))
            }
            Item::Ptr { name, table, index } => {
                format!("const {name}: *const u32 = @{table}[{index}]\n")
            }
            Item::Var { name, value } => format!("var {name}: u32 = {value}\n"),
            Item::Func { name, reads, add, exported, text } => format!(
                "{}fn {name}() u32 {{\n  %x = load @{reads}\n  %y = add_wrap %x, {add}:u32\n  %s = slice_len \"{text}\":[]const u8\n  %l = intcast u32, %s\n  %r = add_wrap %y, %l\n  ret %r\n}}\n",
                if *exported { "export " } else { "" }
            ),
            Item::FnTable { name, fns } => format!(
                "const {name}: [{}]*const fn () u32 = .{{ {} }}\n",
                fns.len(),
                fns.iter().map(|f| format!("@{f}")).collect::<Vec<_>>().join(", ")
            ),
            Item::Wide { name, op, exported } => {
                let (ty, inst) = [
                    ("u128", "mul_wrap"),
                    ("u128", "div_trunc"),
                    ("i128", "div_trunc"),
                    ("u128", "add_wrap"),
                ][*op];
                format!(
                    "{}fn {name}(%a: u64, %b: u64) u64 {{\n  %x = intcast {ty}, %a\n  %y = intcast {ty}, %b\n  %r = {inst} %x, %y\n  %t = trunc u64, %r\n  ret %t\n}}\n",
                    if *exported { "export " } else { "" }
                )
            }
        }
    }
}

fn program(items: &[Item]) -> String {
    items.iter().map(Item::text).collect()
}

/// A u32-valued declaration (`const`, `var`) to read.
fn readable(items: &[Item], rng: &mut Rng) -> Option<String> {
    let r: Vec<&Item> = items
        .iter()
        .filter(|i| matches!(i, Item::Const { .. } | Item::Var { .. }))
        .collect();
    (!r.is_empty()).then(|| r[rng.below(r.len())].name().to_string())
}

fn random_item(items: &[Item], rng: &mut Rng, fresh: &mut u32) -> Item {
    *fresh += 1;
    let name = format!("d{fresh}");
    let words = ["a", "hello", "wabe", "", "data"];
    let tables: Vec<&Item> = items
        .iter()
        .filter(|i| matches!(i, Item::Table { .. }))
        .collect();
    let fns: Vec<&Item> = items
        .iter()
        .filter(|i| matches!(i, Item::Func { .. }))
        .collect();
    match rng.below(8) {
        0 => Item::Str {
            name,
            text: words[rng.below(words.len())].into(),
        },
        1 => Item::Table {
            name,
            values: (0..1 + rng.below(6))
                .map(|_| rng.below(1000) as u32)
                .collect(),
        },
        2 if !tables.is_empty() => {
            let t = tables[rng.below(tables.len())];
            let Item::Table { values, .. } = t else {
                unreachable!()
            };
            Item::Ptr {
                name,
                table: t.name().into(),
                index: rng.below(values.len()),
            }
        }
        3 => Item::Var {
            name,
            value: if rng.below(2) == 0 {
                0
            } else {
                rng.below(100) as u32
            },
        },
        4 if readable(items, rng).is_some() => Item::Func {
            name,
            reads: readable(items, rng).unwrap(),
            add: rng.below(50) as u32,
            exported: rng.below(2) == 0,
            text: words[rng.below(words.len())].into(),
        },
        5 if !fns.is_empty() => Item::FnTable {
            name,
            fns: (0..1 + rng.below(3))
                .map(|_| fns[rng.below(fns.len())].name().to_string())
                .collect(),
        },
        6 => Item::Wide {
            name,
            op: rng.below(4),
            exported: rng.below(3) != 0,
        },
        _ => Item::Const {
            name,
            value: rng.below(1 << 20) as u32,
        },
    }
}

/// Applies one random edit; returns the names of changed (kept) declarations.
fn edit(items: &mut Vec<Item>, rng: &mut Rng, fresh: &mut u32) -> Vec<String> {
    let words = ["a", "hello", "wabe", "", "data"];
    loop {
        let i = rng.below(items.len().max(1));
        let wide: Vec<usize> = (0..items.len())
            .filter(|&k| matches!(items[k], Item::Wide { .. }))
            .collect();
        match rng.below(8) {
            // Add, remove or change a function on 128-bit integers (so the helpers it needs
            // come and go).
            6 | 7 if wide.is_empty() || (wide.len() < 2 && rng.below(3) == 0) => {
                *fresh += 1;
                let item = Item::Wide {
                    name: format!("d{fresh}"),
                    op: rng.below(4),
                    exported: rng.below(3) != 0,
                };
                items.insert(rng.below(items.len() + 1), item);
                return vec![];
            }
            6 | 7 => {
                let k = wide[rng.below(wide.len())];
                if wide.len() >= 2 && rng.below(2) == 0 {
                    items.remove(k);
                    return vec![];
                }
                let Item::Wide { op, .. } = &mut items[k] else {
                    unreachable!()
                };
                *op = (*op + 1 + rng.below(3)) % 4;
                return vec![items[k].name().to_string()];
            }
            // Add a declaration anywhere.
            0 | 1 => {
                let item = random_item(items, rng, fresh);
                items.insert(rng.below(items.len() + 1), item);
                return vec![];
            }
            // Remove a declaration nobody refers to.
            2 if !items.is_empty() => {
                let name = items[i].name().to_string();
                if items.iter().any(|it| it.refs().contains(&name.as_str())) {
                    continue;
                }
                items.remove(i);
                return vec![];
            }
            // Change a declaration in place.
            _ if !items.is_empty() => {
                let changed = items[i].name().to_string();
                let readable_name = readable(items, rng);
                match &mut items[i] {
                    Item::Const { value, .. } => *value = rng.below(1 << 20) as u32,
                    Item::Str { text, .. } => *text = words[rng.below(words.len())].into(),
                    Item::Table { values, .. } => {
                        let k = rng.below(values.len());
                        values[k] = rng.below(1000) as u32;
                    }
                    Item::Ptr { .. } => continue,
                    Item::Var { value, .. } => {
                        *value = if *value == 0 {
                            1 + rng.below(9) as u32
                        } else {
                            0
                        }
                    }
                    Item::Func {
                        add,
                        exported,
                        text,
                        reads,
                        ..
                    } => match rng.below(4) {
                        0 => *exported = !*exported,
                        1 => *text = words[rng.below(words.len())].into(),
                        2 => *reads = readable_name.unwrap_or(reads.clone()),
                        _ => *add = rng.below(50) as u32,
                    },
                    Item::FnTable { fns, .. } => fns.reverse(),
                    Item::Wide { op, exported, .. } => match rng.below(3) {
                        0 => *exported = !*exported,
                        _ => *op = (*op + 1 + rng.below(3)) % 4,
                    },
                }
                return vec![changed];
            }
            _ => continue,
        }
    }
}

/// The helper functions a compilation holds.
fn helpers_of(c: &Compilation<'_>) -> Vec<&'static str> {
    HELPERS
        .into_iter()
        .filter(|h| c.linker().symbol_by_name(h).is_some())
        .collect()
}

/// Random edits (adding, removing and changing data, functions, function tables, and functions
/// that need helper functions); after each, the incremental flush must equal a fresh build's,
/// byte for byte, and hold the same helpers. Returns how often the set of helpers changed.
fn random_edits(options: &Options, seed: u64, steps: usize, object: bool) -> usize {
    let mut rng = Rng(seed);
    let mut fresh_name = 0;
    let mut items = Vec::new();
    for _ in 0..12 {
        let item = random_item(&items, &mut rng, &mut fresh_name);
        items.push(item);
    }
    let flush = |c: &mut Compilation<'_>| {
        if object {
            c.flush_object().unwrap()
        } else {
            c.flush().unwrap()
        }
    };
    let first = module(&program(&items));
    let mut c = Compilation::new(&first, options).unwrap();
    let mut fresh = Compilation::new(&first, options).unwrap();
    assert_eq!(flush(&mut c), flush(&mut fresh));
    let mut helpers = helpers_of(&c);
    let mut helper_changes = 0;
    for step in 0..steps {
        let changed = edit(&mut items, &mut rng, &mut fresh_name);
        let src = program(&items);
        let m = module(&src);
        let refs: Vec<&str> = changed.iter().map(String::as_str).collect();
        c.update(m.clone(), &refs)
            .unwrap_or_else(|e| panic!("step {step}: {e}\n{src}"));
        let incremental = flush(&mut c);
        let mut fresh = Compilation::new(&m, options).unwrap();
        let expected = flush(&mut fresh);
        if !object {
            validate(&incremental);
        }
        assert!(
            incremental == expected,
            "step {step}: incremental output differs from a fresh build of\n{src}"
        );
        let now = helpers_of(&c);
        assert_eq!(now, helpers_of(&fresh), "step {step}: helpers of\n{src}");
        if now != helpers {
            helper_changes += 1;
            helpers = now;
        }
    }
    eprintln!("{helper_changes} of {steps} edits changed the helpers");
    helper_changes
}

#[test]
fn incremental_updates_match_fresh_builds() {
    let changes = random_edits(&Options::default(), 0x9e3779b97f4a7c15, 40, false);
    assert!(changes >= 4, "only {changes} edits changed the helpers");
}

#[test]
fn incremental_updates_match_fresh_builds_without_gc() {
    // Without garbage collection every function and helper the linker holds is written, so a
    // helper left behind by an update would show.
    let mut options = Options::default();
    options.link.gc_sections = false;
    let changes = random_edits(&options, 0x2545f4914f6cdd1d, 30, false);
    assert!(changes >= 4, "only {changes} edits changed the helpers");
}

#[test]
fn incremental_objects_match_fresh_objects() {
    let changes = random_edits(&Options::default(), 0x853c49e6748fea9b, 25, true);
    assert!(changes >= 3, "only {changes} edits changed the helpers");
}

#[test]
fn helpers_follow_their_users() {
    // Helpers come after every declaration, ordered by name, whichever function needed one
    // first; a helper nothing calls any more is freed.
    let div = "export fn d(%a: u128, %b: u128) u128 {\n  %r = div_trunc %a, %b\n  ret %r\n}\n";
    let mul = "export fn m(%a: u128, %b: u128) u128 {\n  %r = mul_wrap %a, %b\n  ret %r\n}\n";
    let v1 = module(&format!("{div}{mul}"));
    let mut c = Compilation::new(&v1, &Options::default()).unwrap();
    let names = |wasm: &[u8]| -> Vec<String> {
        let mut out = Vec::new();
        for p in Parser::new(0).parse_all(wasm) {
            if let Payload::CustomSection(r) = p.unwrap() {
                if let wasmparser::KnownCustom::Name(n) = r.as_known() {
                    for n in n {
                        if let wasmparser::Name::Function(m) = n.unwrap() {
                            out.extend(m.into_iter().map(|x| x.unwrap().name.to_string()));
                        }
                    }
                }
            }
        }
        out
    };
    let all = [
        "d",
        "m",
        "__wabe_mul128",
        "__wabe_udivmod128",
        "__wabe_umulh",
    ];
    assert_eq!(names(&c.flush().unwrap()), all);
    // Reversed: the same helper order.
    let v2 = module(&format!("{mul}{div}"));
    c.update(v2.clone(), &[]).unwrap();
    let wasm = c.flush().unwrap();
    assert_eq!(
        names(&wasm),
        [
            "m",
            "d",
            "__wabe_mul128",
            "__wabe_udivmod128",
            "__wabe_umulh"
        ]
    );
    assert_eq!(wasm, build(&format!("{mul}{div}"), &Options::default()));
    // `m` no longer multiplies: `__wabe_mul128` and `__wabe_umulh` are freed.
    let add = mul.replace("mul_wrap", "add_wrap");
    c.update(module(&format!("{add}{div}")), &["m"]).unwrap();
    let wasm = c.flush().unwrap();
    assert_eq!(names(&wasm), ["m", "d", "__wabe_udivmod128"]);
    assert_eq!(c.linker().symbol_by_name("__wabe_mul128"), None);
    assert_eq!(c.linker().symbol_by_name("__wabe_umulh"), None);
    // Removing `d` frees the last one.
    c.remove_decl("d").unwrap();
    assert_eq!(names(&c.flush().unwrap()), ["m"]);
    assert_eq!(c.linker().symbol_by_name("__wabe_udivmod128"), None);
}

#[test]
fn update_reuses_untouched_declarations() {
    let v1 = "const a: u32 = 1\nconst b: [2]u32 = .{ 1, 2 }\nexport fn f() u32 {\n  %x = load @a\n  ret %x\n}\n";
    let v2 = "const a: u32 = 7\nconst b: [2]u32 = .{ 1, 2 }\nexport fn f() u32 {\n  %x = load @a\n  ret %x\n}\n";
    let m1 = module(v1);
    let mut c = Compilation::new(&m1, &Options::default()).unwrap();
    c.flush().unwrap();
    let (a, b, f) = (c.decl_symbol("a"), c.decl_symbol("b"), c.decl_symbol("f"));
    let atom_b = c.linker().atom_of(b.unwrap());
    let body_f = c.linker().function_body(f.unwrap()).cloned();
    c.update(module(v2), &["a"]).unwrap();
    let wasm = c.flush().unwrap();
    // Same symbols, same atoms, the function's code untouched.
    assert_eq!(
        (c.decl_symbol("a"), c.decl_symbol("b"), c.decl_symbol("f")),
        (a, b, f)
    );
    assert_eq!(c.linker().atom_of(b.unwrap()), atom_b);
    assert_eq!(c.linker().function_body(f.unwrap()).cloned(), body_f);
    let out = wabe::run::invoke(c.module(), &wasm, "f", &[]).unwrap();
    assert_eq!(out.values, ["7"]);
}
