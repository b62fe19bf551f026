//! The text parser (IR.md): `.air` text to a [`Module`].
//!
//! # How it works
//!
//! The source is tokenized first (see `lexer.rs`); the parser then makes two passes over the
//! tokens.
//!
//! 1. **Declare.** A flat scan finds every item name at brace depth 0: `type NAME =` items (their
//!    token positions are remembered, and nominal ones — `struct`, `extern struct`, `enum`,
//!    `union`, `error{..}` — are [`TypePool::reserve`](wabe_types::TypePool::reserve)d at once), and `const NAME:`, `var NAME:`,
//!    `fn NAME(` declaration names (so that `@name` operands can be checked and dotted paths
//!    split while the bodies are read). The same scan registers every error name with
//!    [`TypePool::error_value`](wabe_types::TypePool::error_value) in order of first appearance in the text, so error values do not
//!    depend on the order in which the parser happens to read types.
//! 2. **Define.** Items are parsed in source order. A type name is resolved on demand: an alias,
//!    or a nominal type used by value, is defined the moment it is first needed (the parser jumps
//!    to its definition and comes back), so by-value dependencies are always complete before the
//!    type that holds them, whatever the order of the items. A nominal type reached through a
//!    pointer (`*T`, `[*]T`, `[]T`, `[*c]T`) or a function type (`fn (T) R`) only needs its
//!    reserved id. Meeting a type again while it is being defined is the error "type `X` contains
//!    itself" — for an alias even through a pointer, since an alias has no name of its own.
//!
//! A typed constant operand (`VALUE:TYPE`) is read twice: the value is skipped to reach its
//! type, then read again knowing the type, so that integers are checked against their width and
//! floats converted to the type's bits as they are read.
//!
//! Function bodies are built directly in [`Air`]: the instructions of the open bodies are kept on
//! one scratch stack and each body (or `cond_br`/`switch_br` payload) is moved to `extra` in the
//! documented layout when it closes. Names are scoped with one map of visible names and an undo
//! list per body.
//!
//! The parser stops at the first error and never panics; nesting of types, values and bodies is
//! limited to 256 levels.
//!
//! # Decisions where IR.md is silent
//!
//! - A tagged union's tag is the unnamed enum of [`TypePool::auto_tag_enum`](wabe_types::TypePool::auto_tag_enum): the union's field
//!   names numbered from 0, with the smallest unsigned tag type (`u0` for one field, `u1` for
//!   two). `union(enum(u8))` picks the tag's integer type and `union(E)` uses an existing enum
//!   type `E`.
//! - `enum { a, b }` without a tag type is accepted and gets the smallest unsigned tag type;
//!   explicit values then need an explicit tag type. Enum values must be distinct and fit.
//! - Error values count from 1 in order of first appearance of the name anywhere in the text
//!   (`error{..}`, `error.Name`). The item `errors { A, B }` (an extension, which the printer
//!   writes first) pins that order.
//! - An instruction with a result may be written without a name (the result is unused); the
//!   printer then names it `%N`. A `%N` or `%_N` name whose number is the instruction's own index
//!   is stored as [`NO_NAME`], since it is what the printer writes for unnamed
//!   instructions.
//! - Instructions are one per line: a token after an instruction on the same line is an error,
//!   and `ret` / `repeat` take an operand only from their own line.
//! - Switch case items may be written `VALUE:TYPE` (otherwise they are [`INFER`]); `else` must be
//!   the last case; a comma after a case body is allowed.
//! - `extern fn` parameters are written `name: T`, `%name: T` or just `T`.
//! - Struct field names may be integers (`struct { 0: u32, 1: u1 }`), for tuple-like structs.
//! - `callconv(auto)` may be written; `null` is a value of optionals and C pointers, also as the
//!   payload of an error union.
//! - Float literals are read as `f64` and rounded to the type (so `f80`/`f128` constants have
//!   `f64` precision); an integer literal of a float type is converted.
//! - Integer literals are limited to 65535 bits; `[N]T` lengths to `u64`.
//! - Errors for `br %l` / `repeat %l` point at the instruction; all others at the offending
//!   token.
//! - A type cannot hold an array or optional of itself even behind a pointer (`*[2]S` inside `S`):
//!   the type pool lays out arrays when they are interned.

use crate::air::{Air, Ref, Span, INFER, NO_NAME};
use crate::inst::{Data, Form, Tag};
use crate::lexer::{lex, Tok, Token};
use crate::module::{Decl, DeclKind, ExternFn, Function, Global, Module, TypeItem};
use crate::{Diagnostic, Error};
use std::collections::{HashMap, HashSet};
use wabe_types::{
    float_bits_from_f64, CallConv, ContainerLayout, DeclAddr, EnumField, Field, FloatType, Int,
    NameId, PathElem, PtrSize, Signedness, Target, TypeId, TypeKey, Value,
};

/// How deep types, values and bodies may nest.
const MAX_DEPTH: u32 = 256;

type PResult<T> = Result<T, Diagnostic>;

/// Parses IR text into a module (types of instructions are filled in by [`verify`](crate::verify)).
///
/// Stops at the first error; the [`Error`] then holds one [`Diagnostic`] with the line and column
/// of the offending token.
pub fn parse(src: &str) -> Result<Module, Error> {
    parse_with_target(src, Target::Wasm32)
}

/// Parses IR text like [`parse`], with `default` as the target when the text has no `target`
/// item (a `target` item in the text wins).
pub fn parse_with_target(src: &str, default: Target) -> Result<Module, Error> {
    Parser::run(src, default).map_err(|d| Error {
        diagnostics: vec![d],
    })
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum TyState {
    Pending,
    InProgress,
    Done,
}

/// A `type NAME = ...` item found by the declaring pass.
struct TypeDef {
    name: NameId,
    name_span: Span,
    /// Token index of the first token of the definition (after `=`).
    def: usize,
    /// Token index after the definition, once parsed.
    end: usize,
    nominal: bool,
    /// The reserved id (nominal types) or the aliased type, once defined.
    id: TypeId,
    state: TyState,
    /// Another `type` item with the same name came first.
    duplicate: bool,
}

/// A map from names to instruction indices for one function: a dense array indexed by name id,
/// cleared in constant time by moving to a new generation (no hashing on the hot path).
#[derive(Default)]
struct NameMap {
    slots: Vec<(u32, u32)>,
    generation: u32,
}

impl NameMap {
    fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.iter_mut().for_each(|s| *s = (0, 0));
            self.generation = 1;
        }
    }

    fn get(&self, n: NameId) -> Option<&u32> {
        match self.slots.get(n.0 as usize) {
            Some((g, v)) if *g == self.generation && self.generation != 0 => Some(v),
            _ => None,
        }
    }

    fn contains_key(&self, n: NameId) -> bool {
        self.get(n).is_some()
    }

    fn insert(&mut self, n: NameId, v: u32) {
        if self.generation == 0 {
            self.generation = 1;
        }
        let i = n.0 as usize;
        if i >= self.slots.len() {
            self.slots.resize(i + 1, (0, 0));
        }
        self.slots[i] = (self.generation, v);
    }

    fn remove(&mut self, n: NameId) {
        if let Some(s) = self.slots.get_mut(n.0 as usize) {
            s.0 = 0;
        }
    }
}

/// Per-function state, reused across functions.
#[derive(Default)]
struct FnState {
    air: Air,
    /// The instructions of the open bodies, and the payloads being assembled.
    scratch: Vec<u32>,
    /// Every `%name` defined so far in the function.
    defined: NameMap,
    /// The values visible here.
    visible: NameMap,
    /// Names made visible, in order, to be hidden when their body closes.
    undo: Vec<NameId>,
    /// Enclosing blocks and loops: name, instruction, whether it is a loop.
    labels: Vec<(NameId, u32, bool)>,
}

/// The start of an instruction: `[%name =] op`.
struct InstHead {
    span: Span,
    op: Token,
    tag: Tag,
    /// The `%name` written, or `NO_NAME`.
    label: NameId,
    /// The name stored in `Air::names` (`NO_NAME` also for `%N` naming instruction N).
    stored: NameId,
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    strings: Vec<Box<[u8]>>,
    pos: usize,
    m: Module,
    depth: u32,
    tdefs: Vec<TypeDef>,
    type_by_name: HashMap<NameId, usize>,
    /// Token index of a `type` keyword → its entry in `tdefs`.
    type_at: HashMap<usize, usize>,
    decl_names: HashSet<NameId>,
    f: FnState,
}

fn err<T>(span: Span, msg: impl Into<String>) -> PResult<T> {
    Err(Diagnostic {
        span,
        message: msg.into(),
    })
}

/// Shortens long source text for a message.
fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(37).collect();
        t.push_str("...");
        t
    } else {
        s.to_string()
    }
}

/// The smallest number of bits of an unsigned integer holding `n - 1` (`0` for `n <= 1`).
pub(crate) fn tag_bits(n: usize) -> u16 {
    if n <= 1 {
        0
    } else {
        (usize::BITS - (n - 1).leading_zeros()) as u16
    }
}

