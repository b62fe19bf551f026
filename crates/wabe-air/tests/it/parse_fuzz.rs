//! The parser never panics or hangs, whatever the input; and whatever it accepts, the printer
//! writes back so that it parses to the same module.

use crate::roundtrip::{corpus, dump};
use proptest::prelude::*;
use wabe_air::{parse, print};

/// Parses `src`; when it parses, checks the print/parse round trip too.
fn check(src: &str) {
    if let Ok(m) = parse(src) {
        let p1 = print(&m);
        let m2 = parse(&p1).unwrap_or_else(|e| {
            panic!("printed text does not parse: {e}\n--- input\n{src}\n--- printed\n{p1}")
        });
        let p2 = print(&m2);
        assert_eq!(p1, p2, "printing is not stable\n--- input\n{src}");
        assert_eq!(
            dump(&m),
            dump(&m2),
            "the reparsed module differs\n--- input\n{src}\n--- printed\n{p1}"
        );
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "=>",
    "...",
    "..",
    ".",
    "!",
    "?",
    "*",
    "-",
    "\n",
    "%x",
    "%0",
    "%1",
    "@f",
    "@table",
    "u32",
    "i8",
    "u0",
    "f16",
    "f80",
    "void",
    "noreturn",
    "bool",
    "struct",
    "enum",
    "union",
    "error",
    "fn",
    "const",
    "var",
    "type",
    "extern",
    "export",
    "target",
    "block",
    "loop",
    "br",
    "repeat",
    "ret",
    "cond_br",
    "else",
    "switch_br",
    "call",
    "alloc",
    "add",
    "1",
    "-1",
    "0x",
    "1.5",
    "1e400",
    "nan",
    "inf",
    "'a'",
    "\"s\"",
    "\"\\x",
    "null",
    "undef",
    "true",
    ".{",
    ".x",
    "error.E",
    "//",
    "'",
    "\"",
    "\\",
    "u65536",
    "99999999999999999999999",
];

fn mutate(rng: &mut Rng, src: &str) -> String {
    let mut s: Vec<u8> = src.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(s.len() + 1);
        match rng.below(5) {
            0 => {
                let end = (at + 1 + rng.below(8)).min(s.len());
                s.drain(at.min(end)..end);
            }
            1 => {
                let p = PIECES[rng.below(PIECES.len())];
                s.splice(at..at, p.bytes());
            }
            2 => {
                let end = (at + 1 + rng.below(40)).min(s.len());
                let chunk: Vec<u8> = s[at.min(end)..end].to_vec();
                let to = rng.below(s.len() + 1);
                s.splice(to..to, chunk);
            }
            3 => {
                if at < s.len() {
                    s[at] = rng.next() as u8;
                }
            }
            _ => {
                let end = (at + rng.below(20)).min(s.len());
                let p = PIECES[rng.below(PIECES.len())];
                s.splice(at.min(end)..end, p.bytes());
            }
        }
    }
    String::from_utf8_lossy(&s).into_owned()
}

#[test]
fn mutated_corpus() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (_, src) in corpus() {
        for _ in 0..400 {
            check(&mutate(&mut rng, &src));
        }
    }
}

#[test]
fn pathological_inputs() {
    let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    let inputs = [
        String::new(),
        "\0".into(),
        "fn".into(),
        "fn f(".into(),
        "type A = A".into(),
        "type A = B\ntype B = A\n".into(),
        "type A = struct { a: A }".into(),
        format!("const x: {}u8 = 0", "*".repeat(100_000)),
        format!("const x: u8 = {}", deep(".{", "}", 100_000)),
        format!("fn f() void {}", deep("{", "}", 100_000)),
        format!("fn f() void {{ {} }}", "loop {\n".repeat(100_000)),
        format!("const x: u65535 = {}", "9".repeat(100_000)),
        format!("const x: u8 = 0b{}", "1".repeat(70_000)),
        format!("const x: [{}]u8 = undef", "9".repeat(50)),
        "const x: [4294967296]u64 = undef\nconst y: [4294967296][4294967296]u64 = undef".into(),
        "\"".repeat(1000),
        "'".into(),
        "'\\u{".into(),
        "%".into(),
        "@".into(),
        "fn f() void {\n  %a = block void {\n".into(),
        "const s: [1]u8 = \"\\u{D800}\"".into(),
    ];
    for src in &inputs {
        check(src);
    }
}

