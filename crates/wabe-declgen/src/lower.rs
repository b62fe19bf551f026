//! Phase 1: a typed constant to bytes, with the pointer fields left as placeholders and listed
//! as [`Pointer`]s. Nothing here talks to the linker.

use wabe_air::Module;
use wabe_types::{float_bits_from_f64, FloatType, Int, PtrSize, TypeId, TypeKey, TypePool, Value};

use crate::addr::{format_addr, resolve_decl_addr};
use crate::{Blob, Pointer, Target};

/// The most bytes one constant may occupy in the file: 1 GiB, the largest module browsers
/// load. Zero-initialised `var`s are not limited by this (they cost no file bytes).
pub const MAX_INITIALIZED_BYTES: u64 = 1 << 30;

/// How deeply values may nest (aggregates of aggregates ...).
const MAX_DEPTH: u32 = 512;

/// Lowers `value` of type `ty` to its bytes in memory, with the exact layout of `wabe-types`:
/// padding bytes are zero, `undef` bytes are `undef_byte` (0xaa for data), pointer fields are
/// zero placeholders listed in [`Blob::pointers`] (in increasing offset order).
///
/// The value must fit the type (as [`TypePool::check_value`] says); a value that does not, an
/// address that does not resolve, or a function address used as a data pointer (or the
/// reverse) is an error message, never a panic.
pub fn lower<'v>(
    module: &'v Module,
    ty: TypeId,
    value: &'v Value,
    undef_byte: u8,
) -> Result<Blob<'v>, String> {
    let pool = &module.types;
    if (ty.0 as usize) >= pool.len() {
        return Err(format!("type id {} does not exist", ty.0));
    }
    let size = pool.abi_size(ty);
    if size > MAX_INITIALIZED_BYTES {
        return Err(format!(
            "`{}` takes {size} bytes, more than the {MAX_INITIALIZED_BYTES} bytes of \
             initialized data a module may hold (a `var` initialized with `undef` or zero costs no \
             file bytes)",
            pool.display(ty)
        ));
    }
    let mut l = Lower {
        m: module,
        pool,
        bytes: vec![0; size as usize],
        pointers: Vec::new(),
        undef: undef_byte,
        nonzero: false,
        depth: 0,
        path: String::new(),
    };
    l.value(ty, value, 0)?;
    l.pointers.sort_by_key(|p| p.offset);
    let zero = !l.nonzero && l.pointers.is_empty();
    Ok(Blob {
        bytes: l.bytes,
        align: pool.abi_align(ty) as u32,
        pointers: l.pointers,
        zero,
    })
}

struct Lower<'v> {
    m: &'v Module,
    pool: &'v TypePool,
    bytes: Vec<u8>,
    pointers: Vec<Pointer<'v>>,
    undef: u8,
    /// Whether a defined (not `undef`) byte is non-zero.
    nonzero: bool,
    depth: u32,
    /// The path to the value being lowered, for messages (`.next[2]`).
    path: String,
}

impl<'v> Lower<'v> {
    fn fail<T>(&self, ty: TypeId, value: &Value, why: &str) -> Result<T, String> {
        let at = if self.path.is_empty() {
            String::new()
        } else {
            format!(" (at `{}`)", self.path)
        };
        Err(format!(
            "{} {why} `{}`{at}",
            describe(self.m, value),
            self.pool.display(ty)
        ))
    }

    fn put(&mut self, off: u64, data: &[u8]) {
        let off = off as usize;
        self.nonzero |= data.iter().any(|&b| b != 0);
        self.bytes[off..off + data.len()].copy_from_slice(data);
    }

    fn put_int(&mut self, off: u64, size: u64, v: &Int) {
        let (off, size) = (off as usize, size as usize);
        let dest = &mut self.bytes[off..off + size];
        v.write_le_bytes(dest);
        self.nonzero |= dest.iter().any(|&b| b != 0);
    }

    fn nested(&mut self, ty: TypeId, v: &'v Value, off: u64, seg: &str) -> Result<(), String> {
        let mark = self.path.len();
        self.path.push_str(seg);
        self.value(ty, v, off)?;
        self.path.truncate(mark);
        Ok(())
    }

