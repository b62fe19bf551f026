//! The driver's data side: declgen's [`Context`](wabe_declgen::Context) over the linker, the
//! constant operands and name tables funcgen asks for, and incremental updates of a
//! [`Compilation`].
//!
//! # Incremental updates
//!
//! [`Compilation::update`] takes the next version of the program and the names of the
//! declarations whose definition changed (as a compiler front end knows them, Zig's
//! `updateDecl`). It keeps the symbol and atom of every other declaration, frees those of
//! removed declarations (their indices and atoms go to the linker's free lists), declares new
//! ones, and regenerates only the changed and new declarations plus those that refer to a
//! declaration whose interface (kind or type) changed. Every declaration's order key is its
//! position in the new program, so the next flush writes exactly the module a fresh build of
//! the new program writes.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use wabe_air::{DeclIndex, DeclKind, Module};
use wabe_link::Linker;
use wabe_mir::SymbolIndex;
use wabe_types::{TypeId, Value};

use crate::{Compilation, Ctx, Error};

/// declgen's view of the linker.
pub(crate) struct DataCtx<'a> {
    pub(crate) linker: &'a mut Linker,
    pub(crate) symbols: &'a [Option<SymbolIndex>],
}

impl wabe_declgen::Context for DataCtx<'_> {
    fn decl_symbol(&mut self, decl: DeclIndex) -> Option<SymbolIndex> {
        self.symbols.get(decl.0 as usize).copied().flatten()
    }

    fn define_data(
        &mut self,
        sym: SymbolIndex,
        bytes: Vec<u8>,
        align: u32,
        mutable: bool,
    ) -> Result<(), String> {
        self.linker
            .define_data(sym, bytes, align, mutable, Vec::new())
            .map_err(|e| e.to_string())
    }

    fn define_zeros(&mut self, sym: SymbolIndex, size: u64, align: u32) -> Result<(), String> {
        self.linker
            .define_zeros(sym, size, align)
            .map_err(|e| e.to_string())
    }

    fn add_local_data(
        &mut self,
        owner: SymbolIndex,
        bytes: Vec<u8>,
        align: u32,
    ) -> Result<SymbolIndex, String> {
        self.linker
            .add_local_data(owner, bytes, align, Vec::new())
            .map_err(|e| e.to_string())
    }

    fn get_decl_vaddr(
        &mut self,
        src: SymbolIndex,
        target: SymbolIndex,
        offset: u32,
        addend: i64,
    ) -> Result<u64, String> {
        self.linker
            .get_decl_vaddr(src, target, offset, addend)
            .map_err(|e| e.to_string())
    }
}

/// `Context::lower_constant`: a by-ref constant operand becomes an anonymous read-only local
/// atom of the function being generated; one per distinct constant of the function (and the
/// linker stores identical ones of different functions once).
pub(crate) fn lower_constant(
    ctx: &mut Ctx<'_>,
    ty: TypeId,
    value: &Value,
) -> Result<SymbolIndex, String> {
    let key = (ty, value.clone());
    if let Some(&sym) = ctx.constants.get(&key) {
        return Ok(sym);
    }
    let owner = ctx
        .owner
        .ok_or("constant operands need the function being generated")?;
    let owner_name = ctx.linker.symbol_name(owner).unwrap_or("?").to_string();
    let mut data = DataCtx {
        linker: ctx.linker,
        symbols: ctx.symbols,
    };
    let sym = wabe_declgen::generate_constant(ctx.module, ty, value, owner, &owner_name, &mut data)
        .map_err(|e| e.message)?;
    ctx.constants.insert(key, sym);
    Ok(sym)
}

/// `Context::tag_name_table`: the linker's table for the enum's field names.
pub(crate) fn tag_name_table(ctx: &mut Ctx<'_>, enum_ty: TypeId) -> Result<SymbolIndex, String> {
    let pool = &ctx.module.types;
    if (enum_ty.0 as usize) >= pool.len() || pool.enum_tag_type(enum_ty).is_none() {
        return Err("`tag_name` needs an enum type".into());
    }
    let names: Vec<&str> = pool
        .enum_fields(enum_ty)
        .iter()
        .map(|f| pool.names.resolve(f.name))
        .collect();
    Ok(ctx.linker.tag_name_table(&names))
}

/// What other declarations see of a declaration: its kind and its full type. When this
/// changes, declarations referring to it are regenerated too.
fn interface(m: &Module, decl: DeclIndex) -> String {
    let d = m.decl(decl);
    let (kind, ty) = match &d.kind {
        DeclKind::Fn(f) => ("fn", f.ty),
        DeclKind::Extern(e) => ("extern", e.ty),
        DeclKind::Const(g) => ("data", g.ty),
        DeclKind::Var(g) => ("data", g.ty),
    };
    let mut s = String::from(kind);
    if let DeclKind::Extern(e) = &d.kind {
        s.push(' ');
        s.push_str(&e.module);
    }
    s.push(' ');
    let _ = wabe_types::write_type(&m.types, ty, &mut s, false);
    s
}

