//! # wabe-interp
//!
//! The reference interpreter of the wabe IR: a second, independent reading of the IR
//! specification (IR.md, and the decisions recorded in `docs/language.md`), used to check the
//! code generator by differential testing, and by `wabe run --interp`.
//!
//! # Design
//!
//! - **Values are bytes.** Every runtime value is held in its type's memory representation,
//!   laid out by `wabe-types` (IR.md 3.1): an `i7` is one byte, sign-extended; a `struct` is its
//!   fields at their offsets; `?u32` is the payload followed by a flag byte. Loads, stores,
//!   by-reference values and aggregates therefore need no conversion, and a program sees
//!   exactly the bytes it would see in wasm linear memory.
//! - **Memory is a byte array laid out like the linker's**: `const`s and `var`s from address
//!   1024 in declaration order, then anonymous data (string literals behind pointers, the name
//!   tables of `error_name` and `tag_name`), then a 1 MiB stack growing down. Each call reserves
//!   one 16-byte-aligned frame holding a slot per `alloc` (the same slot on every iteration of
//!   a loop). Function pointers are table indices counting from 1 in declaration order.
//! - **Integers of any width** (`u65535` included) are limbs ([`bits`]); **floats** are bit
//!   patterns, with `f32`/`f64` on the host's IEEE arithmetic and `f16`, `f80`, `f128` and every
//!   conversion on a small exact soft-float that rounds once ([`float`]).
//! - **Illegal behaviour is an outcome, not a crash.** Integer overflow of `add`/`sub`/`mul`,
//!   a shift amount not below the bit width, an index out of bounds, unwrapping `null` or an
//!   error, `div_exact` with a remainder, an `intcast`/`float_to_int` that does not fit,
//!   reaching `unreach`: each stops the run with [`Stop::Illegal`] naming the instruction and
//!   its place. Division by zero, `trap` and out-of-bounds memory accesses are
//!   [`Stop::Trap`], as in wasm. A step budget and a call-depth limit ([`Limits`]) make every
//!   run finish.
//! - **Imports** are calls of a [`Host`]; [`PrintHost`] provides the `print_*` functions of
//!   `wabe run`, formatted the same way.
//!
//! The interpreter depends on `wabe-air` and `wabe-types` only: it does not know how the code
//! generator lowers anything.
//!
//! # Example
//!
//! ```
//! use wabe_interp::{run, Limits, PrintHost, Stop};
//!
//! let src = "
//! extern fn print_u32(x: u32) void
//! export fn main(%n: u32) u32 {
//!   call @print_u32(%n)
//!   %r = add %n, 1:u32
//!   ret %r
//! }
//! ";
//! let mut module = wabe_air::parse(src).unwrap();
//! wabe_air::verify(&mut module).unwrap();
//! let mut host = PrintHost::default();
//! let r = run(&module, &mut host, "main", &["41".to_string()], Limits::default()).unwrap();
//! assert_eq!(host.printed, vec!["41"]);
//! assert_eq!(r.values, vec!["42"]);
//!
//! // Overflowing `add` is illegal behaviour, reported as such.
//! let err = run(&module, &mut host, "main", &["4294967295".to_string()], Limits::default());
//! assert!(matches!(err, Err(Stop::Illegal(_))));
//! ```

#![deny(missing_docs)]

pub mod bits;
mod exec;
pub mod float;
mod host;
mod memory;
pub mod value;

pub use exec::Interpreter;
pub use host::{Host, HostCall, PrintHost, PRINT_IMPORTS};

use wabe_air::{DeclKind, Module};
use wabe_types::{TypeId, TypeKey};

/// Bounds on one run, so that every run finishes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most instructions executed (over all calls of one interpreter).
    pub max_steps: u64,
    /// The deepest call nesting.
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 100_000_000,
            max_depth: 100_000,
        }
    }
}

