//! # wabe
//!
//! The driver of the wabe WebAssembly backend: a [`Compilation`] takes a verified
//! [`wabe_air::Module`], lowers each function with `wabe-funcgen` and each `const`/`var` with
//! `wabe-declgen`, hands the results to the `wabe-link` linker, and flushes a module. It can
//! then move to the next version of the program incrementally ([`Compilation::update`],
//! [`Compilation::remove_decl`]): the module flushed after an update is byte-identical to a
//! fresh build of the new program. It also holds the embedded runtime used by `wabe run` and the tests ([`run`]), and
//! the rendering of errors with their source location ([`diag`]).
//!
//! # Example
//!
//! ```
//! let src = "export fn fib(%n: u32) u32 {\n  %c = cmp_lt %n, 2:u32\n  cond_br %c {\n    ret %n\n  } else {\n    %a = sub %n, 1:u32\n    %b = sub %n, 2:u32\n    %x = call @fib(%a)\n    %y = call @fib(%b)\n    %s = add %x, %y\n    ret %s\n  }\n}\n";
//! let out = wabe::compile_str(src, &wabe::Options::default()).unwrap();
//! let results = wabe::run::invoke(&out.module, &out.wasm, "fib", &["10".to_string()]).unwrap();
//! assert_eq!(results.values, vec!["55".to_string()]);
//! ```

#![deny(missing_docs)]

mod data;
pub mod diag;
pub mod differential;
mod helpers;
pub mod run;

use std::borrow::Cow;
use std::collections::HashMap;

use wabe_air::{DeclIndex, DeclKind, Module};
use wabe_link::{LinkOptions, Linker};
use wabe_mir::{SymbolIndex, ValType};

pub use wabe_funcgen::Options as CodegenOptions;

/// Everything that configures a compilation.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Linker options (memory layout, exports, ...).
    pub link: LinkOptions,
    /// Code generation options (target features).
    pub codegen: CodegenOptions,
}

/// Why a compilation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text did not parse.
    #[error("{0}")]
    Parse(wabe_air::Error),
    /// The module is ill-typed or malformed.
    #[error("{0}")]
    Verify(wabe_air::Error),
    /// A function could not be lowered.
    #[error("{0}")]
    Codegen(#[from] wabe_funcgen::Error),
    /// Linking failed.
    #[error("error: {0}")]
    Link(#[from] wabe_link::LinkError),
    /// The data of a `const`/`var` could not be generated.
    #[error("{span}: error: {error}")]
    Data {
        /// Where the declaration is.
        span: wabe_air::Span,
        /// What is wrong.
        error: wabe_declgen::Error,
    },
    /// An incremental update would remove a declaration that another one still uses.
    #[error("error: cannot remove `@{name}`: `@{by}` still refers to it")]
    StillReferenced {
        /// The declaration to remove.
        name: String,
        /// A declaration referring to it.
        by: String,
    },
}

/// A compiled program: the verified module it came from and the wasm bytes.
#[derive(Debug)]
pub struct Output {
    /// The verified module (its types tell how to call exports).
    pub module: Module,
    /// The wasm module.
    pub wasm: Vec<u8>,
}

/// Parses, verifies and compiles IR text to a wasm executable.
pub fn compile_str(src: &str, options: &Options) -> Result<Output, Error> {
    let mut module = wabe_air::parse(src).map_err(Error::Parse)?;
    wabe_air::verify(&mut module).map_err(Error::Verify)?;
    let wasm = Compilation::new(&module, options)?.flush()?;
    Ok(Output { module, wasm })
}

/// One compilation: a verified module fed through code generation into the linker.
pub struct Compilation<'m> {
    /// The current program (borrowed at first, owned after an incremental update).
    module: Cow<'m, Module>,
    linker: Linker,
    symbols: Vec<Option<SymbolIndex>>,
    options: Options,
    helpers: helpers::Helpers,
}

struct Ctx<'a> {
    linker: &'a mut Linker,
    symbols: &'a [Option<SymbolIndex>],
    module: &'a Module,
    /// The function being generated: it owns the local atoms of its constant operands.
    owner: Option<SymbolIndex>,
    /// Constant operands already lowered for this function.
    constants: HashMap<(wabe_types::TypeId, wabe_types::Value), SymbolIndex>,
    helpers: &'a mut helpers::Helpers,
    /// The helpers the function being generated calls.
    used: Vec<SymbolIndex>,
}

