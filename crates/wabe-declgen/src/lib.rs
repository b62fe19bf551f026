//! # wabe-declgen
//!
//! Declaration code generation: a typed constant (IR.md section 4) becomes the bytes of a
//! `const`/`var` declaration, or of an anonymous read-only constant owned by a function, with
//! the exact layout of `wabe-types` (padding bytes zero, `undef` bytes `0xaa`). Pointers
//! inside the data are not resolved here: each becomes a relocation created through the
//! linker's `get_decl_vaddr(source symbol, target symbol, offset, addend)`, which picks a
//! memory-address relocation for data, or a table-index relocation (and a table slot) for a
//! function. A pointer to an element or field inside a declaration (`@table[77]`, `@p.x`) is
//! a relocation against the declaration with the element's offset as addend, never a copy.
//!
//! As in the Zig seed this crate follows, code generation for data has two steps:
//!
//! ```text
//!  (TypeId, &Value) ──lower──▶ Blob { bytes, align, pointers: [(offset, target, addend)] }
//!                                 │  target: a declaration, or anonymous bytes ("text")
//!                                 ▼
//!  generate_decl / generate_constant, through a [`Context`] (the linker):
//!      define the data ─▶ anonymous bytes become local atoms of the owner ─▶ get_decl_vaddr
//! ```
//!
//! [`lower`] is pure and needs only the module. The second step talks to the linker through
//! the [`Context`] trait, so this crate does not depend on the linker (the driver implements
//! the trait over `wabe_link::Linker`). A string behind a `[]const u8` (or `*const [N]u8`,
//! `[*]const u8`) field becomes an anonymous read-only local atom of the declaration that owns
//! it; identical strings of one owner share one atom (and the linker stores identical
//! anonymous constants of different owners once).
//!
//! A `var` whose value is wholly `undef` or zero (and holds no pointer) is defined as
//! zero-filled data, which the linker places in `.bss`: it costs no bytes in the file and
//! none in memory here either, however large it is.
//!
//! This crate never calls function code generation; funcgen may call it (its
//! `lower_constant` hook is implemented with [`generate_constant`], and
//! [`resolve_decl_addr`] gives the addend of `@name[i].f` operands).
//!
//! # Example
//!
//! ```
//! use wabe_declgen::{generate_decl, Context};
//! use wabe_mir::SymbolIndex;
//!
//! // A linker stand-in that records what declgen asks for.
//! #[derive(Default)]
//! struct Recorder {
//!     data: Vec<(SymbolIndex, Vec<u8>, u32, bool)>,
//!     locals: Vec<(SymbolIndex, Vec<u8>)>,
//!     relocs: Vec<(SymbolIndex, SymbolIndex, u32, i64)>,
//! }
//! impl Context for Recorder {
//!     fn decl_symbol(&mut self, decl: wabe_air::DeclIndex) -> Option<SymbolIndex> {
//!         Some(SymbolIndex(decl.0))
//!     }
//!     fn define_data(&mut self, sym: SymbolIndex, bytes: Vec<u8>, align: u32, mutable: bool) -> Result<(), String> {
//!         self.data.push((sym, bytes, align, mutable));
//!         Ok(())
//!     }
//!     fn define_zeros(&mut self, _sym: SymbolIndex, _size: u64, _align: u32) -> Result<(), String> {
//!         Ok(())
//!     }
//!     fn add_local_data(&mut self, owner: SymbolIndex, bytes: Vec<u8>, _align: u32) -> Result<SymbolIndex, String> {
//!         self.locals.push((owner, bytes));
//!         Ok(SymbolIndex(100 + self.locals.len() as u32))
//!     }
//!     fn get_decl_vaddr(&mut self, src: SymbolIndex, target: SymbolIndex, offset: u32, addend: i64) -> Result<u64, String> {
//!         self.relocs.push((src, target, offset, addend));
//!         Ok(0)
//!     }
//! }
//!
//! let src = "
//! type Entry = extern struct { name: []const u8, value: u16, next: ?*const Entry }
//! const table: [2]Entry = .{ .{ \"one\", 1, null }, .{ \"two\", 2, @table[0] } }
//! ";
//! let mut m = wabe_air::parse(src).unwrap();
//! wabe_air::verify(&mut m).unwrap();
//! let mut linker = Recorder::default();
//! let table = m.decl_by_name(m.types.names.get("table").unwrap()).unwrap();
//! generate_decl(&m, table, &mut linker).unwrap();
//!
//! // Two 16-byte entries: { name.ptr, name.len, value, (2 bytes padding), next }.
//! let (_, bytes, align, mutable) = &linker.data[0];
//! assert_eq!((bytes.len(), *align, *mutable), (32, 4, false));
//! assert_eq!(bytes[4..10], [3, 0, 0, 0, 1, 0]);
//! assert_eq!(bytes[16 + 4..16 + 10], [3, 0, 0, 0, 2, 0]);
//! // The strings are local atoms of `table`; `table[1].next` points at `table[0]`.
//! assert_eq!(linker.locals, [(SymbolIndex(0), b"one".to_vec()), (SymbolIndex(0), b"two".to_vec())]);
//! assert_eq!(
//!     linker.relocs,
//!     [
//!         (SymbolIndex(0), SymbolIndex(101), 0, 0),
//!         (SymbolIndex(0), SymbolIndex(102), 16, 0),
//!         (SymbolIndex(0), SymbolIndex(0), 28, 0),
//!     ]
//! );
//! ```