/// Writes random valid programs: random types, constants of those types in every form, and
/// instructions using them, so that the round trip is checked on much more than the corpus.
struct Gen {
    rng: Rng,
    out: String,
    errors: Vec<&'static str>,
}

/// A generated type: its text and enough structure to write values of it.
#[derive(Clone)]
enum GTy {
    Int(bool, u32),
    Usize,
    Float(u32),
    Bool,
    Ptr(String),
    Array(u64, Box<GTy>, String),
    Optional(Box<GTy>, String),
    ErrUnion(Vec<&'static str>, Box<GTy>, String),
    Struct(Vec<(String, GTy)>, String),
    Enum(Vec<String>, String),
    Union(Vec<(String, GTy)>, String),
}

impl GTy {
    fn text(&self) -> String {
        match self {
            GTy::Int(s, b) => format!("{}{b}", if *s { 'i' } else { 'u' }),
            GTy::Usize => "usize".into(),
            GTy::Float(b) => format!("f{b}"),
            GTy::Bool => "bool".into(),
            GTy::Ptr(t)
            | GTy::Array(_, _, t)
            | GTy::Optional(_, t)
            | GTy::ErrUnion(_, _, t)
            | GTy::Struct(_, t)
            | GTy::Enum(_, t)
            | GTy::Union(_, t) => t.clone(),
        }
    }
}

impl Gen {
    fn ty(&mut self, depth: u32) -> GTy {
        let leaf = depth == 0 || self.rng.below(3) == 0;
        let pick = if leaf {
            self.rng.below(4)
        } else {
            self.rng.below(11)
        };
        match pick {
            0 => {
                let signed = self.rng.below(2) == 0;
                let bits = [1, 7, 8, 16, 31, 32, 33, 64, 65, 128, 200][self.rng.below(11)];
                GTy::Int(signed, bits)
            }
            1 => GTy::Float([16, 32, 64, 80, 128][self.rng.below(5)]),
            2 => GTy::Bool,
            3 => GTy::Usize,
            4 => {
                let kind = ["*", "*const ", "[*]", "[*]const ", "[*c]", "[]", "[]const "]
                    [self.rng.below(7)];
                let child = self.ty(depth - 1).text();
                GTy::Ptr(format!("{kind}{child}"))
            }
            5 => {
                let n = self.rng.below(4) as u64;
                let e = self.ty(depth - 1);
                let t = format!("[{n}]{}", e.text());
                GTy::Array(n, Box::new(e), t)
            }
            6 => {
                let c = self.ty(depth - 1);
                let t = format!("?{}", c.text());
                GTy::Optional(Box::new(c), t)
            }
            7 => {
                let mut names = Vec::new();
                for _ in 0..1 + self.rng.below(3) {
                    let n = self.errors[self.rng.below(self.errors.len())];
                    if !names.contains(&n) {
                        names.push(n);
                    }
                }
                let p = self.ty(depth - 1);
                let t = format!("error{{{}}}!{}", names.join(", "), p.text());
                GTy::ErrUnion(names, Box::new(p), t)
            }
            8 => {
                let n = self.rng.below(4);
                let fields: Vec<(String, GTy)> = (0..n)
                    .map(|i| (format!("f{i}"), self.ty(depth - 1)))
                    .collect();
                let body: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", t.text()))
                    .collect();
                let ext = if self.rng.below(2) == 0 {
                    "extern "
                } else {
                    ""
                };
                let t = format!("{ext}struct {{ {} }}", body.join(", "));
                GTy::Struct(fields, t)
            }
            9 => {
                let n = 1 + self.rng.below(4);
                let names: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
                let t = format!("enum(u8) {{ {} }}", names.join(", "));
                GTy::Enum(names, t)
            }
            _ => {
                let n = 1 + self.rng.below(3);
                let fields: Vec<(String, GTy)> = (0..n)
                    .map(|i| (format!("v{i}"), self.ty(depth - 1)))
                    .collect();
                let body: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", t.text()))
                    .collect();
                let tag = ["", "(enum)", "(enum(u8))"][self.rng.below(3)];
                let t = format!("union{tag} {{ {} }}", body.join(", "));
                GTy::Union(fields, t)
            }
        }
    }