impl wabe_funcgen::Context for Ctx<'_> {
    fn decl_symbol(&mut self, decl: DeclIndex) -> SymbolIndex {
        self.symbols[decl.0 as usize].unwrap_or(SymbolIndex(u32::MAX))
    }

    fn stack_pointer(&mut self) -> SymbolIndex {
        self.linker.stack_pointer()
    }

    fn func_type_index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        self.linker.func_type_index(params, results)
    }

    fn lower_constant(
        &mut self,
        ty: wabe_types::TypeId,
        value: &wabe_types::Value,
    ) -> Result<SymbolIndex, String> {
        data::lower_constant(self, ty, value)
    }

    fn error_name_table(&mut self) -> Result<SymbolIndex, String> {
        Ok(self.linker.error_name_table())
    }

    fn tag_name_table(&mut self, enum_ty: wabe_types::TypeId) -> Result<SymbolIndex, String> {
        data::tag_name_table(self, enum_ty)
    }

    fn helper_function(
        &mut self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
        build: &mut dyn FnMut(
            &mut dyn wabe_funcgen::Context,
        ) -> Result<wabe_mir::MirFunction, String>,
    ) -> Result<SymbolIndex, String> {
        // Each helper is emitted once per module, under its (reserved `__wabe_`) name, after
        // all declarations (see `helpers.rs`).
        if let Some(sym) = self.helpers.symbol(name) {
            self.used.push(sym);
            return Ok(sym);
        }
        let sym = self
            .linker
            .declare_function(name, params, results)
            .map_err(|e| e.to_string())?;
        self.linker
            .set_symbol_order(sym, helpers::HELPER_ORDER)
            .map_err(|e| e.to_string())?;
        // The helper is generated as a function of its own: it owns its constant operands
        // and calls helpers of its own.
        let owner = self.owner.replace(sym);
        let constants = std::mem::take(&mut self.constants);
        let used = std::mem::take(&mut self.used);
        let mir = build(self);
        self.owner = owner;
        self.constants = constants;
        let helper_uses = std::mem::replace(&mut self.used, used);
        let mir = match mir {
            Ok(mir) => mir,
            Err(e) => {
                let _ = self.linker.free_symbol(sym);
                return Err(e);
            }
        };
        self.linker
            .set_function_body(sym, mir)
            .map_err(|e| e.to_string())?;
        self.helpers.add(name, sym);
        self.helpers.set_uses(sym, helper_uses);
        self.used.push(sym);
        Ok(sym)
    }
}

impl<'m> Compilation<'m> {
    /// Declares every declaration of a verified module to a new linker and generates code for
    /// every function.
    pub fn new(module: &'m Module, options: &Options) -> Result<Self, Error> {
        let mut link_options = options.link.clone();
        link_options.memory64 = module.target == wabe_types::Target::Wasm64;
        let mut c = Compilation {
            module: Cow::Borrowed(module),
            linker: Linker::new(link_options),
            symbols: vec![None; module.decls.len()],
            options: options.clone(),
            helpers: helpers::Helpers::default(),
        };
        c.declare_all()?;
        for i in 0..module.decls.len() {
            c.update_decl(DeclIndex(i as u32))?;
        }
        Ok(c)
    }

    fn declare_all(&mut self) -> Result<(), Error> {
        for i in 0..self.module.decls.len() {
            self.symbols[i] = Some(self.declare(DeclIndex(i as u32))?);
        }
        Ok(())
    }

    /// Declares one declaration to the linker (and exports it if it is exported): a function,
    /// an import, or a data symbol for a `const`/`var`.
    fn declare(&mut self, decl: DeclIndex) -> Result<SymbolIndex, Error> {
        let m: &Module = &self.module;
        let d = m.decl(decl);
        let name = m.name_str(d.name);
        // A module built through the API may reach here unverified: a bad type is an error.
        let signature = |ty| {
            m.types.lower_fn_type(ty).ok_or_else(|| {
                Error::Codegen(wabe_funcgen::Error {
                    function: name.to_string(),
                    span: d.span,
                    message: format!(
                        "`{}` is not a function type (run `verify` first)",
                        m.types.display(ty)
                    ),
                })
            })
        };
        let sym = match &d.kind {
            DeclKind::Fn(f) => {
                let sig = signature(f.ty)?;
                let s = self
                    .linker
                    .declare_function(name, &sig.params, &sig.results)?;
                if d.exported {
                    self.linker.export_function(s, name)?;
                }
                s
            }
            DeclKind::Extern(e) => {
                let sig = signature(e.ty)?;
                self.linker
                    .declare_import(&e.module, name, &sig.params, &sig.results)?
            }
            DeclKind::Const(_) | DeclKind::Var(_) => {
                let s = self.linker.declare_data_symbol(name)?;
                if d.exported {
                    self.linker.export_data(s, name)?;
                }
                s
            }
        };
        self.linker.set_symbol_order(sym, decl.0)?;
        Ok(sym)
    }