#![deny(missing_docs)]

mod addr;
mod lower;

pub use addr::{resolve_decl_addr, ResolvedAddr};
pub use lower::{lower, MAX_INITIALIZED_BYTES};

use wabe_air::{DeclIndex, DeclKind, Module};
use wabe_mir::SymbolIndex;
use wabe_types::{TypeId, Value};

/// The byte written for `undef` in data (as Zig does), so that reads of undefined memory are
/// recognisable.
pub const UNDEF_BYTE: u8 = 0xaa;

/// A lowered constant: its bytes and the pointer fields in them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob<'v> {
    /// The bytes; pointer fields hold zero placeholders.
    pub bytes: Vec<u8>,
    /// The alignment of the constant's type.
    pub align: u32,
    /// The pointer fields, by increasing offset.
    pub pointers: Vec<Pointer<'v>>,
    /// Whether every byte that is not `undef` is zero and there is no pointer: a `var` with
    /// such a value is zero-initialised (`.bss`).
    pub zero: bool,
}

/// A pointer field inside a [`Blob`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer<'v> {
    /// Its offset in the blob. The field is pointer-sized (4 bytes, 8 on wasm64).
    pub offset: u32,
    /// What it points to.
    pub target: Target<'v>,
    /// Added to the target's address (the offset of an element or field, or a slice start).
    /// Always 0 for a function.
    pub addend: i64,
}

/// The target of a [`Pointer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target<'v> {
    /// A declaration: data (a memory address) or a function (a table index).
    Decl(DeclIndex),
    /// Anonymous read-only bytes (a string literal behind a pointer or slice).
    Bytes(&'v [u8]),
}

/// What declaration code generation needs from the linker. Errors are messages; declgen wraps
/// them with the declaration's name.
pub trait Context {
    /// The linker symbol of a declaration (a data symbol for a `const`/`var`, a function
    /// symbol for a `fn` or `extern fn`), or `None` if it has none.
    fn decl_symbol(&mut self, decl: DeclIndex) -> Option<SymbolIndex>;
    /// Defines (or redefines) the contents of a data symbol, replacing its relocations.
    fn define_data(
        &mut self,
        sym: SymbolIndex,
        bytes: Vec<u8>,
        align: u32,
        mutable: bool,
    ) -> Result<(), String>;
    /// Defines a data symbol as `size` zero bytes (`.bss` for a `var`).
    fn define_zeros(&mut self, sym: SymbolIndex, size: u64, align: u32) -> Result<(), String>;
    /// Adds anonymous read-only data owned by `owner`'s atom (a local atom) and returns its
    /// symbol.
    fn add_local_data(
        &mut self,
        owner: SymbolIndex,
        bytes: Vec<u8>,
        align: u32,
    ) -> Result<SymbolIndex, String>;
    /// Records that the data of `src` holds, at `offset`, the address of `target` plus
    /// `addend` (a table index for a function). Returns the placeholder written there.
    fn get_decl_vaddr(
        &mut self,
        src: SymbolIndex,
        target: SymbolIndex,
        offset: u32,
        addend: i64,
    ) -> Result<u64, String>;
}

