//! Resolving `@name[3].x` and `@name[1..4]` to a declaration and a byte offset inside it.

use wabe_air::{DeclIndex, DeclKind, Module};
use wabe_types::{DeclAddr, PathElem, TypeId, TypeKey};

/// Where an address constant (`@name`, `@name[2].x`, `@name[1..4]`) points.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct ResolvedAddr {
    /// The declaration it points into.
    pub decl: DeclIndex,
    /// The byte offset inside the declaration (the relocation's addend). Always 0 for a
    /// function.
    pub offset: u64,
    /// The type of what it points at: the element type for a slice `@name[a..b]`, the
    /// function type for `@f`.
    pub pointee: TypeId,
    /// For a slice, its length `b - a`.
    pub len: Option<u64>,
    /// Whether the declaration is a function (`fn` or `extern fn`): the address is then a
    /// table index, not a memory address.
    pub is_function: bool,
}

/// Resolves an address constant against the module's declarations, computing the byte offset
/// of the element or field path with the layout of `wabe-types` (a slice start is scaled by the
/// element size). Errors name the address; nothing panics on a malformed path.
///
/// Function code generation may use this too, for `@table[77]` operands (a `MemAddr` of the
/// declaration's symbol with `offset` as addend).
pub fn resolve_decl_addr(module: &Module, addr: &DeclAddr) -> Result<ResolvedAddr, String> {
    let pool = &module.types;
    let text = || format_addr(module, addr);
    let decl = module
        .decl_by_name(addr.decl)
        .filter(|d| (d.0 as usize) < module.decls.len())
        .ok_or_else(|| format!("`{}` names no declaration", text()))?;
    let (is_function, mut ty) = match &module.decl(decl).kind {
        DeclKind::Fn(f) => (true, f.ty),
        DeclKind::Extern(e) => (true, e.ty),
        DeclKind::Const(g) | DeclKind::Var(g) => (false, g.ty),
    };
    if is_function {
        if !addr.path.is_empty() || addr.slice.is_some() {
            return Err(format!(
                "`{}`: a function has no elements or fields",
                text()
            ));
        }
        return Ok(ResolvedAddr {
            decl,
            offset: 0,
            pointee: ty,
            len: None,
            is_function,
        });
    }
    let mut offset = 0u64;
    let overflow = || format!("`{}`: the offset overflows", text());
    for p in addr.path.iter() {
        match (p, pool.key(ty)) {
            (PathElem::Index(i), TypeKey::Array { len, elem }) => {
                if i >= len {
                    return Err(format!(
                        "`{}`: index {i} is out of bounds for `{}`",
                        text(),
                        pool.display(ty)
                    ));
                }
                let step = i.checked_mul(pool.abi_size(*elem)).ok_or_else(overflow)?;
                offset = offset.checked_add(step).ok_or_else(overflow)?;
                ty = *elem;
            }
            (PathElem::Field(n), TypeKey::Struct { .. } | TypeKey::Union { .. }) => {
                let Some(index) = pool.field_index(ty, *n) else {
                    return Err(format!(
                        "`{}`: `{}` has no field `{}`",
                        text(),
                        pool.display(ty),
                        pool.names.resolve(*n)
                    ));
                };
                offset = offset
                    .checked_add(pool.field_offset(ty, index))
                    .ok_or_else(overflow)?;
                ty = pool.field_type(ty, index).ok_or_else(overflow)?;
            }
            (PathElem::Index(_), _) => {
                return Err(format!(
                    "`{}`: `{}` is not an array",
                    text(),
                    pool.display(ty)
                ))
            }
            (PathElem::Field(_), _) => {
                return Err(format!(
                    "`{}`: `{}` has no fields",
                    text(),
                    pool.display(ty)
                ))
            }
        }
    }
    let mut len = None;
    if let Some((lo, hi)) = addr.slice {
        let TypeKey::Array { len: n, elem } = *pool.key(ty) else {
            return Err(format!(
                "`{}`: only arrays can be sliced, not `{}`",
                text(),
                pool.display(ty)
            ));
        };
        if lo > hi || hi > n {
            return Err(format!(
                "`{}`: the range is out of bounds for `{}`",
                text(),
                pool.display(ty)
            ));
        }
        let step = lo.checked_mul(pool.abi_size(elem)).ok_or_else(overflow)?;
        offset = offset.checked_add(step).ok_or_else(overflow)?;
        ty = elem;
        len = Some(hi - lo);
    }
    Ok(ResolvedAddr {
        decl,
        offset,
        pointee: ty,
        len,
        is_function,
    })
}

/// `@name[2].x[1..3]` as written.
pub(crate) fn format_addr(module: &Module, a: &DeclAddr) -> String {
    let names = &module.types.names;
    let mut s = format!("@{}", names.resolve(a.decl));
    for p in a.path.iter() {
        match p {
            PathElem::Index(i) => s += &format!("[{i}]"),
            PathElem::Field(n) => s += &format!(".{}", names.resolve(*n)),
        }
    }
    if let Some((lo, hi)) = a.slice {
        s += &format!("[{lo}..{hi}]");
    }
    s
}
