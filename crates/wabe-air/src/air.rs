//! The function IR in data-oriented form: parallel instruction arrays, one `extra` array, and a
//! constant pool, with bodies as ranges of `extra`.

use crate::inst::{Data, Form, Tag};
use std::fmt;
use wabe_types::{NameId, TypeId, Value};

/// An operand: an instruction's result, a constant from the pool, or nothing.
///
/// Instruction indices are below `2^31`; constants have the top bit set.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Ref(pub u32);

const CONST_BIT: u32 = 1 << 31;

impl Ref {
    /// No operand.
    pub const NONE: Ref = Ref(u32::MAX);

    /// The result of instruction `index`.
    pub fn inst(index: u32) -> Ref {
        debug_assert!(index < CONST_BIT);
        Ref(index)
    }

    /// Constant `index` of the pool.
    pub fn constant(index: u32) -> Ref {
        debug_assert!(index < CONST_BIT - 1);
        Ref(index | CONST_BIT)
    }

    /// The instruction index, if this refers to an instruction.
    pub fn to_inst(self) -> Option<u32> {
        (self.0 & CONST_BIT == 0).then_some(self.0)
    }

    /// The constant index, if this refers to a constant.
    pub fn to_const(self) -> Option<u32> {
        (self != Ref::NONE && self.0 & CONST_BIT != 0).then_some(self.0 & !CONST_BIT)
    }

    /// Whether this is [`Ref::NONE`].
    pub fn is_none(self) -> bool {
        self == Ref::NONE
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            write!(f, "none")
        } else if let Some(c) = self.to_const() {
            write!(f, "c{c}")
        } else {
            write!(f, "%{}", self.0)
        }
    }
}

/// A position in IR text: 1-based line and column (0:0 when unknown, e.g. built by API).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct Span {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub col: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A typed constant operand.
#[derive(Clone, PartialEq, Debug)]
pub struct Constant {
    /// Its type. [`TypeId::INFER`](crate::INFER) until the verifier has typed it (switch case
    /// items, which take the operand's type, and `@name` addresses).
    pub ty: TypeId,
    /// Its value.
    pub value: Value,
}

/// Marks a constant whose type the verifier infers from context.
pub const INFER: TypeId = TypeId(u32::MAX);

/// Marks an instruction without a source name (printed as `%N`).
pub const NO_NAME: NameId = NameId(u32::MAX);

/// One function's instructions.
#[derive(Clone, Debug, Default)]
pub struct Air {
    /// What each instruction does.
    pub tags: Vec<Tag>,
    /// Each instruction's operands (see [`Form`]).
    pub data: Vec<Data>,
    /// Each instruction's result type (`void` or `noreturn` when there is none). Filled in by
    /// the verifier for instructions whose type is implied by their operands.
    pub types: Vec<TypeId>,
    /// Where each instruction is in the source.
    pub spans: Vec<Span>,
    /// Each instruction's `%name` ([`NO_NAME`] when it has none).
    pub names: Vec<NameId>,
    /// Operands that do not fit in [`Data`], and bodies.
    pub extra: Vec<u32>,
    /// The constant pool.
    pub consts: Vec<Constant>,
    /// The extra index of the main body.
    pub main_body: u32,
}

/// The two bodies of a `cond_br`.
#[derive(Copy, Clone, Debug)]
pub struct CondBrExtra<'a> {
    /// Runs when the condition is true.
    pub then_body: &'a [u32],
    /// Runs when it is false.
    pub else_body: &'a [u32],
}

/// One case of a `switch_br`.
#[derive(Copy, Clone, Debug)]
pub struct SwitchCase<'a> {
    /// Single values (raw [`Ref`]s, constants).
    pub items: &'a [u32],
    /// Inclusive ranges as `[lo, hi]` pairs of raw `Ref`s.
    pub ranges: &'a [u32],
    /// The body.
    pub body: &'a [u32],
}

/// The decoded operands of a `switch_br`.
///
/// Extra layout: `case_count, has_else`, then per case `item_count, range_count, body_len,
/// items..., (lo, hi)..., body...`, then (when `has_else`) `else_len, else body...`.
#[derive(Clone, Debug)]
pub struct SwitchBrExtra<'a> {
    /// The cases in order.
    pub cases: Vec<SwitchCase<'a>>,
    /// The `else` body, if written.
    pub else_body: Option<&'a [u32]>,
}

impl Air {
    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there are no instructions.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Appends an instruction (not yet part of any body) and returns its index.
    pub fn add_inst(&mut self, tag: Tag, data: Data, ty: TypeId, name: NameId, span: Span) -> u32 {
        let i = self.tags.len() as u32;
        self.tags.push(tag);
        self.data.push(data);
        self.types.push(ty);
        self.spans.push(span);
        self.names.push(name);
        i
    }

    /// Adds a constant to the pool (re-using an identical one) and returns its operand.
    pub fn add_const(&mut self, ty: TypeId, value: Value) -> Ref {
        // Small pools are scanned; constants are few per function.
        if self.consts.len() < 64 {
            if let Some(i) = self
                .consts
                .iter()
                .position(|c| c.ty == ty && c.value == value)
            {
                return Ref::constant(i as u32);
            }
        }
        self.consts.push(Constant { ty, value });
        Ref::constant(self.consts.len() as u32 - 1)
    }