/// Why a declaration or constant could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`@{name}`: {message}")]
pub struct Error {
    /// The declaration (or, for a constant operand, the function) it is about.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

/// Generates the data of a `const` or `var` declaration: lowers its value, defines its
/// symbol's data through `ctx`, gives the anonymous strings it points to local atoms, and
/// records every pointer field with `get_decl_vaddr` (after defining the bytes, as the linker
/// requires). A `var` whose value is wholly `undef` or zero becomes zero-filled `.bss` data
/// without allocating its bytes.
pub fn generate_decl<C: Context + ?Sized>(
    module: &Module,
    decl: DeclIndex,
    ctx: &mut C,
) -> Result<(), Error> {
    let Some(d) = module.decls.get(decl.0 as usize) else {
        return Err(Error {
            name: format!("decl{}", decl.0),
            message: "no such declaration".into(),
        });
    };
    let name = module.name_str(d.name);
    let fail = |message: String| Error {
        name: name.to_string(),
        message,
    };
    let (global, mutable) = match &d.kind {
        DeclKind::Const(g) => (g, false),
        DeclKind::Var(g) => (g, true),
        _ => return Err(fail("not a `const` or `var` declaration".into())),
    };
    let pool = &module.types;
    if (global.ty.0 as usize) >= pool.len() {
        return Err(fail(format!("type id {} does not exist", global.ty.0)));
    }
    let sym = ctx
        .decl_symbol(decl)
        .ok_or_else(|| fail("the declaration has no linker symbol".into()))?;
    let (size, align) = (pool.abi_size(global.ty), pool.abi_align(global.ty) as u32);
    if mutable && matches!(global.value, Value::Undef) {
        return ctx.define_zeros(sym, size, align).map_err(fail);
    }
    let blob = lower(module, global.ty, &global.value, UNDEF_BYTE).map_err(fail)?;
    if mutable && blob.zero {
        return ctx.define_zeros(sym, size, align).map_err(fail);
    }
    ctx.define_data(sym, blob.bytes, blob.align, mutable)
        .map_err(fail)?;
    let targets = anonymous_targets(module, &blob.pointers, sym, ctx).map_err(fail)?;
    record_pointers(&blob.pointers, &targets, sym, ctx).map_err(fail)
}

/// Generates a constant operand of a function (or any anonymous constant owned by `owner`):
/// lowers it into anonymous read-only data, a local atom of `owner`'s atom, and returns the
/// data symbol whose address is the constant's address. Strings it points to become local
/// atoms of `owner` too, created first (so that an identical constant elsewhere, whose strings
/// are identical too, can share the bytes). `owner_name` names the owner in errors.
pub fn generate_constant<C: Context + ?Sized>(
    module: &Module,
    ty: TypeId,
    value: &Value,
    owner: SymbolIndex,
    owner_name: &str,
    ctx: &mut C,
) -> Result<SymbolIndex, Error> {
    let fail = |message: String| Error {
        name: owner_name.to_string(),
        message,
    };
    let blob = lower(module, ty, value, UNDEF_BYTE).map_err(fail)?;
    let targets = anonymous_targets(module, &blob.pointers, owner, ctx).map_err(fail)?;
    let sym = ctx
        .add_local_data(owner, blob.bytes, blob.align)
        .map_err(fail)?;
    record_pointers(&blob.pointers, &targets, sym, ctx).map_err(fail)?;
    Ok(sym)
}

/// The symbol of every pointer's target, creating a local atom of `owner` for each distinct
/// anonymous string.
fn anonymous_targets<C: Context + ?Sized>(
    module: &Module,
    pointers: &[Pointer<'_>],
    owner: SymbolIndex,
    ctx: &mut C,
) -> Result<Vec<SymbolIndex>, String> {
    let mut strings: Vec<(&[u8], SymbolIndex)> = Vec::new();
    let mut out = Vec::with_capacity(pointers.len());
    for p in pointers {
        let sym = match p.target {
            Target::Decl(d) => ctx.decl_symbol(d).ok_or_else(|| {
                format!(
                    "`@{}` has no linker symbol",
                    module.name_str(module.decl(d).name)
                )
            })?,
            Target::Bytes(b) => match strings.iter().find(|(s, _)| *s == b) {
                Some(&(_, sym)) => sym,
                None => {
                    let sym = ctx.add_local_data(owner, b.to_vec(), 1)?;
                    strings.push((b, sym));
                    sym
                }
            },
        };
        out.push(sym);
    }
    Ok(out)
}

fn record_pointers<C: Context + ?Sized>(
    pointers: &[Pointer<'_>],
    targets: &[SymbolIndex],
    src: SymbolIndex,
    ctx: &mut C,
) -> Result<(), String> {
    for (p, &target) in pointers.iter().zip(targets) {
        ctx.get_decl_vaddr(src, target, p.offset, p.addend)?;
    }
    Ok(())
}