    /// Generates the code (or data) of one declaration and gives it to the linker.
    pub fn update_decl(&mut self, decl: DeclIndex) -> Result<(), Error> {
        let m: &Module = &self.module;
        let d = m.decl(decl);
        let sym = self.symbols[decl.0 as usize].expect("declared");
        match &d.kind {
            DeclKind::Fn(_) => {
                // The function's constant operands are regenerated with it.
                self.linker.clear_locals(sym)?;
                let mut ctx = Ctx {
                    linker: &mut self.linker,
                    symbols: &self.symbols,
                    module: m,
                    owner: Some(sym),
                    constants: HashMap::new(),
                    helpers: &mut self.helpers,
                    used: Vec::new(),
                };
                let mir = wabe_funcgen::generate(m, decl, &mut ctx, &self.options.codegen)?;
                let used = std::mem::take(&mut ctx.used);
                self.helpers.set_uses(sym, used);
                self.linker.set_function_body(sym, mir)?;
                Ok(())
            }
            DeclKind::Extern(_) => Ok(()),
            DeclKind::Const(_) | DeclKind::Var(_) => {
                if self.linker.atom_of(sym).is_some() {
                    self.linker.clear_locals(sym)?;
                }
                let mut ctx = data::DataCtx {
                    linker: &mut self.linker,
                    symbols: &self.symbols,
                };
                wabe_declgen::generate_decl(m, decl, &mut ctx).map_err(|error| Error::Data {
                    span: d.span,
                    error,
                })
            }
        }
    }

    /// The MIR of every function, printed (for snapshots and `--emit mir`).
    pub fn print_mir(module: &Module, options: &Options) -> Result<String, Error> {
        let mut out = String::new();
        let mut linker = Linker::new(options.link.clone());
        let mut helpers = helpers::Helpers::default();
        let symbols: Vec<Option<SymbolIndex>> = (0..module.decls.len())
            .map(|i| Some(SymbolIndex(i as u32)))
            .collect();
        for (i, d) in module.decls.iter().enumerate() {
            if let DeclKind::Fn(_) = d.kind {
                // A stand-in owner for the function's constant operands.
                let owner = linker.declare_function(&format!("__print_mir_{i}"), &[], &[])?;
                let mut ctx = Ctx {
                    linker: &mut linker,
                    symbols: &symbols,
                    module,
                    owner: Some(owner),
                    constants: HashMap::new(),
                    helpers: &mut helpers,
                    used: Vec::new(),
                };
                let mir = wabe_funcgen::generate(
                    module,
                    DeclIndex(i as u32),
                    &mut ctx,
                    &options.codegen,
                )?;
                out.push_str(&format!(
                    "fn {}:\n{}\n",
                    module.name_str(d.name),
                    mir.display()
                ));
            }
        }
        Ok(out)
    }

    /// Lays out and writes the module.
    pub fn flush(&mut self) -> Result<Vec<u8>, Error> {
        self.helpers.collect(&mut self.linker)?;
        let m: &Module = &self.module;
        self.linker
            .set_error_names(m.types.error_names().map(|n| m.name_str(n)));
        Ok(self.linker.flush()?)
    }

    /// The address of a `const`/`var` in the module written by the last [`flush`](Self::flush)
    /// (`None` before a flush, for other declarations, or for data left out of the module).
    pub fn data_address(&self, decl: DeclIndex) -> Option<u64> {
        let m: &Module = &self.module;
        match m.decls.get(decl.0 as usize)?.kind {
            DeclKind::Const(_) | DeclKind::Var(_) => {
                self.linker.data_address(self.symbols[decl.0 as usize]?)
            }
            _ => None,
        }
    }

    /// The table slot of a function in the module written by the last
    /// [`flush`](Self::flush) (`None` when its address is not taken).
    pub fn table_index(&self, decl: DeclIndex) -> Option<u32> {
        self.linker
            .table_index(self.symbols.get(decl.0 as usize).copied()??)
    }

    /// Lays out and writes a relocatable object (WebAssembly/tool-conventions Linking.md), for
    /// `wasm-ld` or [`wabe_link::object::link`]; see [`wabe_link::Linker::flush_object`].
    pub fn flush_object(&mut self) -> Result<Vec<u8>, Error> {
        self.helpers.collect(&mut self.linker)?;
        let m: &Module = &self.module;
        self.linker
            .set_error_names(m.types.error_names().map(|n| m.name_str(n)));
        Ok(self.linker.flush_object()?)
    }
}
