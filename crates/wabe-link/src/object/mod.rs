//! Relocatable objects: writing them ([`Linker::flush_object`](crate::Linker::flush_object))
//! and linking them ([`link`]).
//!
//! # Linking objects
//!
//! [`link`] takes objects (from wabe, clang as `zig cc -c`, or `zig build-obj`) and `ar`
//! archives, and writes an executable with the memory layout and options of wabe's own
//! linker ([`LinkOptions`]):
//!
//! 1. **Read** each object ([`read`]): types, functions, globals, data segments, the `linking`
//!    section and the relocations, each moved to the body or segment it patches.
//! 2. **Resolve** names across objects: a strong definition beats a weak one, two strong ones
//!    are a [`ObjectError::Duplicate`], a function's signature must agree everywhere it is
//!    defined or referenced ([`ObjectError::SignatureMismatch`]), and a name is one kind of
//!    symbol. Local symbols stay in their object. A comdat seen before discards the later
//!    copy's members. An archive member is loaded when it defines a name that is still
//!    undefined and strongly referenced, until nothing changes.
//! 3. **Mark** (garbage collection, on unless `link.gc_sections` is off): from exported
//!    (`EXPORTED`) and `NO_STRIP` symbols (with `export_all`, every defined global function),
//!    `--export` names and the entry, through the relocations of each live function and data
//!    segment. `__wasm_call_ctors`, when referenced, is synthesized and calls the init
//!    functions by priority.
//! 4. **Undefined** names that are referenced: a function with an explicit import name (or
//!    any, with `allow_undefined`) becomes an import; a weak function becomes a stub that
//!    traps (its address is 0); weak or allowed data has address 0; anything else is
//!    [`ObjectError::Undefined`]. Linker-provided: `__stack_pointer`,
//!    `__indirect_function_table`, `__heap_base`, `__heap_end`, `__data_end`,
//!    `__global_base`, `__dso_handle`, `__stack_low`, `__stack_high`.
//! 5. **Lay out** and **write**: segments merged by name prefix into `.rodata`, `.data`,
//!    `.bss`; table slots from 1 in output order; each body copied with its relocations
//!    applied and each relocated LEB re-encoded in its shortest form.
//!
//! Not supported (an error naming the file): TLS segments, PIC relocations, globals with
//! non-constant initializers, tags. Debug sections are dropped.

mod archive;
mod link;
mod read;
mod write;

pub use link::link;

use crate::{LinkError, LinkOptions};

/// Options of [`link`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectLinkOptions {
    /// Memory layout, imports, exports, entry, `allow_undefined`, `gc_sections`,
    /// `export_all` (`memory64` must match the objects).
    pub link: LinkOptions,
}

/// Why reading or linking objects failed. Every message names the file and the symbol or
/// byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// The bytes are not a well-formed object or archive.
    #[error("{file}: malformed object at byte offset {offset:#x}: {message}")]
    Malformed {
        /// The input.
        file: String,
        /// Where the problem is.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A symbol-table entry that does not fit the module.
    #[error("{file}: symbol {index} `{name}`: {message}")]
    BadSymbol {
        /// The input.
        file: String,
        /// The symbol name.
        name: String,
        /// Its index in the symbol table.
        index: u32,
        /// What is wrong.
        message: String,
    },
    /// A relocation that cannot be applied.
    #[error("{file}: {kind} relocation at offset {offset:#x} against `{symbol}`: {message}")]
    BadReloc {
        /// The input.
        file: String,
        /// The relocation type.
        kind: String,
        /// Its offset in its function body or data segment.
        offset: u32,
        /// The target symbol.
        symbol: String,
        /// What is wrong.
        message: String,
    },
    /// Something this linker does not do.
    #[error("{file}: unsupported: {what}")]
    Unsupported {
        /// The input.
        file: String,
        /// What.
        what: String,
    },
    /// Two strong definitions of a name.
    #[error("duplicate symbol `{name}`: defined in {first} and in {second}")]
    Duplicate {
        /// The name.
        name: String,
        /// The first file defining it.
        first: String,
        /// The second.
        second: String,
    },
    /// A function whose signatures disagree.
    #[error("function signature mismatch for `{name}`: {first_sig} in {first}, {second_sig} in {second}")]
    SignatureMismatch {
        /// The name.
        name: String,
        /// The first file.
        first: String,
        /// The signature there.
        first_sig: String,
        /// The second file.
        second: String,
        /// The signature there.
        second_sig: String,
    },
    /// A name that is a function in one file and data (say) in another.
    #[error("symbol `{name}` is a {first_kind} in {first} but a {second_kind} in {second}")]
    KindMismatch {
        /// The name.
        name: String,
        /// The first file.
        first: String,
        /// Its kind there.
        first_kind: &'static str,
        /// The second file.
        second: String,
        /// Its kind there.
        second_kind: &'static str,
    },
    /// A referenced name that nothing defines.
    #[error("undefined symbol `{name}` (referenced from {file})")]
    Undefined {
        /// The name.
        name: String,
        /// A file referring to it.
        file: String,
    },
    /// A link error (memory layout, exports, ...).
    #[error("{0}")]
    Link(#[from] LinkError),
}
