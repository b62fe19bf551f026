//! # wabe-link
//!
//! The linker: it owns every symbol of the output module (functions, data, globals), the atoms
//! that define them (a function's MIR or a data blob, each with child *local* atoms for
//! anonymous data), the deduplicated function types, imports, exports and the indirect
//! function table. [`Linker::flush`] lays out indices and memory and writes an executable
//! module, emitting each function body from its MIR with final indices and addresses, so an
//! executable uses the shortest LEB encodings throughout.
//!
//! The model follows Zig's self-hosted wasm linker (atoms with `locals`, `symbol_atom`,
//! `get_decl_vaddr`) and the defaults and flags of `wasm-ld` (memory layout, `__stack_pointer`,
//! `__heap_base`, `__data_end`, table slots from 1). See [`MemoryLayout`] for the layout rules.
//!
//! This crate knows symbols, atoms, relocations and sections; it does not know the IR the MIR
//! came from.
//!
//! ## Data layout
//!
//! - Symbols: one flat table indexed by [`SymbolIndex`], with a free list; names interned, each
//!   name mapping to at most one global symbol through a flat vector.
//! - Atoms: one flat table indexed by [`AtomIndex`], with a free list.
//! - A flush computes the final value of every symbol into one flat vector that the emitter's
//!   [`Resolver`](wabe_mir::Resolver) reads; there are no maps on the code path.
//!
//! ## Determinism and incremental updates
//!
//! Every symbol has an order key ([`Linker::set_symbol_order`]; by default its creation
//! sequence; equal keys are ordered by name). A flush orders functions, imports, exports and
//! top-level data by key, places each atom's local atoms right after it, numbers table slots
//! in that order and renumbers the type section to the types in use. So the module depends on what is defined, not on the
//! indices the free lists handed out: replacing one declaration ([`Linker::free_symbol`],
//! [`Linker::clear_locals`], [`Linker::define_data`], [`Linker::set_function_body`]) and
//! flushing again gives the same bytes as a fresh link of the same program. Executables are
//! garbage-collected from the exports ([`LinkOptions::gc_sections`], wasm-ld's default), which
//! depends on the program only.
//!
//! ## Data
//!
//! Data atoms go to `.rodata` (read-only), `.data`, or `.bss` (zero-initialised mutable data,
//! [`Linker::define_zeros`], which stores no bytes and writes none unless memory is
//! imported). A pointer field recorded with [`Linker::get_decl_vaddr`] becomes a
//! `MEMORY_ADDR_I32/I64` relocation with an addend, or a `TABLE_INDEX_I32/I64` relocation and a
//! table slot for a function. Identical anonymous read-only local atoms (same alignment, bytes
//! and relocations) are stored once. The error-name and tag-name tables
//! ([`Linker::error_name_table`], [`Linker::tag_name_table`]) are synthesized in `.rodata` at
//! flush when something refers to them.
//!
//! # Example
//!
//! ```
//! use wabe_link::{LinkOptions, Linker};
//! use wabe_mir::{MirData, MirFunction, MirTag, ValType};
//!
//! let mut linker = Linker::new(LinkOptions::default());
//! let print = linker.declare_import("env", "print", &[ValType::I32], &[]).unwrap();
//! let main = linker.declare_function("main", &[], &[ValType::I32]).unwrap();
//!
//! // (func $main (result i32) i32.const 7 call $print i32.const 42)
//! let mut body = MirFunction::default();
//! body.push(MirTag::I32Const, MirData::a(7));
//! body.push(MirTag::Call, MirData::a(print.0));
//! body.push(MirTag::I32Const, MirData::a(42));
//! linker.set_function_body(main, body).unwrap();
//! linker.export_function(main, "main").unwrap();
//!
//! let wasm = linker.flush().unwrap();
//! assert_eq!(&wasm[..4], b"\0asm");
//! assert_eq!(linker.function_index(print), Some(0)); // imports come first
//! assert_eq!(linker.function_index(main), Some(1));
//! // No data: the 1 MiB stack starts at 1024, and the heap after it.
//! assert_eq!(linker.heap_base(), Some(1024 + 1024 * 1024));
//! ```

#![deny(missing_docs)]

mod atom;
mod error;
mod flush;
mod linker;
pub mod object;
mod symbol;

pub use atom::{Atom, AtomIndex, AtomKind, Segment};
pub use error::LinkError;
pub use flush::{DataSymbolLayout, MemoryLayout, SegmentLayout, PAGE_SIZE};
pub use linker::Linker;
pub use wabe_mir::{Reloc, RelocKind, SymbolIndex, ValType};

/// Link options, named after the `wasm-ld` flags they mirror.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkOptions {
    /// wasm64: a 64-bit memory, pointer-sized values (`__stack_pointer`, addresses) are `i64`.
    pub memory64: bool,
    /// `--stack-size`: bytes of stack, a multiple of 16 (default 1 MiB).
    pub stack_size: u64,
    /// `--stack-first`: put the stack below the data, so that an overflow traps instead of
    /// corrupting data.
    pub stack_first: bool,
    /// `--global-base`: where data starts (default 1024, or right after the stack with
    /// `stack_first`).
    pub global_base: Option<u64>,
    /// `--initial-memory`: the initial memory in bytes (a multiple of 64 KiB).
    pub initial_memory: Option<u64>,
    /// `--max-memory`: the maximum memory in bytes (a multiple of 64 KiB).
    pub max_memory: Option<u64>,
    /// `--import-memory`: import the memory as `env.memory` instead of defining it.
    pub import_memory: bool,
    /// `--export-memory`: export the memory as `memory` (default true; also applies to an
    /// imported memory).
    pub export_memory: bool,
    /// `--import-table`: import the function table as `env.__indirect_function_table`.
    pub import_table: bool,
    /// `--export-table`: export the function table as `__indirect_function_table`.
    pub export_table: bool,
    /// `--export NAME`: export these defined symbols under their names (data symbols as
    /// globals holding their address). A missing name is an error.
    pub exports: Vec<String>,
    /// `--entry NAME`: the program's entry function, exported under its name; it must be
    /// defined. Unlike wasm-ld there is no implicit `_start`: `None` means no entry.
    pub entry: Option<String>,
    /// `--no-entry`: ignore `entry`.
    pub no_entry: bool,
    /// `--allow-undefined`: referenced undefined functions become imports from `env`, and
    /// undefined data symbols have address 0.
    pub allow_undefined: bool,
    /// `--gc-sections` (the default) / `--no-gc-sections`: leave out of an executable the
    /// functions and data that nothing live refers to, starting from the exports, `--export`
    /// names, the entry (and, for objects, `NO_STRIP` symbols).
    pub gc_sections: bool,
    /// `--export-all`: export every defined function with global binding. In wabe's own
    /// programs only `export fn`s are global (other definitions are local, as in the objects
    /// wabe writes), so this adds the global functions of linked C or Zig objects.
    pub export_all: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            memory64: false,
            stack_size: 1024 * 1024,
            stack_first: false,
            global_base: None,
            initial_memory: None,
            max_memory: None,
            import_memory: false,
            export_memory: true,
            import_table: false,
            export_table: false,
            exports: Vec::new(),
            entry: None,
            no_entry: false,
            allow_undefined: false,
            gc_sections: true,
            export_all: false,
        }
    }
}
