//! Running compiled modules in the embedded wasm runtime (wasmi), as `wabe run` does.
//!
//! Arguments are parsed by the IR types of the export's parameters and results are printed by
//! the IR return type. The host provides these imports from `"env"`, each printing its argument
//! on a line: `print_i32`, `print_u32`, `print_i64`, `print_u64`, `print_f32`, `print_f64`.

use std::sync::{Arc, Mutex};
use wabe_air::{DeclKind, Module};
use wabe_types::{FloatType, Int, TypeId, TypeKey, TypePool};
use wasmi::{Config, Engine, Linker, Store, Val};

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    /// Lines printed by the program through the `print_*` imports.
    pub printed: Vec<String>,
    /// The results, formatted by their IR type.
    pub values: Vec<String>,
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Bad arguments or an unknown export: the user's mistake (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The program trapped (exit code 1). `printed` holds what it printed before.
    #[error("trap: {reason}")]
    Trap {
        /// The trap's reason.
        reason: String,
        /// Lines printed before the trap.
        printed: Vec<String>,
    },
    /// The module could not be loaded or instantiated (exit code 1).
    #[error("{0}")]
    Load(String),
}

fn engine() -> Engine {
    let mut config = Config::default();
    config
        .wasm_tail_call(true)
        .wasm_memory64(true)
        .wasm_bulk_memory(true)
        .wasm_multi_value(true)
        .wasm_sign_extension(true)
        .wasm_saturating_float_to_int(true)
        // Deeply recursive programs are normal; wasmi's own call stack is on the heap.
        .set_max_recursion_depth(200_000)
        .set_max_stack_height(64 * 1024 * 1024);
    Engine::new(&config)
}

/// The host imports `wabe run` provides.
pub const HOST_IMPORTS: &[&str] = &[
    "print_i32",
    "print_u32",
    "print_i64",
    "print_u64",
    "print_f32",
    "print_f64",
];

/// Compiles nothing: instantiates `wasm` and calls the export `name` with `args` parsed by the
/// IR parameter types of the exported function in `module`.
pub fn invoke(
    module: &Module,
    wasm: &[u8],
    name: &str,
    args: &[String],
) -> Result<RunOutput, RunError> {
    invoke_with_memory(module, wasm, name, args).map(|(out, _)| out)
}

/// Like [`invoke`], and also returns the contents of the module's exported memory `memory`
/// after the call (empty when it exports none), for comparing the final values of globals.
pub fn invoke_with_memory(
    module: &Module,
    wasm: &[u8],
    name: &str,
    args: &[String],
) -> Result<(RunOutput, Vec<u8>), RunError> {
    let (params, ret) = export_signature(module, name)?;
    let pool = &module.types;
    let mut wasm_args = Vec::new();
    let mut it = args.iter();
    for &p in &params {
        if !pool.has_runtime_bits(p) {
            continue;
        }
        let Some(a) = it.next() else {
            return Err(RunError::Usage(format!(
                "`{name}` takes {} argument(s), {} given",
                params.iter().filter(|&&p| pool.has_runtime_bits(p)).count(),
                args.len()
            )));
        };
        wasm_args.push(parse_arg(pool, p, a)?);
    }
    if it.next().is_some() {
        return Err(RunError::Usage(format!(
            "`{name}` takes {} argument(s), {} given",
            params.iter().filter(|&&p| pool.has_runtime_bits(p)).count(),
            args.len()
        )));
    }

    let engine = engine();
    let wmod = wasmi::Module::new(&engine, wasm)
        .map_err(|e| RunError::Load(format!("invalid module: {e}")))?;
    let printed = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut store = Store::new(&engine, ());
    let mut linker = <Linker<()>>::new(&engine);
    macro_rules! host {
        ($name:literal, $t:ty, $fmt:expr) => {{
            let out = printed.clone();
            linker
                .func_wrap("env", $name, move |x: $t| {
                    let f: fn($t) -> String = $fmt;
                    out.lock().map(|mut o| o.push(f(x))).ok();
                })
                .map_err(|e| RunError::Load(e.to_string()))?;
        }};
    }
    host!("print_i32", i32, |x| x.to_string());
    host!("print_u32", i32, |x| (x as u32).to_string());
    host!("print_i64", i64, |x| x.to_string());
    host!("print_u64", i64, |x| (x as u64).to_string());
    host!("print_f32", f32, |x| format!("{x:?}"));
    host!("print_f64", f64, |x| format!("{x:?}"));
    for import in wmod.imports() {
        let known = import.module() == "env" && HOST_IMPORTS.contains(&import.name());
        if !(known || import.module() == "env" && import.name() == "memory") {
            return Err(RunError::Load(format!(
                "the program imports `{}.{}`, which `wabe run` does not provide (it provides env.{})",
                import.module(),
                import.name(),
                HOST_IMPORTS.join(", env.")
            )));
        }
    }
    let instance = linker
        .instantiate_and_start(&mut store, &wmod)
        .map_err(|e| RunError::Load(format!("cannot instantiate: {e}")))?;
    let Some(func) = instance.get_func(&store, name) else {
        return Err(RunError::Usage(format!(
            "the module has no exported function `{name}`"
        )));
    };
    let nresults = func.ty(&store).results().len();
    let mut results = vec![Val::I32(0); nresults];
    let take = |p: &Arc<Mutex<Vec<String>>>| p.lock().map(|v| v.clone()).unwrap_or_default();
    if let Err(e) = func.call(&mut store, &wasm_args, &mut results) {
        let reason = match e.as_trap_code() {
            Some(code) => code.trap_message().to_string(),
            None => e.to_string(),
        };
        return Err(RunError::Trap {
            reason,
            printed: take(&printed),
        });
    }
    let values = results
        .iter()
        .map(|v| format_result(pool, ret, v))
        .collect();
    let memory = instance
        .get_memory(&store, "memory")
        .map(|m| m.data(&store).to_vec())
        .unwrap_or_default();
    Ok((
        RunOutput {
            printed: take(&printed),
            values,
        },
        memory,
    ))
}

