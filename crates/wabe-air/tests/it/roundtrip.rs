//! Print/parse round trips over the `.air` programs in `tests/it/roundtrip/` (and the
//! workspace's test programs): printing a parsed module and parsing the text again gives an
//! equal module, and printing that gives the same text.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use wabe_air::{parse, print, DeclKind, Form, Module, Ref, Tag, INFER, NO_NAME};
use wabe_types::{PathElem, TypeId, Value};

fn air_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "air"))
        .collect();
    files.sort();
    files
}

/// The round-trip corpus of this crate.
pub fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/roundtrip");
    let files = air_files(&dir);
    assert!(files.len() >= 5, "the round-trip corpus is missing");
    files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect()
}

fn ty(m: &Module, t: TypeId) -> String {
    if t == INFER {
        "infer".into()
    } else {
        let mut s = String::new();
        wabe_types::write_type(&m.types, t, &mut s, false).unwrap();
        s
    }
}

fn value(m: &Module, v: &Value) -> String {
    let n = |id| m.name_str(id).to_string();
    match v {
        Value::Aggregate(vs) => format!(
            "agg({})",
            vs.iter().map(|v| value(m, v)).collect::<Vec<_>>().join(",")
        ),
        Value::Fields(fs) => {
            format!(
                "fields({})",
                fs.iter()
                    .map(|(k, v)| format!("{}={}", n(*k), value(m, v)))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
        Value::EnumLiteral(x) => format!("enum({})", n(*x)),
        Value::Error(x) => format!("error({})", n(*x)),
        Value::DeclAddr(a) => {
            let path: Vec<String> = a
                .path
                .iter()
                .map(|p| match p {
                    PathElem::Index(i) => format!("[{i}]"),
                    PathElem::Field(f) => format!(".{}", n(*f)),
                })
                .collect();
            format!("@{}{}{:?}", n(a.decl), path.concat(), a.slice)
        }
        other => format!("{other:?}"),
    }
}

/// Everything about a module that must survive a round trip, with ids resolved to text.
pub fn dump(m: &Module) -> String {
    let mut s = String::new();
    let errors: Vec<&str> = m.types.error_names().map(|n| m.name_str(n)).collect();
    writeln!(s, "target {:?} errors {errors:?}", m.target).unwrap();
    for t in &m.type_items {
        writeln!(s, "type {} = {}", m.name_str(t.name), ty(m, t.ty)).unwrap();
    }
    for d in &m.decls {
        write!(s, "decl {} exported={} ", m.name_str(d.name), d.exported).unwrap();
        match &d.kind {
            DeclKind::Const(g) | DeclKind::Var(g) => {
                let kw = if matches!(d.kind, DeclKind::Var(_)) {
                    "var"
                } else {
                    "const"
                };
                writeln!(s, "{kw} {} = {}", ty(m, g.ty), value(m, &g.value)).unwrap();
            }
            DeclKind::Extern(e) => {
                let names: Vec<&str> = e
                    .param_names
                    .iter()
                    .map(|&n| if n == NO_NAME { "-" } else { m.name_str(n) })
                    .collect();
                writeln!(
                    s,
                    "extern {} from {} params {names:?}",
                    ty(m, e.ty),
                    e.module
                )
                .unwrap();
            }
            DeclKind::Fn(f) => {
                writeln!(s, "fn {}", ty(m, f.ty)).unwrap();
                let air = &f.air;
                for i in 0..air.len() {
                    let name = if air.names[i] == NO_NAME {
                        "-"
                    } else {
                        m.name_str(air.names[i])
                    };
                    let d = air.data[i];
                    writeln!(
                        s,
                        "  {i} {name} = {} {} {} : {}",
                        air.tags[i].name(),
                        d.a,
                        d.b,
                        ty(m, air.types[i])
                    )
                    .unwrap();
                }
                writeln!(s, "  main {} extra {:?}", air.main_body, air.extra).unwrap();
                for (i, c) in air.consts.iter().enumerate() {
                    writeln!(s, "  c{i} {} : {}", value(m, &c.value), ty(m, c.ty)).unwrap();
                }
            }
        }
    }
    s
}

/// Parses, prints, parses again and prints again; checks that both modules and both texts
/// agree. Returns the first print.
pub fn round_trip(name: &str, src: &str) -> String {
    let m1 = parse(src).unwrap_or_else(|e| panic!("{name}: {e}"));
    let p1 = print(&m1);
    let m2 =
        parse(&p1).unwrap_or_else(|e| panic!("{name}: the printed text does not parse: {e}\n{p1}"));
    let p2 = print(&m2);
    assert_eq!(p1, p2, "{name}: printing is not stable");
    let (d1, d2) = (dump(&m1), dump(&m2));
    if d1 != d2 {
        for (a, b) in d1.lines().zip(d2.lines()) {
            assert_eq!(a, b, "{name}: the reparsed module differs\n{p1}");
        }
        assert_eq!(
            d1.lines().count(),
            d2.lines().count(),
            "{name}: the reparsed module differs"
        );
    }
    p1
}

#[test]
fn corpus_round_trips() {
    for (name, src) in corpus() {
        round_trip(&name, &src);
    }
}

#[test]
fn workspace_programs_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut n = 0;
    for dir in ["tests/programs", "examples"] {
        for p in air_files(&root.join(dir)) {
            let src = std::fs::read_to_string(&p).unwrap();
            round_trip(&p.display().to_string(), &src);
            n += 1;
        }
    }
    // The workspace's programs are optional here; the corpus above is not.
    let _ = n;
}

#[test]
fn corpus_covers_every_instruction() {
    let mut seen = BTreeSet::new();
    let mut forms = BTreeSet::new();
    for (name, src) in corpus() {
        let m = parse(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
        for d in &m.decls {
            if let DeclKind::Fn(f) = &d.kind {
                for &t in &f.air.tags {
                    seen.insert(t.name());
                    forms.insert(format!("{:?}", t.form()));
                }
            }
        }
    }
    let missing: Vec<&str> = Tag::ALL
        .iter()
        .map(|t| t.name())
        .filter(|n| !seen.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "instructions missing from the corpus: {missing:?}"
    );
    assert!(forms.contains(&format!("{:?}", Form::SwitchBr)));
}

#[test]
fn printed_corpus_snapshot() {
    for (name, src) in corpus() {
        let printed = round_trip(&name, &src);
        insta::assert_snapshot!(format!("print_{}", name.trim_end_matches(".air")), printed);
    }
}

#[test]
fn parses_the_lib_example() {
    let m = parse("export fn add1(%x: u32) u32 {\n  %y = add %x, 1:u32\n  ret %y\n}\n").unwrap();
    assert_eq!(m.decls.len(), 1);
    let DeclKind::Fn(f) = &m.decls[0].kind else {
        panic!("not a fn")
    };
    let air = &f.air;
    assert_eq!(air.tags, vec![Tag::Arg, Tag::Add, Tag::Ret]);
    assert_eq!(air.main(), &[0, 1, 2]);
    assert_eq!(air.data[1].a, Ref::inst(0).0);
    let c = air.constant(Ref(air.data[1].b)).unwrap();
    assert_eq!(
        (c.ty, &c.value),
        (TypeId::U32, &Value::Int(wabe_types::Int::from_i128(1)))
    );
    assert_eq!(air.data[2].a, 1);
    assert_eq!(m.name_str(air.names[1]), "y");
    assert_eq!((air.spans[1].line, air.spans[1].col), (2, 3));
    assert_eq!((air.spans[0].line, air.spans[0].col), (1, 16));
}

#[test]
fn empty_input_is_an_empty_module() {
    for src in ["", "   \n", "// only a comment\n"] {
        let m = parse(src).unwrap();
        assert!(m.decls.is_empty() && m.type_items.is_empty());
        assert_eq!(print(&m), "");
    }
}

#[test]
fn verified_modules_round_trip() {
    // After the verifier has typed every instruction and constant, the printed text still
    // parses, and printing is stable.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources: Vec<(String, String)> = corpus();
    for dir in ["tests/programs", "examples"] {
        for p in air_files(&root.join(dir)) {
            sources.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    let mut verified = 0;
    for (name, src) in sources {
        let mut m = parse(&src).unwrap();
        if wabe_air::verify(&mut m).is_err() {
            continue;
        }
        verified += 1;
        let p1 = print(&m);
        let m2 = parse(&p1).unwrap_or_else(|e| panic!("{name}: {e}\n{p1}"));
        assert_eq!(
            p1,
            print(&m2),
            "{name}: printing a verified module is not stable"
        );
    }
    assert!(verified > 0);
}

#[test]
fn built_modules_round_trip() {
    use wabe_air::{Data, Decl, FuncBuilder, Function};
    use wabe_types::{CallConv, TypeKey};
    let mut m = Module::new(wabe_types::Target::Wasm32);
    let fn_ty = m
        .types
        .intern(TypeKey::Fn {
            params: [TypeId::U32].into(),
            ret: TypeId::U32,
            callconv: CallConv::Auto,
        })
        .unwrap();
    let x = m.name("x");
    let mut b = FuncBuilder::new();
    let arg = b.arg(0, TypeId::U32, x);
    let one = b.constant(TypeId::U32, Value::Int(wabe_types::Int::from_i128(1)));
    let sum = b.bin(Tag::Add, arg, one);
    let blk = b.begin_block(TypeId::U32);
    let lp = b.begin_loop();
    let c = b.bin(Tag::CmpLt, sum, arg);
    b.cond_br(c, |b| b.br(blk, sum), |b| b.repeat(lp));
    b.end_block(lp);
    b.end_block(blk);
    b.push(
        Tag::Ret,
        Data { a: blk.0, b: 0 },
        TypeId::NORETURN,
        wabe_air::NO_NAME,
    );
    let air = b.finish();
    let f = m.name("f");
    m.add_decl(Decl {
        name: f,
        exported: true,
        span: Default::default(),
        kind: DeclKind::Fn(Function { ty: fn_ty, air }),
    });
    // Unnamed instructions print as their index; the loop needs no label.
    let p1 = print(&m);
    assert_eq!(
        p1,
        "\nexport fn f(%x: u32) u32 {\n  %1 = add %x, 1:u32\n  %2 = block u32 {\n    loop {\n      %4 = cmp_lt %1, %x\n      cond_br %4 {\n        br %2, %1\n      } else {\n        repeat\n      }\n    }\n  }\n  ret %2\n}\n"
            .trim_start()
    );
    let m2 = parse(&p1).unwrap();
    assert_eq!(print(&m2), p1);
}