    fn value(&mut self, ty: TypeId, v: &'v Value, off: u64) -> Result<(), String> {
        let pool = self.pool;
        let size = pool.abi_size(ty);
        if let Value::Undef = v {
            let (o, s) = (off as usize, size as usize);
            self.bytes[o..o + s].fill(self.undef);
            return Ok(());
        }
        if self.depth >= MAX_DEPTH {
            return Err("the value is nested too deeply".into());
        }
        self.depth += 1;
        let r = self.value_inner(ty, v, off, size);
        self.depth -= 1;
        r
    }

    fn value_inner(&mut self, ty: TypeId, v: &'v Value, off: u64, size: u64) -> Result<(), String> {
        let pool = self.pool;
        match (pool.key(ty), v) {
            (TypeKey::Optional(child), _) => {
                let child = *child;
                if matches!(v, Value::Null) {
                    // Null: a zero pointer, or a zero payload with a zero flag.
                    return Ok(());
                }
                self.value(child, v, off)?;
                if !pool.is_pointer_like_optional_child(child) {
                    self.put(off + pool.optional_flag_offset(ty), &[1]);
                }
                Ok(())
            }
            (TypeKey::ErrorUnion { payload, .. }, _) => {
                let payload = *payload;
                let (eo, po) = pool.error_union_offsets(ty);
                if let Value::Error(name) = v {
                    let e = self.error_value(ty, v, *name)?;
                    self.put(off + eo, &e.to_le_bytes());
                    return Ok(());
                }
                if pool.has_runtime_bits(payload) {
                    self.value(payload, v, off + po)?;
                }
                Ok(())
            }
            (TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize, Value::Int(i)) => {
                let (signed, bits) = pool.int_info(ty).unwrap_or((false, 0));
                if !i.fits(signed, bits) {
                    return self.fail(ty, v, "does not fit");
                }
                self.put_int(off, size, i);
                Ok(())
            }
            (TypeKey::Bool, Value::Bool(b)) => {
                self.put(off, &[*b as u8]);
                Ok(())
            }
            (TypeKey::Float(f), Value::Float(bits)) => {
                self.put_float(off, *f, *bits);
                Ok(())
            }
            (TypeKey::Float(f), Value::Int(i)) => {
                let f = *f;
                self.put_float(off, f, float_bits_from_f64(f, int_to_f64(i)));
                Ok(())
            }
            (TypeKey::Enum { fields, .. }, Value::Int(i)) => {
                if !fields.iter().any(|f| f.value == *i) {
                    return self.fail(ty, v, "is not a value of the enum");
                }
                self.put_int(off, size, i);
                Ok(())
            }
            (TypeKey::Enum { .. }, Value::EnumLiteral(name)) => {
                let Some(tag) = pool.enum_field_value(ty, *name) else {
                    return self.fail(ty, v, "is not a value of");
                };
                let tag = tag.clone();
                self.put_int(off, size, &tag);
                Ok(())
            }
            (TypeKey::AnyError | TypeKey::ErrorSet { .. }, Value::Error(name)) => {
                if size == 0 {
                    return self.fail(ty, v, "does not fit the empty error set");
                }
                let e = self.error_value(ty, v, *name)?;
                self.put(off, &e.to_le_bytes());
                Ok(())
            }
            (TypeKey::Void, Value::Aggregate(es)) if es.is_empty() => Ok(()),
            (TypeKey::Array { len, elem }, Value::Aggregate(es)) => {
                let (len, elem) = (*len, *elem);
                if es.len() as u64 != len {
                    return self.fail(ty, v, &format!("has {} elements for", es.len()));
                }
                let step = pool.abi_size(elem);
                for (i, e) in es.iter().enumerate() {
                    self.nested(elem, e, off + i as u64 * step, &format!("[{i}]"))?;
                }
                Ok(())
            }
            (TypeKey::Array { len, elem }, Value::Bytes(b)) => {
                if *elem != TypeId::U8 || *len != b.len() as u64 {
                    return self.fail(ty, v, "does not fit");
                }
                self.put(off, b);
                Ok(())
            }
            (TypeKey::Struct { fields, .. }, Value::Aggregate(es)) => {
                if es.len() != fields.len() {
                    let why = format!("has {} values for the fields of", es.len());
                    return self.fail(ty, v, &why);
                }
                for (i, (f, e)) in fields.iter().zip(es.iter()).enumerate() {
                    let seg = format!(".{}", pool.names.resolve(f.name));
                    self.nested(f.ty, e, off + pool.field_offset(ty, i), &seg)?;
                }
                Ok(())
            }
            (TypeKey::Struct { fields, .. }, Value::Fields(given)) => {
                for f in fields.iter() {
                    if !given.iter().any(|(n, _)| *n == f.name) {
                        let why = format!("is missing field `{}` of", pool.names.resolve(f.name));
                        return self.fail(ty, v, &why);
                    }
                }
                for (name, e) in given.iter() {
                    let Some(i) = pool.field_index(ty, *name) else {
                        let why = format!("names no field `{}` of", pool.names.resolve(*name));
                        return self.fail(ty, v, &why);
                    };
                    let seg = format!(".{}", pool.names.resolve(*name));
                    self.nested(fields[i].ty, e, off + pool.field_offset(ty, i), &seg)?;
                }
                Ok(())
            }
            (TypeKey::Union { fields, tag, .. }, Value::Fields(given)) => {
                let [(name, e)] = &given[..] else {
                    return self.fail(ty, v, "must name exactly one field of");
                };
                let Some(i) = pool.field_index(ty, *name) else {
                    let why = format!("names no field `{}` of", pool.names.resolve(*name));
                    return self.fail(ty, v, &why);
                };
                let seg = format!(".{}", pool.names.resolve(*name));
                let payload = pool.union_payload_offset(ty);
                self.nested(fields[i].ty, e, off + payload, &seg)?;
                if let Some(tag_ty) = *tag {
                    let Some(value) = pool.union_field_tag(ty, i) else {
                        return self.fail(ty, v, "has no tag value in");
                    };
                    let value = value.clone();
                    let tag_size = pool.abi_size(tag_ty);
                    self.put_int(off + pool.union_tag_offset(ty), tag_size, &value);
                }
                Ok(())
            }
            (
                TypeKey::Pointer {
                    size: PtrSize::Slice,
                    child,
                    ..
                },
                _,
            ) => self.slice(ty, *child, v, off),
            (
                TypeKey::Pointer {
                    size: psize, child, ..
                },
                _,
            ) => self.pointer(ty, *psize, *child, v, off, size),
            _ => self.fail(ty, v, "does not fit"),
        }
    }