    fn int_in(&mut self, signed: bool, bits: u32) -> String {
        let lit = match self.rng.below(6) {
            0 => "0".to_string(),
            1 => "1".to_string(),
            2 => format!("{}", self.rng.next() % 100),
            3 if bits >= 64 => format!(
                "0x{:x}",
                self.rng.next() >> (64 - bits.min(64) + u32::from(signed))
            ),
            4 if bits > 128 && !signed => format!("0x1{}", "0".repeat((bits as usize - 1) / 4)),
            _ => format!("{}", self.rng.next() % 2),
        };
        let neg = signed && self.rng.below(2) == 0 && lit != "0";
        // Keep within range: small literals always fit widths of 8 bits and more.
        if bits < 8 {
            return if neg && bits > 1 {
                "-1".into()
            } else if signed {
                "0".into()
            } else {
                "1".into()
            };
        }
        if neg {
            format!("-{lit}")
        } else {
            lit
        }
    }

    fn value(&mut self, t: &GTy) -> String {
        if self.rng.below(10) == 0 {
            return "undef".into();
        }
        match t {
            GTy::Int(s, b) => self.int_in(*s, *b),
            GTy::Usize => format!("{}", self.rng.next() as u32),
            GTy::Float(_) => {
                let v = [
                    "1.5", "-2.0e-3", "inf", "-inf", "nan", "0.0", "-0.0", "3", "65504.0", "1e-5",
                    "0.1",
                ];
                v[self.rng.below(v.len())].to_string()
            }
            GTy::Bool => {
                if self.rng.below(2) == 0 {
                    "true".into()
                } else {
                    "false".into()
                }
            }
            GTy::Ptr(text) => {
                let nullable = text.starts_with('?') || text.starts_with("[*c]");
                if nullable && self.rng.below(2) == 0 {
                    "null".into()
                } else if text == "[]const u8" || text == "[*]const u8" {
                    "\"a\\x00\\u{e9}\"".into()
                } else {
                    ["@c0", "@c0[0]", "@data[1..2]", "@data.len", "@f"][self.rng.below(5)].into()
                }
            }
            GTy::Array(n, e, _) => {
                if let GTy::Int(false, 8) = **e {
                    if self.rng.below(2) == 0 {
                        return format!("\"{}\"", "x".repeat(*n as usize));
                    }
                }
                let elems: Vec<String> = (0..*n).map(|_| self.value(e)).collect();
                format!(".{{ {} }}", elems.join(", "))
            }
            GTy::Optional(c, _) => {
                if self.rng.below(3) == 0 {
                    "null".into()
                } else {
                    self.value(c)
                }
            }
            GTy::ErrUnion(names, p, _) => {
                if self.rng.below(3) == 0 {
                    format!("error.{}", names[self.rng.below(names.len())])
                } else {
                    self.value(p)
                }
            }
            GTy::Struct(fields, _) => {
                let named = self.rng.below(2) == 0;
                let vals: Vec<String> = fields
                    .iter()
                    .map(|(n, ft)| {
                        let v = self.value(ft);
                        if named {
                            format!(".{n} = {v}")
                        } else {
                            v
                        }
                    })
                    .collect();
                format!(".{{ {} }}", vals.join(", "))
            }
            GTy::Enum(names, _) => {
                if self.rng.below(2) == 0 {
                    format!(".{}", names[self.rng.below(names.len())])
                } else {
                    format!("{}", self.rng.below(names.len()))
                }
            }
            GTy::Union(fields, _) => {
                let (n, ft) = fields[self.rng.below(fields.len())].clone();
                let v = self.value(&ft);
                format!(".{{ .{n} = {v} }}")
            }
        }
    }