fn int_inc(v: &Int) -> Int {
    if let Int::Small(x) = v {
        if let Some(y) = x.checked_add(1) {
            return Int::Small(y);
        }
    }
    let (neg, mut mag) = v.sign_mag();
    if !neg {
        let mut carry = true;
        for limb in mag.iter_mut() {
            let (r, c) = limb.overflowing_add(1);
            *limb = r;
            if !c {
                carry = false;
                break;
            }
        }
        if carry {
            mag.push(1);
        }
    } else {
        for limb in mag.iter_mut() {
            let (r, borrow) = limb.overflowing_sub(1);
            *limb = r;
            if !borrow {
                break;
            }
        }
    }
    Int::from_sign_mag(neg, &mag)
}

fn int_to_f64(v: &Int) -> f64 {
    match v {
        Int::Small(x) => *x as f64,
        Int::Big { neg, .. } => v.to_string().parse::<f64>().unwrap_or(if *neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
    }
}

/// Whether `s` is `_*` followed by the decimal digits of `index`.
fn is_index_name(s: &str, index: u32) -> bool {
    let digits = s.trim_start_matches('_');
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && digits.parse::<u32>() == Ok(index)
}

impl<'s> Parser<'s> {
    fn run(src: &'s str, default: Target) -> PResult<Module> {
        let lexed = lex(src)?;
        let toks = lexed.tokens;
        let mut target = default;
        if let (Some(t), Some(n)) = (toks.first(), toks.get(1)) {
            if t.kind == Tok::Ident && &src[t.start as usize..t.end as usize] == "target" {
                target = match (n.kind, &src[n.start as usize..n.end as usize]) {
                    (Tok::Ident, "wasm32") => Target::Wasm32,
                    (Tok::Ident, "wasm64") => Target::Wasm64,
                    _ => {
                        let what = describe(src, n);
                        return err(
                            n.span(),
                            format!("expected `wasm32` or `wasm64`, found {what}"),
                        );
                    }
                };
            }
        }
        let mut p = Parser {
            src,
            toks,
            strings: lexed.strings,
            pos: 0,
            m: Module::new(target),
            depth: 0,
            tdefs: Vec::new(),
            type_by_name: HashMap::new(),
            type_at: HashMap::new(),
            decl_names: HashSet::new(),
            f: FnState::default(),
        };
        p.declare();
        p.items()?;
        p.m.type_items = p
            .tdefs
            .iter()
            .filter(|d| !d.duplicate)
            .map(|d| TypeItem {
                name: d.name,
                ty: d.id,
                span: d.name_span,
            })
            .collect();
        Ok(p.m)
    }

    // ---- tokens -------------------------------------------------------------------------

    fn tok(&self) -> Token {
        self.toks[self.pos]
    }

    fn tok_at(&self, i: usize) -> Token {
        self.toks[i.min(self.toks.len() - 1)]
    }

    fn text(&self, t: Token) -> &'s str {
        &self.src[t.start as usize..t.end as usize]
    }

    fn advance(&mut self) {
        if self.toks[self.pos].kind != Tok::Eof {
            self.pos += 1;
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        let t = self.tok();
        t.kind == Tok::Ident && self.text(t) == kw
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        if yes {
            self.advance();
        }
        yes
    }

    fn describe(&self, t: Token) -> String {
        describe(self.src, &t)
    }

    fn unexpected<T>(&self, expected: &str) -> PResult<T> {
        let t = self.tok();
        err(
            t.span(),
            format!("expected {expected}, found {}", self.describe(t)),
        )
    }

    fn expect(&mut self, kind: Tok, what: &str) -> PResult<Token> {
        let t = self.tok();
        if t.kind == kind {
            self.advance();
            Ok(t)
        } else {
            self.unexpected(&format!("`{what}`"))
        }
    }

    fn expect_kw(&mut self, kw: &str) -> PResult<Token> {
        let t = self.tok();
        if self.eat_kw(kw) {
            Ok(t)
        } else {
            self.unexpected(&format!("`{kw}`"))
        }
    }

    fn expect_name(&mut self, what: &str) -> PResult<Token> {
        let t = self.tok();
        if t.kind == Tok::Ident {
            self.advance();
            Ok(t)
        } else {
            self.unexpected(what)
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(self.tok().span(), "nesting too deep");
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn name(&mut self, s: &str) -> NameId {
        self.m.types.names.intern(s)
    }

    fn type_str(&self, ty: TypeId) -> String {
        if ty == INFER {
            "an inferred type".to_string()
        } else {
            self.m.types.display(ty).to_string()
        }
    }

    /// The source text from token `from` to the last consumed token.
    fn text_since(&self, from: usize) -> &'s str {
        let a = self.toks[from];
        let b = self.toks[self.pos.saturating_sub(1).max(from)];
        let start = if matches!(a.kind, Tok::Local | Tok::Global) {
            a.start - 1
        } else {
            a.start
        };
        &self.src[start as usize..b.end.max(start) as usize]
    }

    // ---- pass 1: declare --------------------------------------------------------------

    fn declare(&mut self) {
        let mut depth = 0u32;
        let n = self.toks.len();
        let mut i = 0;
        while i < n {
            let t = self.toks[i];
            match t.kind {
                Tok::LParen | Tok::LBrace | Tok::LBracket => depth += 1,
                Tok::RParen | Tok::RBrace | Tok::RBracket => depth = depth.saturating_sub(1),
                Tok::Ident => {
                    let s = self.text(t);
                    let next = self.tok_at(i + 1);
                    let next2 = self.tok_at(i + 2);
                    if (s == "error" || s == "errors") && next.kind == Tok::LBrace {
                        let mut j = i + 2;
                        while self.tok_at(j).kind == Tok::Ident || self.tok_at(j).kind == Tok::Comma
                        {
                            let e = self.tok_at(j);
                            if e.kind == Tok::Ident {
                                let name = self.name(self.text(e));
                                self.m.types.error_value(name);
                            }
                            j += 1;
                        }
                    } else if let Some(rest) = s.strip_prefix("error.") {
                        let name = self.name(rest);
                        self.m.types.error_value(name);
                    }
                    if depth == 0 && next.kind == Tok::Ident {
                        let is_decl = match s {
                            "const" | "var" => next2.kind == Tok::Colon,
                            "fn" => next2.kind == Tok::LParen,
                            _ => false,
                        };
                        if is_decl {
                            let name = self.name(self.text(next));
                            self.decl_names.insert(name);
                        } else if s == "type" && next2.kind == Tok::Eq {
                            self.declare_type(i);
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn declare_type(&mut self, at: usize) {
        let name_tok = self.toks[at + 1];
        let name = self.name(self.text(name_tok));
        let def = at + 3;
        let d0 = self.tok_at(def);
        let d1 = self.tok_at(def + 1);
        let nominal = d0.kind == Tok::Ident
            && match self.text(d0) {
                "struct" | "enum" | "union" => true,
                "extern" => d1.kind == Tok::Ident && self.text(d1) == "struct",
                "error" => d1.kind == Tok::LBrace,
                _ => false,
            };
        let duplicate = self.type_by_name.contains_key(&name);
        let id = if nominal && !duplicate {
            self.m.types.reserve(name)
        } else {
            TypeId::VOID
        };
        let idx = self.tdefs.len();
        self.tdefs.push(TypeDef {
            name,
            name_span: name_tok.span(),
            def,
            end: def,
            nominal,
            id,
            state: TyState::Pending,
            duplicate,
        });
        if !duplicate {
            self.type_by_name.insert(name, idx);
        }
        self.type_at.insert(at, idx);
    }

    // ---- pass 2: items ----------------------------------------------------------------

    fn items(&mut self) -> PResult<()> {
        let mut first = true;
        loop {
            let t = self.tok();
            if t.kind == Tok::Eof {
                return Ok(());
            }
            if t.kind != Tok::Ident {
                return self
                    .unexpected("an item (`fn`, `const`, `var`, `type`, `extern`, `export`)");
            }
            match self.text(t) {
                "target" => {
                    if !first {
                        return err(t.span(), "`target` must be the first item");
                    }
                    // Read before the module was created.
                    self.advance();
                    self.advance();
                }
                "type" => self.type_item()?,
                "errors" => self.errors_item()?,
                "export" => {
                    self.advance();
                    let k = self.tok();
                    match (k.kind, self.text(k)) {
                        (Tok::Ident, "fn") => self.fn_item(true, t.span())?,
                        (Tok::Ident, "const" | "var") => self.global_item(true, t.span())?,
                        _ => return self.unexpected("`fn`, `const` or `var` after `export`"),
                    }
                }
                "extern" => self.extern_item(t.span())?,
                "fn" => self.fn_item(false, t.span())?,
                "const" | "var" => self.global_item(false, t.span())?,
                _ => {
                    return self
                        .unexpected("an item (`fn`, `const`, `var`, `type`, `extern`, `export`)")
                }
            }
            first = false;
        }
    }

    fn type_item(&mut self) -> PResult<()> {
        let at = self.pos;
        self.advance();
        let name_tok = self.expect_name("a type name")?;
        self.expect(Tok::Eq, "=")?;
        let Some(&idx) = self.type_at.get(&at) else {
            return err(name_tok.span(), "malformed `type` item");
        };
        let name = self.text(name_tok);
        if self.tdefs[idx].duplicate {
            return err(name_tok.span(), format!("type `{name}` is already defined"));
        }
        if self.builtin_type(name_tok)?.is_some() || is_reserved(name) {
            return err(
                name_tok.span(),
                format!("`{name}` is a reserved name and cannot name a type"),
            );
        }
        if self.tdefs[idx].state == TyState::Pending {
            self.define_type(idx, name_tok.span())?;
        }
        self.pos = self.tdefs[idx].end;
        Ok(())
    }

    fn errors_item(&mut self) -> PResult<()> {
        self.advance();
        self.expect(Tok::LBrace, "{")?;
        while self.tok().kind != Tok::RBrace {
            self.expect_name("an error name")?;
            self.list_sep(Tok::RBrace, "}")?;
        }
        self.advance();
        Ok(())
    }

    /// Checks a declaration name and returns it.
    fn decl_name(&mut self) -> PResult<(NameId, Span)> {
        let t = self.expect_name("a declaration name")?;
        let name = self.name(self.text(t));
        if self.m.decl_map.contains_key(&name) {
            return err(
                t.span(),
                format!("duplicate declaration `@{}`", self.text(t)),
            );
        }
        Ok((name, t.span()))
    }

    fn add_decl(&mut self, name: NameId, exported: bool, span: Span, kind: DeclKind) {
        let added = self.m.add_decl(Decl {
            name,
            exported,
            span,
            kind,
        });
        debug_assert!(added.is_some());
    }

    fn global_item(&mut self, exported: bool, span: Span) -> PResult<()> {
        let is_var = self.is_kw("var");
        self.advance();
        let (name, _) = self.decl_name()?;
        self.expect(Tok::Colon, ":")?;
        let ty = self.parse_type()?;
        self.expect(Tok::Eq, "=")?;
        let value = self.parse_value(ty)?;
        let g = Global { ty, value };
        let kind = if is_var {
            DeclKind::Var(g)
        } else {
            DeclKind::Const(g)
        };
        self.add_decl(name, exported, span, kind);
        Ok(())
    }

    fn callconv(&mut self) -> PResult<CallConv> {
        if !self.eat_kw("callconv") {
            return Ok(CallConv::Auto);
        }
        self.expect(Tok::LParen, "(")?;
        let cc = if self.eat_kw("c") {
            CallConv::C
        } else if self.eat_kw("auto") {
            CallConv::Auto
        } else {
            return self.unexpected("`c` or `auto`");
        };
        self.expect(Tok::RParen, ")")?;
        Ok(cc)
    }

    fn extern_item(&mut self, span: Span) -> PResult<()> {
        self.advance();
        self.expect_kw("fn")?;
        let (name, _) = self.decl_name()?;
        self.expect(Tok::LParen, "(")?;
        let mut params = Vec::new();
        let mut param_names = Vec::new();
        while self.tok().kind != Tok::RParen {
            let t = self.tok();
            let named = matches!(t.kind, Tok::Ident | Tok::Local | Tok::Int)
                && self.tok_at(self.pos + 1).kind == Tok::Colon;
            if named {
                param_names.push(self.name(self.text(t)));
                self.advance();
                self.advance();
            } else {
                param_names.push(NO_NAME);
            }
            params.push(self.parse_type()?);
            self.list_sep(Tok::RParen, ")")?;
        }
        self.advance();
        let ret = self.parse_type()?;
        let callconv = self.callconv()?;
        let module = if self.eat_kw("from") {
            let t = self.tok();
            let Tok::Str(i) = t.kind else {
                return self.unexpected("a module name string");
            };
            self.advance();
            match std::str::from_utf8(&self.strings[i as usize]) {
                Ok(s) => s.to_string(),
                Err(_) => return err(t.span(), "the module name must be valid UTF-8"),
            }
        } else {
            "env".to_string()
        };
        let ty = self.intern(
            TypeKey::Fn {
                params: params.into(),
                ret,
                callconv,
            },
            span,
        )?;
        self.add_decl(
            name,
            false,
            span,
            DeclKind::Extern(ExternFn {
                ty,
                module,
                param_names,
            }),
        );
        Ok(())
    }

    // ---- types --------------------------------------------------------------------------

    fn intern(&mut self, key: TypeKey, span: Span) -> PResult<TypeId> {
        self.m
            .types
            .intern(key)
            .or_else(|e| err(span, e.to_string()))
    }

    fn parse_type(&mut self) -> PResult<TypeId> {
        self.parse_type_ex(false)
    }

    /// Parses a type; `weak` allows a nominal type that is not yet defined (behind a pointer).
    fn parse_type_ex(&mut self, weak: bool) -> PResult<TypeId> {
        self.enter()?;
        let r = self.parse_type_inner(weak);
        self.leave();
        r
    }

    fn parse_type_inner(&mut self, weak: bool) -> PResult<TypeId> {
        let t = self.tok();
        let span = t.span();
        match t.kind {
            Tok::Star => {
                self.advance();
                let is_const = self.eat_kw("const");
                let child = self.parse_type_ex(true)?;
                Ok(self.m.types.pointer(PtrSize::One, is_const, child))
            }
            Tok::LBracket => {
                self.advance();
                let n = self.tok();
                let size = match n.kind {
                    Tok::Star => {
                        self.advance();
                        let size = if self.eat_kw("c") {
                            PtrSize::C
                        } else {
                            PtrSize::Many
                        };
                        self.expect(Tok::RBracket, "]")?;
                        size
                    }
                    Tok::RBracket => {
                        self.advance();
                        PtrSize::Slice
                    }
                    Tok::Int => {
                        let len = self.u64_lit()?;
                        self.expect(Tok::RBracket, "]")?;
                        let elem = self.parse_type_ex(false)?;
                        return self.intern(TypeKey::Array { len, elem }, span);
                    }
                    _ => return self.unexpected("`*`, `]` or an array length"),
                };
                let is_const = self.eat_kw("const");
                let child = self.parse_type_ex(true)?;
                Ok(self.m.types.pointer(size, is_const, child))
            }
            Tok::Question => {
                self.advance();
                let child = self.parse_type_ex(false)?;
                self.intern(TypeKey::Optional(child), span)
            }
            Tok::Ident => {
                let ty = self.primary_type(weak)?;
                if self.tok().kind == Tok::Bang {
                    self.advance();
                    let payload = self.parse_type_ex(false)?;
                    return self.intern(TypeKey::ErrorUnion { error: ty, payload }, span);
                }
                Ok(ty)
            }
            _ => self.unexpected("a type"),
        }
    }

    fn primary_type(&mut self, weak: bool) -> PResult<TypeId> {
        let t = self.tok();
        let span = t.span();
        let s = self.text(t);
        let key = match s {
            "struct" => {
                self.advance();
                self.struct_key(None, ContainerLayout::Auto)?
            }
            "extern" => {
                self.advance();
                self.expect_kw("struct")?;
                self.struct_key(None, ContainerLayout::Extern)?
            }
            "enum" => {
                self.advance();
                self.enum_key(None)?
            }
            "union" => {
                self.advance();
                self.union_key(None)?
            }
            "error" if self.tok_at(self.pos + 1).kind == Tok::LBrace => {
                self.advance();
                self.error_set_key(None)?
            }
            "fn" => {
                self.advance();
                return self.fn_type(span);
            }
            _ => {
                if let Some(id) = self.builtin_type(t)? {
                    self.advance();
                    return Ok(id);
                }
                let name = self.name(s);
                let Some(&idx) = self.type_by_name.get(&name) else {
                    return err(span, format!("unknown type `{s}`"));
                };
                self.advance();
                return self.named_type(idx, weak, span);
            }
        };
        self.intern(key, span)
    }

    fn builtin_type(&mut self, t: Token) -> PResult<Option<TypeId>> {
        let s = self.text(t);
        let id = match s {
            "void" => TypeId::VOID,
            "noreturn" => TypeId::NORETURN,
            "bool" => TypeId::BOOL,
            "usize" => TypeId::USIZE,
            "isize" => TypeId::ISIZE,
            "anyerror" => TypeId::ANYERROR,
            "f16" => self.intern(TypeKey::Float(FloatType::F16), t.span())?,
            "f32" => TypeId::F32,
            "f64" => TypeId::F64,
            "f80" => self.intern(TypeKey::Float(FloatType::F80), t.span())?,
            "f128" => self.intern(TypeKey::Float(FloatType::F128), t.span())?,
            _ => {
                let (sign, digits) = match s.as_bytes().first() {
                    Some(b'u') => (Signedness::Unsigned, &s[1..]),
                    Some(b'i') => (Signedness::Signed, &s[1..]),
                    _ => return Ok(None),
                };
                if digits.is_empty()
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || (digits.len() > 1 && digits.starts_with('0'))
                {
                    return Ok(None);
                }
                match digits.parse::<u32>() {
                    Ok(bits) if bits <= 65535 => self.m.types.int(sign, bits as u16),
                    _ => {
                        return err(
                            t.span(),
                            format!(
                                "integer type `{}` has too many bits (at most 65535)",
                                short(s)
                            ),
                        )
                    }
                }
            }
        };
        Ok(Some(id))
    }

    fn named_type(&mut self, idx: usize, weak: bool, span: Span) -> PResult<TypeId> {
        let d = &self.tdefs[idx];
        if d.nominal && weak {
            return Ok(d.id);
        }
        match d.state {
            TyState::Done => Ok(d.id),
            TyState::InProgress => {
                let name = self.m.types.names.resolve(d.name).to_string();
                err(span, format!("type `{name}` contains itself"))
            }
            TyState::Pending => {
                self.define_type(idx, span)?;
                Ok(self.tdefs[idx].id)
            }
        }
    }

    /// Parses the definition of type item `idx` (wherever the parser is), then comes back.
    fn define_type(&mut self, idx: usize, span: Span) -> PResult<()> {
        self.enter()?;
        let saved = self.pos;
        self.tdefs[idx].state = TyState::InProgress;
        self.pos = self.tdefs[idx].def;
        let name = self.tdefs[idx].name;
        let id = if self.tdefs[idx].nominal {
            let t = self.tok();
            let key = match self.text(t) {
                "struct" => {
                    self.advance();
                    self.struct_key(Some(name), ContainerLayout::Auto)?
                }
                "extern" => {
                    self.advance();
                    self.expect_kw("struct")?;
                    self.struct_key(Some(name), ContainerLayout::Extern)?
                }
                "enum" => {
                    self.advance();
                    self.enum_key(Some(name))?
                }
                "union" => {
                    self.advance();
                    self.union_key(Some(name))?
                }
                _ => {
                    self.advance();
                    self.error_set_key(Some(name))?
                }
            };
            let id = self.tdefs[idx].id;
            self.m
                .types
                .define(id, key)
                .or_else(|e| err(t.span(), e.to_string()))?;
            id
        } else {
            let _ = span;
            self.parse_type()?
        };
        let d = &mut self.tdefs[idx];
        d.end = self.pos;
        d.id = id;
        d.state = TyState::Done;
        self.pos = saved;
        self.leave();
        Ok(())
    }

    fn field_name(&mut self) -> PResult<(NameId, Token)> {
        let t = self.tok();
        if matches!(t.kind, Tok::Ident | Tok::Int) {
            self.advance();
            Ok((self.name(self.text(t)), t))
        } else {
            self.unexpected("a field name")
        }
    }

    fn struct_key(&mut self, name: Option<NameId>, layout: ContainerLayout) -> PResult<TypeKey> {
        self.expect(Tok::LBrace, "{")?;
        let mut fields: Vec<Field> = Vec::new();
        while self.tok().kind != Tok::RBrace {
            let (fname, t) = self.field_name()?;
            if fields.iter().any(|f| f.name == fname) {
                return err(t.span(), format!("duplicate field `{}`", self.text(t)));
            }
            self.expect(Tok::Colon, ":")?;
            let ty = self.parse_type()?;
            fields.push(Field { name: fname, ty });
            self.list_sep(Tok::RBrace, "}")?;
        }
        self.advance();
        Ok(TypeKey::Struct {
            name,
            layout,
            fields: fields.into(),
        })
    }

    fn enum_key(&mut self, name: Option<NameId>) -> PResult<TypeKey> {
        let mut tag = None;
        if self.tok().kind == Tok::LParen {
            self.advance();
            let t = self.tok();
            let ty = self.parse_type()?;
            if !matches!(
                self.m.types.key(ty),
                TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize
            ) {
                return err(t.span(), "the tag type of an enum must be an integer type");
            }
            tag = Some(ty);
            self.expect(Tok::RParen, ")")?;
        }
        self.enum_fields(name, tag)
    }

    fn enum_fields(&mut self, name: Option<NameId>, tag: Option<TypeId>) -> PResult<TypeKey> {
        self.expect(Tok::LBrace, "{")?;
        let mut fields: Vec<EnumField> = Vec::new();
        let mut next = Int::ZERO;
        while self.tok().kind != Tok::RBrace {
            let (fname, t) = self.field_name()?;
            if fields.iter().any(|f| f.name == fname) {
                return err(t.span(), format!("duplicate enum field `{}`", self.text(t)));
            }
            let mut value = next.clone();
            if self.tok().kind == Tok::Eq {
                self.advance();
                let vt = self.tok();
                let start = self.pos;
                let Some(tag) = tag else {
                    return err(
                        vt.span(),
                        "an enum with explicit values needs a tag type: `enum(u8) { ... }`",
                    );
                };
                value = self.signed_int_lit()?;
                let (signed, bits) = self.m.types.int_info(tag).unwrap_or((false, 0));
                if !value.fits(signed, bits) {
                    let text = self.text_since(start);
                    return err(
                        vt.span(),
                        format!("`{}` does not fit in `{}`", short(text), self.type_str(tag)),
                    );
                }
            } else if let Some(tag) = tag {
                let (signed, bits) = self.m.types.int_info(tag).unwrap_or((false, 0));
                if !value.fits(signed, bits) {
                    return err(
                        t.span(),
                        format!(
                            "the value {} of `{}` does not fit in `{}`",
                            value,
                            self.text(t),
                            self.type_str(tag)
                        ),
                    );
                }
            }
            if fields.iter().any(|f| f.value == value) {
                return err(t.span(), format!("enum value {value} is used twice"));
            }
            next = int_inc(&value);
            fields.push(EnumField { name: fname, value });
            self.list_sep(Tok::RBrace, "}")?;
        }
        self.advance();
        let tag = match tag {
            Some(t) => t,
            None => self
                .m
                .types
                .int(Signedness::Unsigned, tag_bits(fields.len())),
        };
        Ok(TypeKey::Enum {
            name,
            tag,
            fields: fields.into(),
        })
    }

    fn union_key(&mut self, name: Option<NameId>) -> PResult<TypeKey> {
        // None: bare; Some(None): inferred enum with the smallest tag; Some(Some(int)): inferred
        // enum with that tag type; or an explicit enum type.
        let mut auto: Option<Option<TypeId>> = None;
        let mut explicit = None;
        if self.tok().kind == Tok::LParen {
            self.advance();
            let next = self.tok_at(self.pos + 1);
            if self.is_kw("enum") && next.kind == Tok::RParen {
                self.advance();
                auto = Some(None);
            } else if self.is_kw("enum") && next.kind == Tok::LParen {
                // `union(enum(u8))` or `union(enum(u8) { ... })`.
                let save = self.pos;
                self.advance();
                self.advance();
                let t = self.tok();
                let int_ty = self.parse_type()?;
                self.expect(Tok::RParen, ")")?;
                if self.tok().kind == Tok::RParen {
                    if !matches!(
                        self.m.types.key(int_ty),
                        TypeKey::Int {
                            signedness: Signedness::Unsigned,
                            ..
                        }
                    ) {
                        return err(
                            t.span(),
                            "the tag type of a union must be an unsigned integer type",
                        );
                    }
                    auto = Some(Some(int_ty));
                } else {
                    self.pos = save;
                }
            }
            if auto.is_none() {
                let t = self.tok();
                let ty = self.parse_type()?;
                if !matches!(self.m.types.key(ty), TypeKey::Enum { .. }) {
                    return err(t.span(), "the tag of a union must be an enum type");
                }
                explicit = Some(ty);
            }
            self.expect(Tok::RParen, ")")?;
        }
        let open = self.tok().span();
        let TypeKey::Struct { fields, .. } = self.struct_key(None, ContainerLayout::Auto)? else {
            unreachable!("struct_key returns a struct");
        };
        let tag = match (auto, explicit) {
            (Some(int_ty), _) => {
                let n = fields.len();
                let int_ty = match int_ty {
                    Some(t) => {
                        let bits = self.m.types.int_info(t).map_or(0, |i| i.1);
                        if tag_bits(n) as u32 > bits {
                            return err(
                                open,
                                format!("{n} fields do not fit a `{}` tag", self.type_str(t)),
                            );
                        }
                        t
                    }
                    None => {
                        let names: Vec<NameId> = fields.iter().map(|f| f.name).collect();
                        let tag = self.m.types.auto_tag_enum(&names);
                        return Ok(TypeKey::Union {
                            name,
                            tag: Some(tag.or_else(|e| err(open, e.to_string()))?),
                            fields,
                        });
                    }
                };
                let efields: Vec<EnumField> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| EnumField {
                        name: f.name,
                        value: Int::from_i128(i as i128),
                    })
                    .collect();
                Some(self.intern(
                    TypeKey::Enum {
                        name: None,
                        tag: int_ty,
                        fields: efields.into(),
                    },
                    open,
                )?)
            }
            (None, Some(e)) => Some(e),
            (None, None) => None,
        };
        Ok(TypeKey::Union { name, tag, fields })
    }

    fn error_set_key(&mut self, name: Option<NameId>) -> PResult<TypeKey> {
        self.expect(Tok::LBrace, "{")?;
        let mut names: Vec<NameId> = Vec::new();
        while self.tok().kind != Tok::RBrace {
            let t = self.expect_name("an error name")?;
            let n = self.name(self.text(t));
            if names.contains(&n) {
                return err(t.span(), format!("duplicate error name `{}`", self.text(t)));
            }
            self.m.types.error_value(n);
            names.push(n);
            self.list_sep(Tok::RBrace, "}")?;
        }
        self.advance();
        names.sort();
        Ok(TypeKey::ErrorSet {
            name,
            names: names.into(),
        })
    }

    fn fn_type(&mut self, span: Span) -> PResult<TypeId> {
        self.expect(Tok::LParen, "(")?;
        let mut params = Vec::new();
        while self.tok().kind != Tok::RParen {
            params.push(self.parse_type_ex(true)?);
            self.list_sep(Tok::RParen, ")")?;
        }
        self.advance();
        let ret = self.parse_type_ex(true)?;
        let callconv = self.callconv()?;
        self.intern(
            TypeKey::Fn {
                params: params.into(),
                ret,
                callconv,
            },
            span,
        )
    }

    // ---- literals -----------------------------------------------------------------------

    /// The integer of an `Int` or `Char` token.
    fn int_of(&self, t: Token) -> PResult<Int> {
        if let Tok::Char(c) = t.kind {
            return Ok(Int::from_i128(c as i128));
        }
        let s = self.text(t);
        let (radix, digits) = match s.get(..2) {
            Some("0x" | "0X") => (16, &s[2..]),
            Some("0b" | "0B") => (2, &s[2..]),
            Some("0o" | "0O") => (8, &s[2..]),
            _ => (10, s),
        };
        let significant = digits
            .trim_start_matches(['0', '_'])
            .bytes()
            .filter(|&b| b != b'_')
            .count();
        let limit = match radix {
            2 => 65535,
            8 => 21845,
            10 => 19729,
            _ => 16384,
        };
        if significant > limit {
            return err(
                t.span(),
                format!("integer literal `{}` is too large", short(s)),
            );
        }
        match Int::parse_digits(digits, radix) {
            Some(v) if !digits.starts_with('_') && !digits.ends_with('_') => Ok(v),
            _ => err(t.span(), format!("invalid integer literal `{}`", short(s))),
        }
    }

    /// An integer literal, possibly negative.
    fn signed_int_lit(&mut self) -> PResult<Int> {
        let neg = self.tok().kind == Tok::Minus;
        if neg {
            self.advance();
        }
        let t = self.tok();
        if !matches!(t.kind, Tok::Int | Tok::Char(_)) {
            return self.unexpected("an integer");
        }
        self.advance();
        let v = self.int_of(t)?;
        Ok(if neg { v.neg() } else { v })
    }

    fn u64_lit(&mut self) -> PResult<u64> {
        let t = self.tok();
        if !matches!(t.kind, Tok::Int | Tok::Char(_)) {
            return self.unexpected("an integer");
        }
        self.advance();
        match self.int_of(t)?.to_u64() {
            Some(v) => Ok(v),
            None => err(
                t.span(),
                format!("`{}` does not fit in `u64`", short(self.text(t))),
            ),
        }
    }

    fn u32_lit(&mut self) -> PResult<u32> {
        let t = self.tok();
        if !matches!(t.kind, Tok::Int | Tok::Char(_)) {
            return self.unexpected("an integer");
        }
        self.advance();
        match self.int_of(t)?.to_u64().and_then(|v| u32::try_from(v).ok()) {
            Some(v) => Ok(v),
            None => err(
                t.span(),
                format!("`{}` does not fit in `u32`", short(self.text(t))),
            ),
        }
    }

    fn float_of(&self, t: Token) -> PResult<f64> {
        let s = self.text(t);
        match s {
            "inf" => return Ok(f64::INFINITY),
            "nan" => return Ok(f64::NAN),
            _ => {}
        }
        let cleaned: String = s.chars().filter(|&c| c != '_').collect();
        match cleaned.parse::<f64>() {
            Ok(v) if !s.starts_with('_') && !s.ends_with('_') => Ok(v),
            _ => err(t.span(), format!("invalid float literal `{}`", short(s))),
        }
    }

    // ---- values -------------------------------------------------------------------------

    /// The type a plain value is checked against: optionals and error unions take their payload.
    fn payload_type(&self, ty: TypeId) -> TypeId {
        let mut t = ty;
        loop {
            if t == INFER {
                return t;
            }
            match self.m.types.key(t) {
                TypeKey::Optional(c) => t = *c,
                TypeKey::ErrorUnion { payload, .. } => t = *payload,
                _ => return t,
            }
        }
    }

    fn parse_value(&mut self, ty: TypeId) -> PResult<Value> {
        self.enter()?;
        // Aggregates nest through here: keep this frame and the aggregate ones small.
        let r = if self.tok().kind == Tok::Dot && self.tok_at(self.pos + 1).kind == Tok::LBrace {
            let span = self.tok().span();
            self.advance();
            self.advance();
            self.aggregate(ty, span)
        } else {
            self.scalar_value(ty)
        };
        self.leave();
        r
    }

    /// Whether `null` is a value of `ty`: optionals and C pointers, also as error union payloads.
    fn accepts_null(&self, mut ty: TypeId) -> bool {
        loop {
            if ty == INFER {
                return true;
            }
            match self.m.types.key(ty) {
                TypeKey::Optional(_)
                | TypeKey::Pointer {
                    size: PtrSize::C, ..
                } => return true,
                TypeKey::ErrorUnion { payload, .. } => ty = *payload,
                _ => return false,
            }
        }
    }

    fn mismatch<T>(&self, ty: TypeId, start: usize, span: Span) -> PResult<T> {
        let text = self.text_since(start);
        err(
            span,
            format!(
                "expected a value of type `{}`, found `{}`",
                self.type_str(ty),
                short(text)
            ),
        )
    }

    fn scalar_value(&mut self, ty: TypeId) -> PResult<Value> {
        let t = self.tok();
        let span = t.span();
        let start = self.pos;
        match t.kind {
            Tok::Ident => {
                let s = self.text(t);
                self.advance();
                match s {
                    "undef" => Ok(Value::Undef),
                    "null" => {
                        if !self.accepts_null(ty) {
                            return err(
                                span,
                                format!(
                                    "`null` needs an optional type, not `{}`",
                                    self.type_str(ty)
                                ),
                            );
                        }
                        Ok(Value::Null)
                    }
                    "true" | "false" => {
                        let b = self.payload_type(ty);
                        if b != INFER && b != TypeId::BOOL {
                            return self.mismatch(b, start, span);
                        }
                        Ok(Value::Bool(s == "true"))
                    }
                    "inf" | "nan" => {
                        let v = self.float_of(t)?;
                        self.float_value(ty, v, start, span)
                    }
                    _ => match s.strip_prefix("error.") {
                        Some(name) if !name.is_empty() => {
                            let n = self.name(name);
                            self.m.types.error_value(n);
                            Ok(Value::Error(n))
                        }
                        _ => err(span, format!("expected a value, found `{}`", short(s))),
                    },
                }
            }
            Tok::Minus => {
                self.advance();
                let n = self.tok();
                match n.kind {
                    Tok::Int | Tok::Char(_) => {
                        self.advance();
                        let v = self.int_of(n)?.neg();
                        self.int_value(ty, v, start, span)
                    }
                    Tok::Float => {
                        self.advance();
                        let v = -self.float_of(n)?;
                        self.float_value(ty, v, start, span)
                    }
                    Tok::Ident if matches!(self.text(n), "inf" | "nan") => {
                        self.advance();
                        let v = -self.float_of(n)?;
                        self.float_value(ty, v, start, span)
                    }
                    _ => self.unexpected("a number after `-`"),
                }
            }
            Tok::Int | Tok::Char(_) => {
                self.advance();
                let v = self.int_of(t)?;
                self.int_value(ty, v, start, span)
            }
            Tok::Float => {
                self.advance();
                let v = self.float_of(t)?;
                self.float_value(ty, v, start, span)
            }
            Tok::Str(i) => {
                self.advance();
                let bytes = self.strings[i as usize].clone();
                let b = self.payload_type(ty);
                if b != INFER {
                    let expect_len = match self.m.types.key(b) {
                        TypeKey::Array { len, elem } if *elem == TypeId::U8 => Some(*len),
                        TypeKey::Array { .. } => {
                            return err(
                                span,
                                format!("a string cannot be a `{}`", self.type_str(b)),
                            )
                        }
                        TypeKey::Pointer { child, .. } => match self.m.types.key(*child) {
                            TypeKey::Array { len, .. } => Some(*len),
                            _ => None,
                        },
                        _ => {
                            return err(
                                span,
                                format!("a string cannot be a `{}`", self.type_str(b)),
                            )
                        }
                    };
                    if let Some(len) = expect_len {
                        if bytes.len() as u64 != len {
                            return err(
                                span,
                                format!(
                                    "the string is {} bytes long, `{}` needs exactly {len}",
                                    bytes.len(),
                                    self.type_str(b)
                                ),
                            );
                        }
                    }
                }
                Ok(Value::Bytes(bytes))
            }
            Tok::Dot => {
                self.advance();
                let n = self.tok();
                match n.kind {
                    Tok::LBrace => {
                        self.advance();
                        self.aggregate(ty, span)
                    }
                    Tok::Ident => {
                        self.advance();
                        Ok(Value::EnumLiteral(self.name(self.text(n))))
                    }
                    _ => self.unexpected("`{` or a name after `.`"),
                }
            }
            Tok::Global => self.decl_addr(),
            _ => self.unexpected("a value"),
        }
    }

    fn int_value(&mut self, ty: TypeId, v: Int, start: usize, span: Span) -> PResult<Value> {
        let b = self.payload_type(ty);
        if b == INFER {
            return Ok(Value::Int(v));
        }
        let key = self.m.types.key(b);
        let info = match key {
            TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize | TypeKey::Enum { .. } => {
                self.m.types.int_info(b)
            }
            TypeKey::Pointer { size, .. } if *size != PtrSize::Slice => {
                Some((false, self.m.target.ptr_size() as u32 * 8))
            }
            TypeKey::Float(ft) => {
                let ft = *ft;
                return Ok(Value::Float(float_bits_from_f64(ft, int_to_f64(&v))));
            }
            _ => None,
        };
        let Some((signed, bits)) = info else {
            return self.mismatch(b, start, span);
        };
        if !v.fits(signed, bits) {
            let text = self.text_since(start);
            return err(
                span,
                format!("`{}` does not fit in `{}`", short(text), self.type_str(b)),
            );
        }
        Ok(Value::Int(v))
    }

    fn float_value(&mut self, ty: TypeId, v: f64, start: usize, span: Span) -> PResult<Value> {
        let b = self.payload_type(ty);
        if b == INFER {
            return err(span, "a float constant needs a float type");
        }
        match self.m.types.key(b) {
            TypeKey::Float(ft) => Ok(Value::Float(float_bits_from_f64(*ft, v))),
            _ => self.mismatch(b, start, span),
        }
    }

    /// After `.{`.
    fn aggregate(&mut self, ty: TypeId, span: Span) -> PResult<Value> {
        let b = self.payload_type(ty);
        let named = self.tok().kind == Tok::Dot
            && self.tok_at(self.pos + 1).kind == Tok::Ident
            && self.tok_at(self.pos + 2).kind == Tok::Eq;
        self.check_aggregate_type(b, named, span)?;
        if named {
            self.aggregate_fields(b)
        } else {
            self.aggregate_elems(b)
        }
    }

    fn check_aggregate_type(&self, b: TypeId, named: bool, span: Span) -> PResult<()> {
        let ok = b == INFER
            || match self.m.types.key(b) {
                TypeKey::Struct { .. } => true,
                TypeKey::Union { .. } => named,
                TypeKey::Array { .. } => !named,
                _ => false,
            };
        if ok {
            return Ok(());
        }
        let what = if named {
            "`.{ .field = ... }`"
        } else {
            "`.{ ... }`"
        };
        err(span, format!("{what} cannot be a `{}`", self.type_str(b)))
    }

    /// `.{ .x = 1, .y = 2 }` after the `.{`.
    fn aggregate_fields(&mut self, b: TypeId) -> PResult<Value> {
        let mut out: Vec<(NameId, Value)> = Vec::new();
        while self.tok().kind != Tok::RBrace {
            self.expect(Tok::Dot, ".")?;
            let (fname, ft) = self.field_name()?;
            self.expect(Tok::Eq, "=")?;
            let fty = self.field_type(b, fname, ft, &out)?;
            let v = self.parse_value(fty)?;
            out.push((fname, v));
            self.list_sep(Tok::RBrace, "}")?;
        }
        self.advance();
        Ok(Value::Fields(out.into()))
    }

    /// The type of field `fname` of `b`, for a `.{ .name = ... }` value.
    fn field_type(
        &self,
        b: TypeId,
        fname: NameId,
        ft: Token,
        given: &[(NameId, Value)],
    ) -> PResult<TypeId> {
        if given.iter().any(|(n, _)| *n == fname) {
            return err(
                ft.span(),
                format!("field `{}` is given twice", self.text(ft)),
            );
        }
        if b == INFER {
            return Ok(INFER);
        }
        match self.m.types.key(b) {
            TypeKey::Struct { fields, .. } | TypeKey::Union { fields, .. } => {
                match fields.iter().find(|f| f.name == fname) {
                    Some(f) => Ok(f.ty),
                    None => err(
                        ft.span(),
                        format!("no field `{}` in `{}`", self.text(ft), self.type_str(b)),
                    ),
                }
            }
            _ => Ok(INFER),
        }
    }

    /// `.{ a, b, c }` after the `.{`.
    fn aggregate_elems(&mut self, b: TypeId) -> PResult<Value> {
        let mut out: Vec<Value> = Vec::new();
        while self.tok().kind != Tok::RBrace {
            let ety = self.elem_type(b, out.len())?;
            out.push(self.parse_value(ety)?);
            self.list_sep(Tok::RBrace, "}")?;
        }
        let close = self.tok().span();
        self.advance();
        self.check_count(b, out.len(), close)?;
        Ok(Value::Aggregate(out.into()))
    }

    /// The type of element `i` of `b`, for a `.{ a, b, c }` value.
    fn elem_type(&self, b: TypeId, i: usize) -> PResult<TypeId> {
        if b == INFER {
            return Ok(INFER);
        }
        match self.m.types.key(b) {
            TypeKey::Array { elem, .. } => Ok(*elem),
            TypeKey::Struct { fields, .. } => match fields.get(i) {
                Some(f) => Ok(f.ty),
                None => err(
                    self.tok().span(),
                    format!("too many values for `{}`", self.type_str(b)),
                ),
            },
            _ => Ok(INFER),
        }
    }

    fn check_count(&self, b: TypeId, n: usize, close: Span) -> PResult<()> {
        if b == INFER {
            return Ok(());
        }
        let want = match self.m.types.key(b) {
            TypeKey::Array { len, .. } => *len,
            TypeKey::Struct { fields, .. } => fields.len() as u64,
            _ => n as u64,
        };
        if want != n as u64 {
            return err(
                close,
                format!("`{}` needs {want} values, found {n}", self.type_str(b)),
            );
        }
        Ok(())
    }

    /// `@name`, `@name.field`, `@name[3]`, `@name[2].x`, `@name[1..4]`.
    fn decl_addr(&mut self) -> PResult<Value> {
        let t = self.tok();
        let full = self.text(t);
        let mut end = full.len();
        let decl = loop {
            let prefix = &full[..end];
            if let Some(n) = self.m.types.names.get(prefix) {
                if self.decl_names.contains(&n) {
                    break n;
                }
            }
            match prefix.rfind('.') {
                Some(i) => end = i,
                None => return err(t.span(), format!("unknown declaration `@{}`", short(full))),
            }
        };
        self.advance();
        let mut path = Vec::new();
        for part in full[end..].split('.').skip(1) {
            path.push(PathElem::Field(self.name(part)));
        }
        let mut slice = None;
        loop {
            let n = self.tok();
            match n.kind {
                Tok::LBracket => {
                    self.advance();
                    let a = self.u64_lit()?;
                    if self.tok().kind == Tok::DotDot {
                        self.advance();
                        let b = self.u64_lit()?;
                        self.expect(Tok::RBracket, "]")?;
                        if b < a {
                            return err(
                                n.span(),
                                format!("the slice `[{a}..{b}]` ends before it starts"),
                            );
                        }
                        slice = Some((a, b));
                        break;
                    }
                    self.expect(Tok::RBracket, "]")?;
                    path.push(PathElem::Index(a));
                }
                Tok::Dot if self.tok_at(self.pos + 1).kind == Tok::Ident => {
                    self.advance();
                    let f = self.tok();
                    self.advance();
                    for part in self.text(f).split('.') {
                        path.push(PathElem::Field(self.name(part)));
                    }
                }
                _ => break,
            }
        }
        Ok(Value::DeclAddr(DeclAddr {
            decl,
            path: path.into(),
            slice,
        }))
    }

    /// Skips the syntax of a value (to reach the `:TYPE` after it).
    fn skip_value(&mut self) -> PResult<()> {
        let t = self.tok();
        match t.kind {
            Tok::Minus => {
                self.advance();
                if matches!(
                    self.tok().kind,
                    Tok::Int | Tok::Float | Tok::Char(_) | Tok::Ident
                ) {
                    self.advance();
                    Ok(())
                } else {
                    self.unexpected("a number after `-`")
                }
            }
            Tok::Int | Tok::Float | Tok::Char(_) | Tok::Str(_) | Tok::Ident => {
                self.advance();
                Ok(())
            }
            Tok::Dot => {
                self.advance();
                match self.tok().kind {
                    Tok::Ident => {
                        self.advance();
                        Ok(())
                    }
                    Tok::LBrace => {
                        let mut depth = 0u32;
                        loop {
                            match self.tok().kind {
                                Tok::LBrace => depth += 1,
                                Tok::RBrace => {
                                    depth -= 1;
                                    if depth == 0 {
                                        self.advance();
                                        return Ok(());
                                    }
                                }
                                Tok::Eof => return self.unexpected("`}`"),
                                _ => {}
                            }
                            self.advance();
                        }
                    }
                    _ => self.unexpected("`{` or a name after `.`"),
                }
            }
            Tok::Global => {
                self.advance();
                loop {
                    match self.tok().kind {
                        Tok::LBracket => {
                            while self.tok().kind != Tok::RBracket {
                                if self.tok().kind == Tok::Eof {
                                    return self.unexpected("`]`");
                                }
                                self.advance();
                            }
                            self.advance();
                        }
                        Tok::Dot if self.tok_at(self.pos + 1).kind == Tok::Ident => {
                            self.advance();
                            self.advance();
                        }
                        _ => return Ok(()),
                    }
                }
            }
            _ => self.unexpected("an operand"),
        }
    }

    // ---- functions ----------------------------------------------------------------------

    fn fn_item(&mut self, exported: bool, span: Span) -> PResult<()> {
        self.advance();
        let (name, _) = self.decl_name()?;
        self.expect(Tok::LParen, "(")?;
        let f = &mut self.f;
        f.air = Air::default();
        f.scratch.clear();
        f.defined.clear();
        f.visible.clear();
        f.undo.clear();
        f.labels.clear();
        let mut params = Vec::new();
        while self.tok().kind != Tok::RParen {
            let t = self.tok();
            if t.kind != Tok::Local {
                return self.unexpected("a parameter `%name`");
            }
            self.advance();
            let pname = self.name(self.text(t));
            if self.f.defined.contains_key(pname) {
                return err(t.span(), format!("`%{}` is already defined", self.text(t)));
            }
            self.expect(Tok::Colon, ":")?;
            let ty = self.parse_type()?;
            let idx = self.f.air.len() as u32;
            let stored = if is_index_name(self.text(t), idx) {
                NO_NAME
            } else {
                pname
            };
            let i = self.f.air.add_inst(
                Tag::Arg,
                Data {
                    a: params.len() as u32,
                    b: 0,
                },
                ty,
                stored,
                t.span(),
            );
            self.f.scratch.push(i);
            self.define_value(pname, i, true);
            params.push(ty);
            self.list_sep(Tok::RParen, ")")?;
        }
        self.advance();
        let ret = self.parse_type()?;
        let callconv = self.callconv()?;
        let ty = self.intern(
            TypeKey::Fn {
                params: params.into(),
                ret,
                callconv,
            },
            span,
        )?;
        self.parse_body()?;
        let f = &mut self.f;
        let at = f.air.extra.len() as u32;
        f.air.extra.push(f.scratch.len() as u32);
        f.air.extra.extend_from_slice(&f.scratch);
        f.scratch.clear();
        f.air.main_body = at;
        let air = std::mem::take(&mut f.air);
        self.add_decl(name, exported, span, DeclKind::Fn(Function { ty, air }));
        Ok(())
    }

    fn define_value(&mut self, name: NameId, inst: u32, visible: bool) {
        self.f.defined.insert(name, inst);
        if visible {
            self.f.visible.insert(name, inst);
            self.f.undo.push(name);
        }
    }

    /// Parses `{ instructions }`, appending them to the scratch stack.
    fn parse_body(&mut self) -> PResult<()> {
        self.expect(Tok::LBrace, "{")?;
        self.enter()?;
        let mark = self.f.undo.len();
        loop {
            match self.tok().kind {
                Tok::RBrace => {
                    self.advance();
                    break;
                }
                Tok::Eof => return self.unexpected("`}`"),
                _ => {
                    self.parse_inst()?;
                    let t = self.tok();
                    if t.kind != Tok::RBrace
                        && t.kind != Tok::Eof
                        && t.line == self.toks[self.pos - 1].line
                    {
                        return self.unexpected("a new line after the instruction");
                    }
                }
            }
        }
        let f = &mut self.f;
        for n in f.undo.drain(mark..) {
            f.visible.remove(n);
        }
        self.leave();
        Ok(())
    }

    /// Moves the scratch stack above `start` to `extra` (prefixed by its length when `len`).
    fn flush(&mut self, start: usize, len: bool) -> u32 {
        let f = &mut self.f;
        let at = f.air.extra.len() as u32;
        if len {
            f.air.extra.push((f.scratch.len() - start) as u32);
        }
        f.air.extra.extend_from_slice(&f.scratch[start..]);
        f.scratch.truncate(start);
        at
    }

    fn operand(&mut self) -> PResult<Ref> {
        let t = self.tok();
        if t.kind == Tok::Local {
            self.advance();
            return self.local(t);
        }
        self.constant(true)
    }

    fn local(&mut self, t: Token) -> PResult<Ref> {
        let s = self.text(t);
        let n = self.name(s);
        if let Some(&i) = self.f.visible.get(n) {
            return Ok(Ref::inst(i));
        }
        match self.f.defined.get(n) {
            Some(&i) if self.f.air.tags[i as usize] == Tag::Loop => {
                err(t.span(), format!("`%{s}` is a loop label, not a value"))
            }
            Some(_) => err(t.span(), format!("`%{s}` is not in scope here")),
            None => err(t.span(), format!("`%{s}` is not defined")),
        }
    }

    /// A constant operand `VALUE:TYPE` (or `@name`, or any value when `!require_type`).
    fn constant(&mut self, require_type: bool) -> PResult<Ref> {
        let start = self.pos;
        let st = self.tok();
        self.skip_value()?;
        if self.tok().kind == Tok::Colon {
            self.advance();
            let ty = self.parse_type()?;
            let end = self.pos;
            self.pos = start;
            let v = self.parse_value(ty)?;
            self.pos = end;
            return Ok(self.f.air.add_const(ty, v));
        }
        if !require_type || st.kind == Tok::Global {
            self.pos = start;
            let v = self.parse_value(INFER)?;
            return Ok(self.f.air.add_const(INFER, v));
        }
        let text = self.text_since(start);
        if st.kind == Tok::Ident
            && !matches!(text, "undef" | "null" | "true" | "false" | "inf" | "nan")
            && !text.starts_with("error.")
        {
            return err(
                st.span(),
                format!("expected an operand, found `{}`", short(text)),
            );
        }
        err(
            st.span(),
            format!(
                "a constant operand must be written `VALUE:TYPE`, as in `{}:u32`",
                short(text)
            ),
        )
    }

    /// After an element of a list closed by `close`: a `,`, or the closing token (not eaten).
    fn list_sep(&mut self, close: Tok, close_text: &str) -> PResult<()> {
        match self.tok().kind {
            Tok::Comma => {
                self.advance();
                Ok(())
            }
            k if k == close => Ok(()),
            _ => self.unexpected(&format!("`{close_text}`")),
        }
    }

    fn comma(&mut self) -> PResult<()> {
        self.expect(Tok::Comma, ",").map(|_| ())
    }

    /// Parses one instruction into the open body.
    ///
    /// Bodies nest through this function, so it stays small: the instructions with bodies and
    /// the plain ones are each parsed by their own function.
    fn parse_inst(&mut self) -> PResult<()> {
        let head = self.inst_head()?;
        match head.tag.form() {
            Form::Block | Form::Loop => self.inst_block(head),
            Form::CondBr => self.inst_cond_br(head),
            Form::SwitchBr => {
                let x = self.operand()?;
                let i = self.add_inst(&head, Data { a: x.0, b: 0 }, TypeId::NORETURN);
                self.switch_cases(i)
            }
            _ => self.inst_plain(head),
        }
    }

    /// Reads `[%name =] op` and checks the name.
    fn inst_head(&mut self) -> PResult<InstHead> {
        let first = self.tok();
        let mut named = None;
        if first.kind == Tok::Local && self.tok_at(self.pos + 1).kind == Tok::Eq {
            named = Some((self.name(self.text(first)), first));
            self.advance();
            self.advance();
        }
        let op = self.tok();
        if op.kind != Tok::Ident {
            return self.unexpected("an instruction");
        }
        let op_text = self.text(op);
        let tag = match Tag::from_name(op_text) {
            Some(Tag::Arg) => {
                return err(
                    op.span(),
                    "`arg` cannot be written: parameters are declared in the signature",
                )
            }
            Some(tag) => tag,
            None => {
                return err(
                    op.span(),
                    format!("unknown instruction `{}`", short(op_text)),
                )
            }
        };
        self.advance();
        let idx = self.f.air.len() as u32;
        let mut stored = NO_NAME;
        if let Some((n, t)) = named {
            if !tag.has_result() && tag != Tag::Loop {
                return err(op.span(), format!("`{op_text}` has no result to name"));
            }
            if self.f.defined.contains_key(n) {
                return err(t.span(), format!("`%{}` is already defined", self.text(t)));
            }
            if !is_index_name(self.text(t), idx) {
                stored = n;
            }
        }
        Ok(InstHead {
            span: first.span(),
            op,
            tag,
            label: named.map_or(NO_NAME, |(n, _)| n),
            stored,
        })
    }

    /// Adds the instruction to the function and to the open body.
    fn add_inst(&mut self, head: &InstHead, data: Data, ty: TypeId) -> u32 {
        let i = self
            .f
            .air
            .add_inst(head.tag, data, ty, head.stored, head.span);
        self.f.scratch.push(i);
        i
    }

    /// `%b = block T { ... }` and `[%l =] loop { ... }`.
    fn inst_block(&mut self, head: InstHead) -> PResult<()> {
        let is_loop = head.tag == Tag::Loop;
        let ty = if is_loop {
            TypeId::NORETURN
        } else {
            self.parse_type()?
        };
        let i = self.add_inst(&head, Data::default(), ty);
        let label = head.label;
        if label != NO_NAME {
            self.define_value(label, i, false);
        }
        self.f.labels.push((label, i, is_loop));
        let start = self.f.scratch.len();
        self.parse_body()?;
        let at = self.flush(start, true);
        self.f.air.data[i as usize].a = at;
        self.f.labels.pop();
        if label != NO_NAME && !is_loop {
            self.define_value(label, i, true);
        }
        Ok(())
    }

    /// `cond_br %c { ... } else { ... }`.
    fn inst_cond_br(&mut self, head: InstHead) -> PResult<()> {
        let c = self.operand()?;
        let i = self.add_inst(&head, Data { a: c.0, b: 0 }, TypeId::NORETURN);
        let start = self.f.scratch.len();
        self.f.scratch.extend_from_slice(&[0, 0]);
        self.parse_body()?;
        self.f.scratch[start] = (self.f.scratch.len() - start - 2) as u32;
        self.expect_kw("else")?;
        let else_start = self.f.scratch.len();
        self.parse_body()?;
        self.f.scratch[start + 1] = (self.f.scratch.len() - else_start) as u32;
        let at = self.flush(start, false);
        self.f.air.data[i as usize].b = at;
        Ok(())
    }

    /// The instructions without bodies.
    fn inst_plain(&mut self, head: InstHead) -> PResult<()> {
        let tag = head.tag;
        let op = head.op;
        let span = head.span;
        let noreturn = if tag.is_terminator() && tag.form() != Form::Call {
            TypeId::NORETURN
        } else {
            TypeId::VOID
        };
        let none = Ref::NONE.0;
        let (data, ty) = match tag.form() {
            Form::Arg | Form::Block | Form::Loop | Form::CondBr | Form::SwitchBr => {
                unreachable!("parsed elsewhere")
            }
            Form::Bin | Form::BinNoResult => {
                let a = self.operand()?;
                self.comma()?;
                let b = self.operand()?;
                (Data { a: a.0, b: b.0 }, TypeId::VOID)
            }
            Form::Un => {
                let a = self.operand()?;
                (Data { a: a.0, b: none }, noreturn)
            }
            Form::TyOp => {
                let ty = self.parse_type()?;
                self.comma()?;
                let a = self.operand()?;
                (Data { a: a.0, b: none }, ty)
            }
            Form::TyBin => {
                let ty = self.parse_type()?;
                self.comma()?;
                let a = self.operand()?;
                self.comma()?;
                let b = self.operand()?;
                (Data { a: a.0, b: b.0 }, ty)
            }
            Form::Ternary => {
                let a = self.operand()?;
                self.comma()?;
                let b = self.operand()?;
                self.comma()?;
                let c = self.operand()?;
                let at = self.f.air.add_extra(&[a.0, b.0, c.0]);
                (Data { a: at, b: 0 }, TypeId::VOID)
            }
            Form::Field => {
                let a = self.operand()?;
                self.comma()?;
                let n = self.u32_lit()?;
                (Data { a: a.0, b: n }, TypeId::VOID)
            }
            Form::Alloc => {
                let ty = self.parse_type()?;
                (
                    Data::default(),
                    self.m.types.pointer(PtrSize::One, false, ty),
                )
            }
            Form::Aggregate => {
                let ty = self.parse_type()?;
                let start = self.f.scratch.len();
                self.f.scratch.push(0);
                while self.tok().kind == Tok::Comma {
                    self.advance();
                    let r = self.operand()?;
                    self.f.scratch.push(r.0);
                }
                self.f.scratch[start] = (self.f.scratch.len() - start - 1) as u32;
                let at = self.flush(start, false);
                (Data { a: at, b: 0 }, ty)
            }
            Form::UnionInit => {
                let ty = self.parse_type()?;
                self.comma()?;
                let n = self.u32_lit()?;
                self.comma()?;
                let a = self.operand()?;
                (Data { a: n, b: a.0 }, ty)
            }
            Form::Repeat => {
                let t = self.tok();
                let target = if t.kind == Tok::Local && t.line == op.line {
                    self.advance();
                    let n = self.name(self.text(t));
                    match self.f.labels.iter().rev().find(|l| l.0 == n && l.2) {
                        Some(l) => l.1,
                        None => {
                            return err(
                                span,
                                format!("`%{}` is not an enclosing loop", self.text(t)),
                            )
                        }
                    }
                } else {
                    match self.f.labels.iter().rev().find(|l| l.2) {
                        Some(l) => l.1,
                        None => return err(span, "`repeat` outside of a loop"),
                    }
                };
                (Data { a: target, b: 0 }, noreturn)
            }
            Form::Br => {
                let t = self.tok();
                if t.kind != Tok::Local {
                    return self.unexpected("a block label `%name`");
                }
                self.advance();
                let n = self.name(self.text(t));
                let block = match self.f.labels.iter().rev().find(|l| l.0 == n && !l.2) {
                    Some(l) => l.1,
                    None => {
                        return err(
                            span,
                            format!("`%{}` is not an enclosing block", self.text(t)),
                        )
                    }
                };
                let mut v = Ref::NONE;
                if self.tok().kind == Tok::Comma {
                    self.advance();
                    v = self.operand()?;
                }
                (Data { a: block, b: v.0 }, noreturn)
            }
            Form::Ret => {
                let t = self.tok();
                let v = if t.line == op.line && !matches!(t.kind, Tok::RBrace | Tok::Eof) {
                    self.operand()?
                } else {
                    Ref::NONE
                };
                (Data { a: v.0, b: 0 }, noreturn)
            }
            Form::NoOperands => (Data::default(), noreturn),
            Form::Call => {
                let callee = self.operand()?;
                self.expect(Tok::LParen, "(")?;
                let start = self.f.scratch.len();
                self.f.scratch.push(0);
                while self.tok().kind != Tok::RParen {
                    let r = self.operand()?;
                    self.f.scratch.push(r.0);
                    self.list_sep(Tok::RParen, ")")?;
                }
                self.advance();
                self.f.scratch[start] = (self.f.scratch.len() - start - 1) as u32;
                let at = self.flush(start, false);
                (Data { a: callee.0, b: at }, TypeId::VOID)
            }
            Form::MemorySize => {
                let n = self.u32_lit()?;
                (Data { a: n, b: 0 }, TypeId::VOID)
            }
            Form::MemoryGrow => {
                let n = self.u32_lit()?;
                self.comma()?;
                let a = self.operand()?;
                (Data { a: n, b: a.0 }, TypeId::VOID)
            }
            Form::DbgStmt => {
                let line = self.u32_lit()?;
                self.expect(Tok::Colon, ":")?;
                let col = self.u32_lit()?;
                (Data { a: line, b: col }, TypeId::VOID)
            }
        };
        let i = self.add_inst(&head, data, ty);
        if head.label != NO_NAME {
            self.define_value(head.label, i, true);
        }
        Ok(())
    }

    /// A switch case item: a value, typed by the operand unless written `VALUE:TYPE`.
    fn switch_item(&mut self) -> PResult<u32> {
        Ok(self.constant(false)?.0)
    }

    /// Parses `{ cases }` of the `switch_br` at `inst` into the documented extra layout.
    fn switch_cases(&mut self, inst: u32) -> PResult<()> {
        self.expect(Tok::LBrace, "{")?;
        let start = self.f.scratch.len();
        self.f.scratch.extend_from_slice(&[0, 0]);
        let mut items: Vec<u32> = Vec::new();
        let mut ranges: Vec<u32> = Vec::new();
        loop {
            if self.tok().kind == Tok::RBrace {
                self.advance();
                break;
            }
            if self.is_kw("else") && self.tok_at(self.pos + 1).kind == Tok::FatArrow {
                self.advance();
                self.advance();
                self.f.scratch[start + 1] = 1;
                let len_at = self.f.scratch.len();
                self.f.scratch.push(0);
                self.parse_body()?;
                self.f.scratch[len_at] = (self.f.scratch.len() - len_at - 1) as u32;
                if self.tok().kind == Tok::Comma {
                    self.advance();
                }
                self.expect(Tok::RBrace, "}")?;
                break;
            }
            items.clear();
            ranges.clear();
            loop {
                let lo = self.switch_item()?;
                if self.tok().kind == Tok::Ellipsis {
                    self.advance();
                    let hi = self.switch_item()?;
                    ranges.extend_from_slice(&[lo, hi]);
                } else {
                    items.push(lo);
                }
                if self.tok().kind == Tok::FatArrow {
                    self.advance();
                    break;
                }
                if self.tok().kind != Tok::Comma {
                    return self.unexpected("`,` or `=>`");
                }
                self.advance();
            }
            let h = self.f.scratch.len();
            self.f
                .scratch
                .extend_from_slice(&[items.len() as u32, (ranges.len() / 2) as u32, 0]);
            self.f.scratch.extend_from_slice(&items);
            self.f.scratch.extend_from_slice(&ranges);
            let body_start = self.f.scratch.len();
            self.parse_body()?;
            self.f.scratch[h + 2] = (self.f.scratch.len() - body_start) as u32;
            self.f.scratch[start] += 1;
            if self.tok().kind == Tok::Comma {
                self.advance();
            }
        }
        let at = self.flush(start, false);
        self.f.air.data[inst as usize].b = at;
        Ok(())
    }
}

/// Names that cannot name a type.
fn is_reserved(s: &str) -> bool {
    matches!(
        s,
        "struct"
            | "extern"
            | "enum"
            | "union"
            | "error"
            | "fn"
            | "const"
            | "var"
            | "type"
            | "export"
            | "callconv"
            | "errors"
            | "target"
    ) || s.starts_with("error.")
}

/// How a token is named in a message: `` `x` `` or "end of file".
fn describe(src: &str, t: &Token) -> String {
    let text = &src[t.start as usize..t.end as usize];
    match t.kind {
        Tok::Eof => "end of file".to_string(),
        Tok::Str(_) => "a string".to_string(),
        Tok::Local => format!("`%{}`", short(text)),
        Tok::Global => format!("`@{}`", short(text)),
        _ => format!("`{}`", short(text)),
    }
}