    fn put_float(&mut self, off: u64, f: FloatType, bits: u128) {
        let bytes = bits.to_le_bytes();
        let n = match f {
            FloatType::F16 => 2,
            FloatType::F32 => 4,
            FloatType::F64 => 8,
            // The 80-bit value in the low 10 bytes; the other 6 are padding.
            FloatType::F80 => 10,
            FloatType::F128 => 16,
        };
        self.put(off, &bytes[..n]);
    }

    fn error_value(&self, ty: TypeId, v: &Value, name: wabe_types::NameId) -> Result<u16, String> {
        if let TypeKey::ErrorSet { names, .. } = self.pool.key(ty) {
            if names.binary_search(&name).is_err() {
                return self.fail(ty, v, "is not in the error set");
            }
        }
        match self.pool.error_names().position(|n| n == name) {
            Some(p) if p < u16::MAX as usize => Ok(p as u16 + 1),
            _ => self.fail(ty, v, "has no error value in the module, so it cannot be a"),
        }
    }

    /// A single, many-item or C pointer.
    fn pointer(
        &mut self,
        ty: TypeId,
        psize: PtrSize,
        child: TypeId,
        v: &'v Value,
        off: u64,
        size: u64,
    ) -> Result<(), String> {
        match v {
            Value::Int(i) => {
                if !i.fits(false, (size * 8) as u32) {
                    return self.fail(ty, v, "does not fit");
                }
                self.put_int(off, size, i);
                Ok(())
            }
            Value::Null if psize == PtrSize::C => Ok(()),
            Value::Bytes(b) => {
                let ok = match *self.pool.key(child) {
                    TypeKey::Array { len, elem } => {
                        psize == PtrSize::One && elem == TypeId::U8 && len == b.len() as u64
                    }
                    _ => psize != PtrSize::One && child == TypeId::U8,
                };
                if !ok {
                    return self.fail(ty, v, "(a string literal) does not fit");
                }
                self.pointers.push(Pointer {
                    offset: off as u32,
                    target: Target::Bytes(b),
                    addend: 0,
                });
                Ok(())
            }
            Value::DeclAddr(a) => {
                let r = resolve_decl_addr(self.m, a)?;
                let wants_fn = matches!(self.pool.key(child), TypeKey::Fn { .. });
                if r.len.is_some() {
                    return self.fail(ty, v, "is a slice, which does not fit");
                }
                if r.is_function && !wants_fn {
                    return Err(format!(
                        "`{}` is the address of a function, which cannot be used as the data \
                         pointer `{}`",
                        format_addr(self.m, a),
                        self.pool.display(ty)
                    ));
                }
                if !r.is_function && wants_fn {
                    return Err(format!(
                        "`{}` is the address of data, which cannot be used as the function \
                         pointer `{}`",
                        format_addr(self.m, a),
                        self.pool.display(ty)
                    ));
                }
                self.pointers.push(Pointer {
                    offset: off as u32,
                    target: Target::Decl(r.decl),
                    addend: r.offset as i64,
                });
                Ok(())
            }
            _ => self.fail(ty, v, "does not fit"),
        }
    }

