//! A small parser of IR type syntax (IR.md section 3), so that test corpora read like IR text.
//!
//! `Env::def("Name", "struct { ... }")` defines a nominal type; later types may name it.

use std::collections::HashMap;
use wabe_types::{
    CallConv, ContainerLayout, EnumField, Field, FloatType, Int, PtrSize, Signedness, Target,
    TypeId, TypeKey, TypePool,
};

/// A type pool with named types.
pub struct Env {
    pub pool: TypePool,
    pub named: HashMap<String, TypeId>,
}

impl Env {
    pub fn new(target: Target) -> Env {
        Env {
            pool: TypePool::new(target),
            named: HashMap::new(),
        }
    }

    /// Parses and interns a type.
    pub fn ty(&mut self, src: &str) -> TypeId {
        let mut p = Parser {
            s: src.as_bytes(),
            i: 0,
            name: None,
        };
        let t = p.ty(self);
        p.ws();
        assert_eq!(p.i, src.len(), "trailing text in `{src}`");
        t
    }

    /// Defines a nominal type `name`: structs, enums, unions and error sets carry the name.
    pub fn def(&mut self, name: &str, src: &str) -> TypeId {
        let n = self.pool.names.intern(name);
        let mut p = Parser {
            s: src.as_bytes(),
            i: 0,
            name: Some(n),
        };
        let t = p.ty(self);
        self.named.insert(name.to_string(), t);
        t
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    /// The name given to the outermost nominal type.
    name: Option<wabe_types::NameId>,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            let end = self.i + tok.len();
            let word = tok.as_bytes().last().unwrap().is_ascii_alphanumeric();
            if word && end < self.s.len() && is_ident(self.s[end]) {
                return false;
            }
            self.i = end;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &str) {
        assert!(
            self.eat(tok),
            "expected `{tok}` at {} in `{}`",
            self.i,
            self.text()
        );
    }

    fn text(&self) -> &str {
        std::str::from_utf8(self.s).unwrap()
    }

    fn ident(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && is_ident(self.s[self.i]) {
            self.i += 1;
        }
        assert!(
            self.i > start,
            "expected a name at {start} in `{}`",
            self.text()
        );
        String::from_utf8(self.s[start..self.i].to_vec()).unwrap()
    }

    fn number(&mut self) -> i128 {
        self.ws();
        let neg = self.eat("-");
        let w = self.ident();
        let v: i128 = w.parse().unwrap_or_else(|_| panic!("bad number `{w}`"));
        if neg {
            -v
        } else {
            v
        }
    }

    fn take_name(&mut self) -> Option<wabe_types::NameId> {
        self.name.take()
    }

    fn ty(&mut self, env: &mut Env) -> TypeId {
        let t = self.ty_prefix(env);
        if self.eat("!") {
            let payload = self.ty(env);
            return env
                .pool
                .intern(TypeKey::ErrorUnion { error: t, payload })
                .unwrap();
        }
        t
    }