    fn program(&mut self) -> String {
        self.out.clear();
        self.out
            .push_str("const data: [4]u8 = \"data\"\nfn f() void {\n  ret\n}\n");
        // Named types, written after their uses, some referring to each other by pointer.
        let mut named: Vec<GTy> = Vec::new();
        let mut items = String::new();
        for k in 0..self.rng.below(3) {
            let mut fields: Vec<(String, GTy)> = (0..self.rng.below(3))
                .map(|i| (format!("f{i}"), self.ty(2)))
                .collect();
            fields.push(("next".into(), GTy::Ptr(format!("?*N{}", self.rng.below(3)))));
            let body: Vec<String> = fields
                .iter()
                .map(|(n, t)| format!("{n}: {}", t.text()))
                .collect();
            items.push_str(&format!("type N{k} = struct {{ {} }}\n", body.join(", ")));
            named.push(GTy::Struct(fields, format!("N{k}")));
        }
        for k in named.len()..3 {
            items.push_str(&format!("type N{k} = u{}\n", 8 * (k + 1)));
        }
        let n = 1 + self.rng.below(6);
        let mut tys = Vec::new();
        for i in 0..n {
            let t = if !named.is_empty() && self.rng.below(3) == 0 {
                named[self.rng.below(named.len())].clone()
            } else {
                self.ty(3)
            };
            let v = self.value(&t);
            let kw = if self.rng.below(2) == 0 {
                "const"
            } else {
                "var"
            };
            let text = t.text();
            self.out.push_str(&format!("{kw} c{i}: {text} = {v}\n"));
            tys.push(t);
        }
        self.out.push_str("export fn g(%p: u32) void {\n");
        for (i, t) in tys.iter().enumerate() {
            let v = self.value(t);
            let text = t.text();
            match self.rng.below(4) {
                0 => self
                    .out
                    .push_str(&format!("  %x{i} = bitcast {text}, {v}:{text}\n")),
                1 => self.out.push_str(&format!(
                    "  %x{i} = aggregate_init {text}, {v}:{text}, %p\n"
                )),
                2 => self.out.push_str(&format!("  store @c{i}, {v}:{text}\n")),
                _ => self
                    .out
                    .push_str(&format!("  call @f({v}:{text}, @c{i})\n")),
            }
        }
        self.out.push_str("  bitcast u32, %p\n  ret\n}\n");
        self.out.push_str(&items);
        self.out.clone()
    }
}

#[test]
fn random_programs_round_trip() {
    let mut g = Gen {
        rng: Rng(0x2545_f491_4f6c_dd1d),
        out: String::new(),
        errors: vec!["A", "B", "Oops", "Z"],
    };
    for _ in 0..600 {
        let src = g.program();
        parse(&src).unwrap_or_else(|e| panic!("{e}\n{src}"));
        check(&src);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(src in ".{0,200}") {
        check(&src);
    }

    #[test]
    fn ir_like_text(src in "[a-z0-9_%@ {}()\\[\\],:=.!?*\\n\"'\\\\-]{0,300}") {
        check(&src);
    }

    #[test]
    fn token_soup(picks in proptest::collection::vec(0..PIECES.len(), 0..80)) {
        let src: Vec<&str> = picks.iter().map(|&i| PIECES[i]).collect();
        check(&src.join(" "));
    }
}
