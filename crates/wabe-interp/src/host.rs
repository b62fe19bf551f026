//! Host functions: what an `extern fn` does when the interpreter calls it.

use crate::value;
use wabe_types::{TypeId, TypeKey, TypePool};

/// One call of an imported function.
#[derive(Debug)]
pub struct HostCall<'a> {
    /// The import module (`"env"` by default).
    pub module: &'a str,
    /// The function's name.
    pub name: &'a str,
    /// The module's types.
    pub pool: &'a TypePool,
    /// The parameter types.
    pub params: &'a [TypeId],
    /// The result type.
    pub ret: TypeId,
    /// The arguments, each in its type's memory representation.
    pub args: &'a [Vec<u8>],
}

/// Provides imported functions to the interpreter.
pub trait Host {
    /// Performs an imported call and returns its result in the memory representation of
    /// `call.ret` (empty for `void`), or a message saying why the call failed (the run then
    /// stops with [`Stop::Host`](crate::Stop::Host)).
    fn call(&mut self, call: &HostCall<'_>) -> Result<Vec<u8>, String>;
}

/// The host of `wabe run`: `print_i32`, `print_u32`, `print_i64`, `print_u64`, `print_f32` and
/// `print_f64` from `"env"`, each recording its argument as a line, formatted as wasm would see
/// it (the argument is first converted to the wasm value its IR type travels as).
#[derive(Debug, Default, Clone)]
pub struct PrintHost {
    /// The lines printed so far.
    pub printed: Vec<String>,
}

/// The names [`PrintHost`] provides.
pub const PRINT_IMPORTS: &[&str] = &[
    "print_i32",
    "print_u32",
    "print_i64",
    "print_u64",
    "print_f32",
    "print_f64",
];

impl Host for PrintHost {
    fn call(&mut self, call: &HostCall<'_>) -> Result<Vec<u8>, String> {
        let unknown = || {
            format!(
                "the program imports `{}.{}`, which the interpreter's host does not provide \
                 (it provides env.{})",
                call.module,
                call.name,
                PRINT_IMPORTS.join(", env.")
            )
        };
        if call.module != "env" || !PRINT_IMPORTS.contains(&call.name) {
            return Err(unknown());
        }
        let (Some(&ty), Some(arg)) = (call.params.first(), call.args.first()) else {
            return Err(format!("`{}` needs one argument", call.name));
        };
        let pool = call.pool;
        let line = match (call.name, pool.key(ty)) {
            ("print_f32", TypeKey::Float(f)) => {
                let bits = value::float_bits(arg, *f);
                format!("{:?}", crate::float::to_f64(*f, bits) as f32)
            }
            ("print_f64", TypeKey::Float(f)) => {
                let bits = value::float_bits(arg, *f);
                format!("{:?}", crate::float::to_f64(*f, bits))
            }
            (name, _) => {
                let x = value::wasm_int(pool, ty, arg)
                    .ok_or_else(|| format!("`{name}` cannot take a `{}`", pool.display(ty)))?;
                match name {
                    "print_i32" => (x as i32).to_string(),
                    "print_u32" => (x as u32).to_string(),
                    "print_i64" => x.to_string(),
                    "print_u64" => (x as u64).to_string(),
                    _ => return Err(format!("`{name}` cannot take a `{}`", pool.display(ty))),
                }
            }
        };
        self.printed.push(line);
        Ok(Vec::new())
    }
}