    fn ty_prefix(&mut self, env: &mut Env) -> TypeId {
        if self.eat("?") {
            let c = self.ty_prefix(env);
            return env.pool.optional(c).unwrap();
        }
        if self.eat("*") {
            let is_const = self.eat("const");
            let c = self.ty_prefix(env);
            return env.pool.pointer(PtrSize::One, is_const, c);
        }
        if self.eat("[*c]") || self.eat("[*]") || self.eat("[]") {
            let size = match &self.s[..self.i] {
                s if s.ends_with(b"[*c]") => PtrSize::C,
                s if s.ends_with(b"[*]") => PtrSize::Many,
                _ => PtrSize::Slice,
            };
            let is_const = self.eat("const");
            let c = self.ty_prefix(env);
            return env.pool.pointer(size, is_const, c);
        }
        if self.eat("[") {
            let len = self.number() as u64;
            self.expect("]");
            let elem = self.ty_prefix(env);
            return env.pool.intern(TypeKey::Array { len, elem }).unwrap();
        }
        let layout = if self.eat("extern") {
            ContainerLayout::Extern
        } else {
            ContainerLayout::Auto
        };
        if self.eat("struct") {
            let name = self.take_name();
            let fields = self.fields(env);
            return env
                .pool
                .intern(TypeKey::Struct {
                    name,
                    layout,
                    fields: fields.into(),
                })
                .unwrap();
        }
        if self.eat("union") {
            let name = self.take_name();
            // `union(enum)` numbers the fields itself; `union(E)` uses the enum `E`.
            let (tagged, explicit) = if self.eat("(") {
                let t = if self.eat("enum") {
                    None
                } else {
                    Some(self.ty(env))
                };
                self.expect(")");
                (true, t)
            } else {
                (false, None)
            };
            let fields = self.fields(env);
            let tag = tagged.then(|| {
                explicit.unwrap_or_else(|| {
                    let names: Vec<_> = fields.iter().map(|f| f.name).collect();
                    env.pool.auto_tag_enum(&names).unwrap()
                })
            });
            return env
                .pool
                .intern(TypeKey::Union {
                    name,
                    tag,
                    fields: fields.into(),
                })
                .unwrap();
        }
        if self.eat("enum") {
            let name = self.take_name();
            self.expect("(");
            let tag = self.ty(env);
            self.expect(")");
            self.expect("{");
            let mut fields = Vec::new();
            let mut next = 0i128;
            while !self.eat("}") {
                let n = self.ident();
                if self.eat("=") {
                    next = self.number();
                }
                let name = env.pool.names.intern(&n);
                fields.push(EnumField {
                    name,
                    value: Int::from_i128(next),
                });
                next += 1;
                self.eat(",");
            }
            return env
                .pool
                .intern(TypeKey::Enum {
                    name,
                    tag,
                    fields: fields.into(),
                })
                .unwrap();
        }
        if self.eat("error") {
            let name = self.take_name();
            self.expect("{");
            let mut names = Vec::new();
            while !self.eat("}") {
                let n = self.ident();
                names.push(env.pool.names.intern(&n));
                self.eat(",");
            }
            return env
                .pool
                .intern(TypeKey::ErrorSet {
                    name,
                    names: names.into(),
                })
                .unwrap();
        }
        if self.eat("fn") {
            self.expect("(");
            let mut params = Vec::new();
            while !self.eat(")") {
                params.push(self.ty(env));
                self.eat(",");
            }
            let ret = self.ty(env);
            let callconv = if self.eat("callconv") {
                self.expect("(");
                self.expect("c");
                self.expect(")");
                CallConv::C
            } else {
                CallConv::Auto
            };
            return env
                .pool
                .intern(TypeKey::Fn {
                    params: params.into(),
                    ret,
                    callconv,
                })
                .unwrap();
        }
        let w = self.ident();
        let key = match w.as_str() {
            "void" => TypeKey::Void,
            "noreturn" => TypeKey::NoReturn,
            "bool" => TypeKey::Bool,
            "usize" => TypeKey::Usize,
            "isize" => TypeKey::Isize,
            "anyerror" => TypeKey::AnyError,
            "f16" => TypeKey::Float(FloatType::F16),
            "f32" => TypeKey::Float(FloatType::F32),
            "f64" => TypeKey::Float(FloatType::F64),
            "f80" => TypeKey::Float(FloatType::F80),
            "f128" => TypeKey::Float(FloatType::F128),
            _ if (w.starts_with('u') || w.starts_with('i'))
                && w.len() > 1
                && w[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                let signedness = if w.starts_with('i') {
                    Signedness::Signed
                } else {
                    Signedness::Unsigned
                };
                TypeKey::Int {
                    signedness,
                    bits: w[1..].parse().unwrap(),
                }
            }
            _ => {
                return *env
                    .named
                    .get(&w)
                    .unwrap_or_else(|| panic!("unknown type `{w}`"));
            }
        };
        env.pool.intern(key).unwrap()
    }

    fn fields(&mut self, env: &mut Env) -> Vec<Field> {
        self.expect("{");
        let mut fields = Vec::new();
        while !self.eat("}") {
            let n = self.ident();
            self.expect(":");
            let ty = self.ty(env);
            fields.push(Field {
                name: env.pool.names.intern(&n),
                ty,
            });
            self.eat(",");
        }
        fields
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}
