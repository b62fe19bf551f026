//! A module: declarations (functions, imports, constants, variables) over one type pool.

use crate::air::{Air, Span};
use std::collections::HashMap;
use wabe_types::{NameId, PtrSize, Target, TypeId, TypeKey, TypePool, Value};

/// The index of a declaration in [`Module::decls`].
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct DeclIndex(pub u32);

/// A whole program unit: the target, its types and its declarations.
#[derive(Clone, Debug)]
pub struct Module {
    /// The target (IR: `target wasm32`).
    pub target: Target,
    /// Every type of the module, laid out for `target`. Its interner also holds declaration
    /// and value names.
    pub types: TypePool,
    /// `type Name = ...` items, in source order (for printing).
    pub type_items: Vec<TypeItem>,
    /// Declarations in source order.
    pub decls: Vec<Decl>,
    /// Declarations by name.
    pub decl_map: HashMap<NameId, DeclIndex>,
}

/// A `type Name = T` item.
#[derive(Clone, Debug)]
pub struct TypeItem {
    /// The alias name.
    pub name: NameId,
    /// The type it names.
    pub ty: TypeId,
    /// Where it was declared.
    pub span: Span,
}

/// A declaration.
#[derive(Clone, Debug)]
pub struct Decl {
    /// Its name.
    pub name: NameId,
    /// `export`ed under its name.
    pub exported: bool,
    /// Where it was declared.
    pub span: Span,
    /// What it is.
    pub kind: DeclKind,
}

/// The kinds of declaration.
#[derive(Clone, Debug)]
pub enum DeclKind {
    /// A function with a body.
    Fn(Function),
    /// `extern fn`: an imported (or, in objects, undefined) function.
    Extern(ExternFn),
    /// `const`: read-only data.
    Const(Global),
    /// `var`: mutable data.
    Var(Global),
}

/// A function definition.
#[derive(Clone, Debug)]
pub struct Function {
    /// Its function type (`TypeKey::Fn`).
    pub ty: TypeId,
    /// Its instructions; parameters are the `arg` instructions at the start of the main body.
    pub air: Air,
}

/// An `extern fn`.
#[derive(Clone, Debug)]
pub struct ExternFn {
    /// Its function type.
    pub ty: TypeId,
    /// The import module (`"env"` by default).
    pub module: String,
    /// Parameter names as written (for printing).
    pub param_names: Vec<NameId>,
}

/// A `const` or `var`.
#[derive(Clone, Debug)]
pub struct Global {
    /// Its type.
    pub ty: TypeId,
    /// Its initial value.
    pub value: Value,
}

impl Module {
    /// An empty module for `target`.
    pub fn new(target: Target) -> Self {
        Module {
            target,
            types: TypePool::new(target),
            type_items: Vec::new(),
            decls: Vec::new(),
            decl_map: HashMap::new(),
        }
    }

    /// Interns a name.
    pub fn name(&mut self, s: &str) -> NameId {
        self.types.names.intern(s)
    }

    /// The text of a name.
    pub fn name_str(&self, n: NameId) -> &str {
        self.types.names.resolve(n)
    }

    /// Adds a declaration; `None` if the name is already declared.
    pub fn add_decl(&mut self, decl: Decl) -> Option<DeclIndex> {
        if self.decl_map.contains_key(&decl.name) {
            return None;
        }
        let idx = DeclIndex(self.decls.len() as u32);
        self.decl_map.insert(decl.name, idx);
        self.decls.push(decl);
        Some(idx)
    }

    /// The declaration named `name`.
    pub fn decl_by_name(&self, name: NameId) -> Option<DeclIndex> {
        self.decl_map.get(&name).copied()
    }

    /// A declaration.
    pub fn decl(&self, i: DeclIndex) -> &Decl {
        &self.decls[i.0 as usize]
    }

    /// The function type of a `fn` or `extern fn` declaration.
    pub fn fn_type(&self, i: DeclIndex) -> Option<TypeId> {
        match &self.decl(i).kind {
            DeclKind::Fn(f) => Some(f.ty),
            DeclKind::Extern(e) => Some(e.ty),
            _ => None,
        }
    }

    /// The type of `@name`: `*const fn ..` for functions, `*const T` for a `const`, `*T` for a
    /// `var`.
    pub fn decl_ptr_type(&mut self, i: DeclIndex) -> TypeId {
        let (is_const, child) = match &self.decls[i.0 as usize].kind {
            DeclKind::Fn(f) => (true, f.ty),
            DeclKind::Extern(e) => (true, e.ty),
            DeclKind::Const(g) => (true, g.ty),
            DeclKind::Var(g) => (false, g.ty),
        };
        self.types.pointer(PtrSize::One, is_const, child)
    }

    /// The result type and parameter types of a function type.
    pub fn fn_signature(&self, fn_ty: TypeId) -> Option<(&[TypeId], TypeId)> {
        match self.types.key(fn_ty) {
            TypeKey::Fn { params, ret, .. } => Some((params, *ret)),
            _ => None,
        }
    }
}