    /// Appends words to `extra`, returning the index of the first.
    pub fn add_extra(&mut self, words: &[u32]) -> u32 {
        let i = self.extra.len() as u32;
        self.extra.extend_from_slice(words);
        i
    }

    /// The instructions of the body stored at extra index `at`.
    pub fn body(&self, at: u32) -> &[u32] {
        let at = at as usize;
        let len = self.extra[at] as usize;
        &self.extra[at + 1..at + 1 + len]
    }

    /// The main body.
    pub fn main(&self) -> &[u32] {
        self.body(self.main_body)
    }

    /// The type of an operand.
    pub fn type_of(&self, r: Ref) -> TypeId {
        if let Some(c) = r.to_const() {
            self.consts[c as usize].ty
        } else if let Some(i) = r.to_inst() {
            self.types[i as usize]
        } else {
            TypeId::VOID
        }
    }

    /// The constant behind an operand, if it is one.
    pub fn constant(&self, r: Ref) -> Option<&Constant> {
        r.to_const().map(|c| &self.consts[c as usize])
    }

    /// The bodies of the `cond_br` at `inst`.
    pub fn cond_br(&self, inst: u32) -> CondBrExtra<'_> {
        let at = self.data[inst as usize].b as usize;
        let (tl, el) = (self.extra[at] as usize, self.extra[at + 1] as usize);
        let then_body = &self.extra[at + 2..at + 2 + tl];
        let else_body = &self.extra[at + 2 + tl..at + 2 + tl + el];
        CondBrExtra {
            then_body,
            else_body,
        }
    }

    /// The cases of the `switch_br` at `inst`.
    pub fn switch_br(&self, inst: u32) -> SwitchBrExtra<'_> {
        let mut at = self.data[inst as usize].b as usize;
        let count = self.extra[at] as usize;
        let has_else = self.extra[at + 1] != 0;
        at += 2;
        let mut cases = Vec::with_capacity(count);
        for _ in 0..count {
            let (ni, nr, nb) = (
                self.extra[at] as usize,
                self.extra[at + 1] as usize,
                self.extra[at + 2] as usize,
            );
            at += 3;
            let items = &self.extra[at..at + ni];
            at += ni;
            let ranges = &self.extra[at..at + 2 * nr];
            at += 2 * nr;
            let body = &self.extra[at..at + nb];
            at += nb;
            cases.push(SwitchCase {
                items,
                ranges,
                body,
            });
        }
        let else_body = has_else.then(|| {
            let n = self.extra[at] as usize;
            &self.extra[at + 1..at + 1 + n]
        });
        SwitchBrExtra { cases, else_body }
    }

    /// The arguments of the call at `inst`.
    pub fn call_args(&self, inst: u32) -> &[u32] {
        let at = self.data[inst as usize].b as usize;
        let n = self.extra[at] as usize;
        &self.extra[at + 1..at + 1 + n]
    }

    /// The elements of the `aggregate_init` at `inst`.
    pub fn aggregate_elems(&self, inst: u32) -> &[u32] {
        let at = self.data[inst as usize].a as usize;
        let n = self.extra[at] as usize;
        &self.extra[at + 1..at + 1 + n]
    }

    /// The three operands of a `memset`/`memcpy` at `inst`.
    pub fn ternary(&self, inst: u32) -> [Ref; 3] {
        let at = self.data[inst as usize].a as usize;
        [
            Ref(self.extra[at]),
            Ref(self.extra[at + 1]),
            Ref(self.extra[at + 2]),
        ]
    }

    /// Calls `f` with every operand of instruction `inst` (not the contents of nested bodies).
    pub fn for_each_operand(&self, inst: u32, mut f: impl FnMut(Ref)) {
        let d = self.data[inst as usize];
        let tag = self.tags[inst as usize];
        let mut some = |r: Ref| {
            if !r.is_none() {
                f(r)
            }
        };
        match tag.form() {
            Form::Bin | Form::BinNoResult | Form::TyBin => {
                some(Ref(d.a));
                some(Ref(d.b));
            }
            Form::Un | Form::TyOp | Form::Field | Form::Ret | Form::CondBr | Form::SwitchBr => {
                some(Ref(d.a))
            }
            Form::Br | Form::UnionInit | Form::MemoryGrow => some(Ref(d.b)),
            Form::Ternary => {
                for r in self.ternary(inst) {
                    some(r)
                }
            }
            Form::Aggregate => {
                for &r in self.aggregate_elems(inst) {
                    some(Ref(r))
                }
            }
            Form::Call => {
                some(Ref(d.a));
                for &r in self.call_args(inst) {
                    some(Ref(r))
                }
            }
            Form::Arg
            | Form::Alloc
            | Form::Block
            | Form::Loop
            | Form::Repeat
            | Form::NoOperands
            | Form::MemorySize
            | Form::DbgStmt => {}
        }
    }

    /// Calls `f` with each nested body of instruction `inst` (as instruction slices).
    pub fn for_each_body(&self, inst: u32, mut f: impl FnMut(&[u32])) {
        let d = self.data[inst as usize];
        match self.tags[inst as usize].form() {
            Form::Block | Form::Loop => f(self.body(d.a)),
            Form::CondBr => {
                let c = self.cond_br(inst);
                f(c.then_body);
                f(c.else_body);
            }
            Form::SwitchBr => {
                let s = self.switch_br(inst);
                for case in &s.cases {
                    f(case.body);
                }
                if let Some(e) = s.else_body {
                    f(e);
                }
            }
            _ => {}
        }
    }
}