fn export_signature(module: &Module, name: &str) -> Result<(Vec<TypeId>, TypeId), RunError> {
    let decl = module
        .types
        .names
        .get(name)
        .and_then(|n| module.decl_by_name(n))
        .ok_or_else(|| RunError::Usage(format!("no function `{name}` in the module")))?;
    let d = module.decl(decl);
    let DeclKind::Fn(f) = &d.kind else {
        return Err(RunError::Usage(format!("`{name}` is not a function")));
    };
    if !d.exported {
        return Err(RunError::Usage(format!(
            "`{name}` is not exported (declare it `export fn`)"
        )));
    }
    match module.types.key(f.ty) {
        TypeKey::Fn { params, ret, .. } => Ok((params.to_vec(), *ret)),
        _ => Err(RunError::Usage(format!("`{name}` is not a function"))),
    }
}

fn parse_int(s: &str) -> Option<Int> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(b) = digits.strip_prefix("0b") {
        (2, b)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    let v = Int::parse_digits(digits, radix)?;
    Some(if neg { v.neg() } else { v })
}

fn parse_arg(pool: &TypePool, ty: TypeId, s: &str) -> Result<Val, RunError> {
    let bad = |why: &str| {
        RunError::Usage(format!(
            "bad argument `{s}` for type `{}`: {why}",
            pool.display(ty)
        ))
    };
    if pool.is_by_ref(ty) {
        return Err(bad(
            "values of this type cannot be passed from the command line",
        ));
    }
    if let TypeKey::Float(f) = pool.key(ty) {
        let v: f64 = match s {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            _ => s.parse().map_err(|_| bad("not a number"))?,
        };
        return match f {
            FloatType::F32 | FloatType::F16 => Ok(Val::F32((v as f32).into())),
            _ => Ok(Val::F64(v.into())),
        };
    }
    if let TypeKey::Bool = pool.key(ty) {
        return match s {
            "true" | "1" => Ok(Val::I32(1)),
            "false" | "0" => Ok(Val::I32(0)),
            _ => Err(bad("expected `true` or `false`")),
        };
    }
    let (signed, bits) = pool
        .int_info(ty)
        .unwrap_or((false, pool.target().ptr_size() as u32 * 8));
    let v = parse_int(s).ok_or_else(|| bad("not an integer"))?;
    if !v.fits(signed, bits) {
        return Err(bad("does not fit"));
    }
    let raw = v.to_u64_wrapping();
    Ok(match pool.valtype(ty) {
        Some(wabe_types::ValType::I64) => Val::I64(raw as i64),
        _ => Val::I32(raw as i32),
    })
}

/// Formats a wasm result by its IR type: ints in decimal (signed as the type says), bools as
/// `true`/`false`, floats with Rust's `{:?}`.
pub fn format_result(pool: &TypePool, ty: TypeId, v: &Val) -> String {
    match (pool.key(ty), v) {
        (TypeKey::Bool, Val::I32(x)) => (*x != 0).to_string(),
        (_, Val::F32(x)) => format!("{:?}", f32::from(*x)),
        (_, Val::F64(x)) => format!("{:?}", f64::from(*x)),
        (_, Val::I32(x)) => match pool.int_info(ty) {
            Some((true, _)) => x.to_string(),
            _ => (*x as u32).to_string(),
        },
        (_, Val::I64(x)) => match pool.int_info(ty) {
            Some((true, _)) => x.to_string(),
            _ => (*x as u64).to_string(),
        },
        (_, other) => format!("{other:?}"),
    }
}
