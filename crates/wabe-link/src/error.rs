//! Link errors. Every message names the symbol (or the option) it is about.

use wabe_mir::{EmitError, RelocKind};

/// Why a declaration or a flush failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Two definitions (or incompatible declarations) of one name.
    #[error("duplicate symbol `{name}`")]
    DuplicateSymbol {
        /// The symbol name.
        name: String,
    },
    /// A function redeclared with another signature.
    #[error("symbol `{name}` redeclared with a different signature")]
    SignatureMismatch {
        /// The symbol name.
        name: String,
    },
    /// A function imported twice from different modules.
    #[error("function `{name}` is imported from both `{first}` and `{second}`")]
    ImportModuleMismatch {
        /// The symbol name.
        name: String,
        /// The module of the first declaration.
        first: String,
        /// The module of the second one.
        second: String,
    },
    /// Two exports with one name.
    #[error("duplicate export `{name}`")]
    DuplicateExport {
        /// The export name.
        name: String,
    },
    /// A symbol index this linker never handed out, or one that was freed.
    #[error("unknown symbol {symbol}")]
    UnknownSymbol {
        /// The index, printed as `@symN`.
        symbol: wabe_mir::SymbolIndex,
    },
    /// A symbol used as a kind it is not (a body for a data symbol, a data export of a
    /// function...).
    #[error("`{name}` is not a {expected}")]
    WrongKind {
        /// The symbol name.
        name: String,
        /// What was expected ("defined function", "data symbol", ...).
        expected: &'static str,
    },
    /// A defined function whose body was never set.
    #[error("function `{name}` was declared but its body was never set")]
    MissingBody {
        /// The symbol name.
        name: String,
    },
    /// A symbol that is referenced but defined nowhere (without `allow_undefined`).
    #[error("undefined symbol `{name}`")]
    Undefined {
        /// The symbol name.
        name: String,
    },
    /// `--export NAME` of a name that is not defined.
    #[error("symbol `{name}` to export (--export) is not defined")]
    ExportNotFound {
        /// The requested name.
        name: String,
    },
    /// `--entry NAME` of a name that is not a defined function.
    #[error("entry symbol `{name}` is not a defined function")]
    EntryNotFound {
        /// The requested name.
        name: String,
    },
    /// A MIR operand naming a symbol of the wrong kind (or a freed one).
    #[error("function `{function}`, instruction {inst}: operand {operand} is not a {expected}")]
    BadOperand {
        /// The function containing the instruction.
        function: String,
        /// The instruction index.
        inst: u32,
        /// The operand symbol (its name, or `@symN`).
        operand: String,
        /// What the instruction needs.
        expected: &'static str,
    },
    /// A `call_indirect` type immediate past the end of the type table.
    #[error("function `{function}`, instruction {inst}: type index {index} out of range ({count} types)")]
    BadTypeIndex {
        /// The function containing the instruction.
        function: String,
        /// The instruction index.
        inst: u32,
        /// The type index used.
        index: u32,
        /// The number of function types.
        count: usize,
    },
    /// A data relocation whose field does not fit in the atom.
    #[error(
        "data symbol `{name}`: {kind:?} relocation at offset {offset} is outside its {size} bytes"
    )]
    RelocOutOfBounds {
        /// The data symbol.
        name: String,
        /// The relocation type.
        kind: RelocKind,
        /// Its offset.
        offset: u32,
        /// The atom size.
        size: usize,
    },
    /// A relocation type that cannot appear in data (or targets the wrong kind of symbol).
    #[error("data symbol `{name}`: {kind:?} relocation against `{target}` is not allowed in data")]
    BadDataReloc {
        /// The data symbol.
        name: String,
        /// The relocation type.
        kind: RelocKind,
        /// The target symbol.
        target: String,
    },
    /// An alignment that is not a power of two.
    #[error("data symbol `{name}`: alignment {align} is not a power of two")]
    BadAlignment {
        /// The symbol name.
        name: String,
        /// The alignment given.
        align: u32,
    },
    /// An address that does not fit a 32-bit field.
    #[error("data symbol `{name}`: address {value:#x} of `{target}` does not fit 32 bits")]
    AddressOverflow {
        /// The data symbol holding the field.
        name: String,
        /// The symbol whose address it is.
        target: String,
        /// The address.
        value: u64,
    },
    /// A data symbol that does not fit below the memory limit (the address space, or
    /// `--max-memory`).
    #[error("data symbol `{name}` ({size} bytes at address {address:#x}) does not fit in memory: data must end by {limit:#x}")]
    DataTooLarge {
        /// The data symbol.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Where it would start.
        address: u64,
        /// The end of the memory data may use.
        limit: u64,
    },
    /// A linker-defined symbol that may not be freed or redefined.
    #[error("symbol `{name}` is provided by the linker")]
    Reserved {
        /// The symbol name.
        name: String,
    },
    /// `--stack-size` not a multiple of 16.
    #[error("__stack_pointer: stack size {size} must be a multiple of 16")]
    StackSizeAlignment {
        /// The stack size.
        size: u64,
    },
    /// `--global-base` below the end of the stack with `--stack-first`.
    #[error("__stack_pointer: --global-base {base} is below the end of the stack ({stack_end}) with --stack-first")]
    GlobalBaseInStack {
        /// The global base.
        base: u64,
        /// Where the stack ends.
        stack_end: u64,
    },
    /// A memory size option that is not a multiple of the page size.
    #[error("memory: {option} {value} must be a multiple of 65536")]
    MemoryUnaligned {
        /// `--initial-memory` or `--max-memory`.
        option: &'static str,
        /// The value given.
        value: u64,
    },
    /// A memory size option smaller than the data and stack need.
    #[error("memory: {option} {value} is too small, {needed} bytes are needed (`__heap_base` and below)")]
    MemoryTooSmall {
        /// `--initial-memory` or `--max-memory`.
        option: &'static str,
        /// The value given.
        value: u64,
        /// The bytes needed.
        needed: u64,
    },
    /// More memory than the address space holds.
    #[error("memory: {pages} pages needed for `{what}`, the limit is {limit}")]
    TooManyPages {
        /// What asked for it (`__heap_base`, `--initial-memory`, `--max-memory`).
        what: &'static str,
        /// Pages needed.
        pages: u64,
        /// The maximum.
        limit: u64,
    },
    /// The emitter failed on a function body.
    #[error("function `{function}`: {source}")]
    Emit {
        /// The function.
        function: String,
        /// The emitter's error.
        source: EmitError,
    },
}