/// The names of the declarations a declaration refers to (`@name` in its constants).
fn references(m: &Module, decl: DeclIndex) -> Vec<&str> {
    fn walk<'m>(m: &'m Module, v: &Value, out: &mut Vec<&'m str>) {
        match v {
            Value::DeclAddr(a) => out.push(m.name_str(a.decl)),
            Value::Aggregate(vs) => vs.iter().for_each(|v| walk(m, v, out)),
            Value::Fields(fs) => fs.iter().for_each(|(_, v)| walk(m, v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match &m.decl(decl).kind {
        DeclKind::Fn(f) => f
            .air
            .consts
            .iter()
            .for_each(|c| walk(m, &c.value, &mut out)),
        DeclKind::Const(g) | DeclKind::Var(g) => walk(m, &g.value, &mut out),
        DeclKind::Extern(_) => {}
    }
    out
}

impl<'m> Compilation<'m> {
    /// The program being compiled (the latest version after [`update`](Compilation::update)).
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// The linker (for inspecting symbols, atoms and the layout of the last flush).
    pub fn linker(&self) -> &Linker {
        &self.linker
    }

    /// The linker symbol of a declaration of the current program.
    pub fn decl_symbol(&self, name: &str) -> Option<SymbolIndex> {
        let n = self.module.types.names.get(name)?;
        let d = self.module.decl_by_name(n)?;
        self.symbols.get(d.0 as usize).copied().flatten()
    }

    /// Moves to the next version of the program, a verified module, without starting over.
    /// `changed` names the declarations (kept under the same name) whose definition changed,
    /// including those whose types changed; declarations that are new are generated,
    /// declarations that are gone are freed, and every other one keeps its code or data.
    /// Declarations referring to one whose kind or type changed are regenerated as well.
    /// Flush afterwards to get the new module, byte-identical to a fresh build of it.
    pub fn update(&mut self, module: Module, changed: &[&str]) -> Result<(), Error> {
        let old: &Module = &self.module;
        let mut old_by_name: HashMap<String, (DeclIndex, SymbolIndex)> = HashMap::new();
        for (i, d) in old.decls.iter().enumerate() {
            if let Some(sym) = self.symbols[i] {
                old_by_name.insert(old.name_str(d.name).to_string(), (DeclIndex(i as u32), sym));
            }
        }
        let changed: HashSet<&str> = changed.iter().copied().collect();

        // Match the declarations of the new program with the old ones.
        let mut symbols = vec![None; module.decls.len()];
        let mut regenerate = vec![false; module.decls.len()];
        let mut redeclare = Vec::new();
        let mut new_interface: HashSet<String> = HashSet::new();
        let mut kept: HashSet<String> = HashSet::new();
        for (i, d) in module.decls.iter().enumerate() {
            let name = module.name_str(d.name);
            let decl = DeclIndex(i as u32);
            let Some(&(old_decl, sym)) = old_by_name.get(name) else {
                redeclare.push(decl);
                continue;
            };
            let same_interface = interface(old, old_decl) == interface(&module, decl);
            let fn_kind = |k: &DeclKind| matches!(k, DeclKind::Fn(_));
            if same_interface && fn_kind(&old.decl(old_decl).kind) == fn_kind(&d.kind) {
                kept.insert(name.to_string());
                symbols[i] = Some(sym);
                regenerate[i] = changed.contains(name);
                let was_exported = old.decl(old_decl).exported;
                if was_exported != d.exported {
                    if d.exported {
                        match d.kind {
                            DeclKind::Fn(_) | DeclKind::Extern(_) => {
                                self.linker.export_function(sym, name)?
                            }
                            _ => self.linker.export_data(sym, name)?,
                        }
                    } else {
                        self.linker.unexport(sym);
                    }
                }
            } else {
                new_interface.insert(name.to_string());
                redeclare.push(decl);
            }
        }

        // Free what is gone or redeclared (before declaring, so names are free again).
        for (name, &(_, sym)) in &old_by_name {
            if !kept.contains(name) {
                self.linker.free_symbol(sym)?;
                self.helpers.forget(sym);
            }
        }
        self.module = Cow::Owned(module);
        self.symbols = symbols;
        for &decl in &redeclare {
            self.symbols[decl.0 as usize] = Some(self.declare(decl)?);
            regenerate[decl.0 as usize] = true;
        }
        let m: &Module = &self.module;
        for (i, again) in regenerate.iter_mut().enumerate() {
            let decl = DeclIndex(i as u32);
            if let Some(sym) = self.symbols[i] {
                self.linker.set_symbol_order(sym, decl.0)?;
            }
            if !*again
                && references(m, decl)
                    .iter()
                    .any(|&r| new_interface.contains(r) || !kept.contains(r))
            {
                *again = true;
            }
        }
        for (i, &again) in regenerate.iter().enumerate() {
            if again {
                self.update_decl(DeclIndex(i as u32))?;
            }
        }
        Ok(())
    }

    /// Removes one declaration from the program (and frees its symbol and atoms). It is an
    /// error if another declaration still refers to it.
    pub fn remove_decl(&mut self, name: &str) -> Result<(), Error> {
        let m: &Module = &self.module;
        let Some(decl) = m.types.names.get(name).and_then(|n| m.decl_by_name(n)) else {
            return Err(Error::Link(wabe_link::LinkError::Undefined {
                name: name.into(),
            }));
        };
        for i in 0..m.decls.len() {
            let other = DeclIndex(i as u32);
            if other != decl && references(m, other).contains(&name) {
                return Err(Error::StillReferenced {
                    name: name.into(),
                    by: m.name_str(m.decl(other).name).into(),
                });
            }
        }
        if let Some(sym) = self.symbols[decl.0 as usize] {
            self.linker.free_symbol(sym)?;
            self.helpers.forget(sym);
        }
        let module = self.module.to_mut();
        module.decls.remove(decl.0 as usize);
        module.decl_map = module
            .decls
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name, DeclIndex(i as u32)))
            .collect();
        self.symbols.remove(decl.0 as usize);
        for (i, sym) in self.symbols.iter().enumerate() {
            if let Some(sym) = *sym {
                self.linker.set_symbol_order(sym, i as u32)?;
            }
        }
        Ok(())
    }
}