    /// A slice: `{ ptr, len }`.
    fn slice(&mut self, ty: TypeId, elem: TypeId, v: &'v Value, off: u64) -> Result<(), String> {
        let ptr = self.m.target.ptr_size();
        let (target, addend, len) = match v {
            Value::Bytes(b) => {
                if elem != TypeId::U8 {
                    return self.fail(ty, v, "(a string literal) does not fit");
                }
                (Target::Bytes(b), 0, b.len() as u64)
            }
            Value::DeclAddr(a) => {
                let r = resolve_decl_addr(self.m, a)?;
                let Some(len) = r.len else {
                    return self.fail(
                        ty,
                        v,
                        "is a single-item address and needs a range `[a..b]` for",
                    );
                };
                if r.pointee != elem {
                    return self.fail(ty, v, "is a slice of another element type than");
                }
                (Target::Decl(r.decl), r.offset as i64, len)
            }
            _ => return self.fail(ty, v, "does not fit"),
        };
        self.pointers.push(Pointer {
            offset: off as u32,
            target,
            addend,
        });
        self.put_int(off + ptr, ptr, &Int::from_u128(len as u128));
        Ok(())
    }
}

fn int_to_f64(i: &Int) -> f64 {
    if let Some(v) = i.to_i128() {
        return v as f64;
    }
    let (neg, mag) = i.sign_mag();
    let m = mag.iter().rev().fold(0f64, |acc, &limb| {
        acc * 18446744073709551616.0 + limb as f64
    });
    if neg {
        -m
    } else {
        m
    }
}

/// A short description of a value for messages.
fn describe(m: &Module, v: &Value) -> String {
    let names = &m.types.names;
    match v {
        Value::Int(i) => format!("`{i}`"),
        Value::Float(bits) => format!("the float with bits {bits:#x}"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Undef => "`undef`".into(),
        Value::Null => "`null`".into(),
        Value::Bytes(b) => format!("the {}-byte string", b.len()),
        Value::Aggregate(_) => "the aggregate `.{ ... }`".into(),
        Value::Fields(_) => "the field list `.{ .name = ... }`".into(),
        Value::EnumLiteral(n) => format!("`.{}`", names.resolve(*n)),
        Value::Error(n) => format!("`error.{}`", names.resolve(*n)),
        Value::DeclAddr(a) => format!("`{}`", format_addr(m, a)),
    }
}