/// Why a run stopped without returning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stop {
    /// Illegal behaviour (IR.md 5.1): the program's behaviour is undefined from here on.
    #[error("illegal behaviour: {0}")]
    Illegal(String),
    /// A trap that wasm would also take (`trap`, division by zero, out-of-bounds memory).
    #[error("trap: {0}")]
    Trap(String),
    /// The step budget ran out.
    #[error("the step limit of {0} instructions was reached")]
    StepLimit(u64),
    /// A host function failed.
    #[error("host: {0}")]
    Host(String),
    /// Something the interpreter does not implement (never for a verified module; kept so
    /// that a gap is an outcome, not a crash).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Bad arguments or an unknown function: the caller's mistake.
    #[error("{0}")]
    Usage(String),
}

/// Why a module could not be loaded into the interpreter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The data does not fit the memory the interpreter is willing to hold.
    #[error("the module's data does not fit in memory")]
    TooLarge,
    /// A constant does not fit its type (the module was not verified).
    #[error("bad constant: {0}")]
    BadConstant(String),
}

/// What a run returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutput {
    /// The result in its type's memory representation (empty for `void`).
    pub result: Vec<u8>,
    /// The result formatted as `wabe run` prints it (no line for zero-bit results).
    pub values: Vec<String>,
    /// How many instructions ran.
    pub steps: u64,
}

/// Calls the exported function `name` of a verified module with arguments parsed by its
/// parameter types, as `wabe run --interp` does. Runs on a thread with a large stack, so that
/// deep recursion in the program does not exhaust the host's stack.
pub fn run(
    module: &Module,
    host: &mut (dyn Host + Send),
    name: &str,
    args: &[String],
    limits: Limits,
) -> Result<RunOutput, Stop> {
    let mut interp = Interpreter::new(module, limits).map_err(|e| Stop::Usage(e.to_string()))?;
    run_in(&mut interp, module, host, name, args)
}

/// Like [`run`], with an interpreter the caller keeps (to inspect memory afterwards).
pub fn run_in(
    interp: &mut Interpreter<'_>,
    module: &Module,
    host: &mut (dyn Host + Send),
    name: &str,
    args: &[String],
) -> Result<RunOutput, Stop> {
    let pool = &module.types;
    let decl = pool
        .names
        .get(name)
        .and_then(|n| module.decl_by_name(n))
        .ok_or_else(|| Stop::Usage(format!("no function `{name}` in the module")))?;
    let d = module.decl(decl);
    let DeclKind::Fn(f) = &d.kind else {
        return Err(Stop::Usage(format!("`{name}` is not a function")));
    };
    if !d.exported {
        return Err(Stop::Usage(format!(
            "`{name}` is not exported (declare it `export fn`)"
        )));
    }
    let TypeKey::Fn { params, ret, .. } = pool.key(f.ty) else {
        return Err(Stop::Usage(format!("`{name}` is not a function")));
    };
    let ret: TypeId = *ret;
    let with_bits: Vec<TypeId> = params
        .iter()
        .copied()
        .filter(|&p| pool.has_runtime_bits(p))
        .collect();
    if with_bits.len() != args.len() {
        return Err(Stop::Usage(format!(
            "`{name}` takes {} argument(s), {} given",
            with_bits.len(),
            args.len()
        )));
    }
    let mut it = args.iter();
    let mut vals = Vec::new();
    for &p in params.iter() {
        if pool.has_runtime_bits(p) {
            let a = it.next().map(String::as_str).unwrap_or("");
            vals.push(value::parse_arg(pool, p, a).map_err(Stop::Usage)?);
        } else {
            vals.push(Vec::new());
        }
    }
    let result = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(1 << 30)
            .spawn_scoped(s, || interp.call(host, decl, &vals))
            .map_err(|e| Stop::Usage(format!("cannot start the interpreter thread: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(Stop::Unsupported("the interpreter panicked".into())))
    })?;
    let values = if pool.has_runtime_bits(ret) {
        vec![value::format_value(pool, ret, &result)]
    } else {
        Vec::new()
    };
    Ok(RunOutput {
        result,
        values,
        steps: interp.steps(),
    })
}
