//! Building function bodies from a compiler, without going through text.

use crate::air::{Air, Ref, Span, NO_NAME};
use crate::inst::{Data, Tag};
use wabe_types::{NameId, TypeId, Value};

/// Builds one function's [`Air`]: instructions are appended to the innermost open body.
///
/// Result types that follow from the operands may be given as [`TypeId::VOID`]; the verifier
/// computes them. Instructions with an explicit result type (casts, `alloc`, `block`) take it.
#[derive(Debug, Default)]
pub struct FuncBuilder {
    /// The function being built.
    pub air: Air,
    scratch: Vec<u32>,
    frames: Vec<usize>,
    span: Span,
}

impl FuncBuilder {
    /// A builder whose main body is open.
    pub fn new() -> Self {
        let mut b = FuncBuilder::default();
        b.begin_body();
        b
    }

    /// Sets the source position recorded for the next instructions.
    pub fn set_span(&mut self, span: Span) {
        self.span = span;
    }

    /// Opens a nested body.
    pub fn begin_body(&mut self) {
        self.frames.push(self.scratch.len());
    }

    /// Closes the innermost body, storing it in `extra`; returns its extra index.
    pub fn end_body(&mut self) -> u32 {
        let start = self.frames.pop().unwrap_or(0);
        let at = self.air.extra.len() as u32;
        self.air.extra.push((self.scratch.len() - start) as u32);
        self.air.extra.extend_from_slice(&self.scratch[start..]);
        self.scratch.truncate(start);
        at
    }

    /// Appends an instruction to the open body.
    pub fn push(&mut self, tag: Tag, data: Data, ty: TypeId, name: NameId) -> Ref {
        let i = self.air.add_inst(tag, data, ty, name, self.span);
        self.scratch.push(i);
        Ref::inst(i)
    }

    /// Creates an instruction that is not yet in a body (for `block`/`loop`, whose body is
    /// filled later); add it with [`FuncBuilder::append`].
    pub fn create(&mut self, tag: Tag, ty: TypeId, name: NameId) -> u32 {
        self.air.add_inst(tag, Data::default(), ty, name, self.span)
    }

    /// Appends an instruction made with [`FuncBuilder::create`] to the open body.
    pub fn append(&mut self, inst: u32) {
        self.scratch.push(inst);
    }

    /// A constant operand.
    pub fn constant(&mut self, ty: TypeId, value: Value) -> Ref {
        self.air.add_const(ty, value)
    }

    /// The `index`th parameter (call these first, in order).
    pub fn arg(&mut self, index: u32, ty: TypeId, name: NameId) -> Ref {
        self.push(Tag::Arg, Data { a: index, b: 0 }, ty, name)
    }

    /// A two-operand instruction (`add`, `cmp_lt`, `store`, ...).
    pub fn bin(&mut self, tag: Tag, lhs: Ref, rhs: Ref) -> Ref {
        self.push(tag, Data { a: lhs.0, b: rhs.0 }, TypeId::VOID, NO_NAME)
    }

    /// A one-operand instruction (`not`, `load`, `is_null`, ...).
    pub fn un(&mut self, tag: Tag, operand: Ref) -> Ref {
        self.push(
            tag,
            Data {
                a: operand.0,
                b: Ref::NONE.0,
            },
            TypeId::VOID,
            NO_NAME,
        )
    }

    /// A cast-like instruction with an explicit result type.
    pub fn ty_op(&mut self, tag: Tag, ty: TypeId, operand: Ref) -> Ref {
        self.push(
            tag,
            Data {
                a: operand.0,
                b: Ref::NONE.0,
            },
            ty,
            NO_NAME,
        )
    }

    /// `alloc T`; `ptr_ty` is `*T`.
    pub fn alloc(&mut self, ptr_ty: TypeId) -> Ref {
        self.push(Tag::Alloc, Data::default(), ptr_ty, NO_NAME)
    }

    /// `ret` (`Ref::NONE` for a void return).
    pub fn ret(&mut self, value: Ref) {
        self.push(
            Tag::Ret,
            Data { a: value.0, b: 0 },
            TypeId::NORETURN,
            NO_NAME,
        );
    }

    /// `br %block, value`.
    pub fn br(&mut self, block: Ref, value: Ref) {
        self.push(
            Tag::Br,
            Data {
                a: block.0,
                b: value.0,
            },
            TypeId::NORETURN,
            NO_NAME,
        );
    }

    /// `repeat` to the loop instruction `lp`.
    pub fn repeat(&mut self, lp: Ref) {
        self.push(
            Tag::Repeat,
            Data { a: lp.0, b: 0 },
            TypeId::NORETURN,
            NO_NAME,
        );
    }

    /// A call; `args` are the operands.
    pub fn call(&mut self, callee: Ref, args: &[Ref]) -> Ref {
        let at = self.air.extra.len() as u32;
        self.air.extra.push(args.len() as u32);
        self.air.extra.extend(args.iter().map(|r| r.0));
        self.push(
            Tag::Call,
            Data { a: callee.0, b: at },
            TypeId::VOID,
            NO_NAME,
        )
    }

    /// Starts `block T`: returns the block; build its body, then call
    /// [`FuncBuilder::end_block`].
    pub fn begin_block(&mut self, ty: TypeId) -> Ref {
        let b = self.push(Tag::Block, Data::default(), ty, NO_NAME);
        self.begin_body();
        b
    }

    /// Ends the body of a block (or loop) started with [`FuncBuilder::begin_block`] or
    /// [`FuncBuilder::begin_loop`].
    pub fn end_block(&mut self, block: Ref) {
        let body = self.end_body();
        if let Some(i) = block.to_inst() {
            self.air.data[i as usize].a = body;
        }
    }

    /// Starts a `loop`; end it with [`FuncBuilder::end_block`].
    pub fn begin_loop(&mut self) -> Ref {
        let l = self.push(Tag::Loop, Data::default(), TypeId::NORETURN, NO_NAME);
        self.begin_body();
        l
    }

    /// Adds `cond_br cond { then } else { else }` with bodies built by the closures.
    pub fn cond_br(
        &mut self,
        cond: Ref,
        then_body: impl FnOnce(&mut FuncBuilder),
        else_body: impl FnOnce(&mut FuncBuilder),
    ) {
        let inst = self.push(
            Tag::CondBr,
            Data { a: cond.0, b: 0 },
            TypeId::NORETURN,
            NO_NAME,
        );
        self.begin_body();
        then_body(self);
        let t = self.end_body();
        self.begin_body();
        else_body(self);
        let e = self.end_body();
        let (tb, eb) = (self.air.body(t).to_vec(), self.air.body(e).to_vec());
        let at = self.air.extra.len() as u32;
        self.air.extra.push(tb.len() as u32);
        self.air.extra.push(eb.len() as u32);
        self.air.extra.extend_from_slice(&tb);
        self.air.extra.extend_from_slice(&eb);
        if let Some(i) = inst.to_inst() {
            self.air.data[i as usize].b = at;
        }
    }

    /// Closes the main body and returns the finished [`Air`].
    pub fn finish(mut self) -> Air {
        while self.frames.len() > 1 {
            self.end_body();
        }
        self.air.main_body = self.end_body();
        self.air
    }
}
