//! Checking that a constant [`Value`] fits its type (IR.md section 4).
//!
//! The check needs only the type pool: a [`Value::DeclAddr`] is accepted for any pointer-shaped
//! type without looking the declaration up (that is the job of whoever owns the declarations).
//! Every mismatch is a [`TypeError::Value`] naming the offending value, the expected type and,
//! for nested values, the path to it (`.origin.x`, `[2]`).

use crate::error::TypeError;
use crate::ty::{FloatType, PtrSize, TypeId, TypeKey, TypePool};
use crate::value::{Int, Value};
use std::fmt::Write;

impl TypePool {
    /// Checks that `value` is a valid constant of type `ty`:
    ///
    /// - `undef` fits every type.
    /// - Integers fit integer types, `usize`/`isize` and non-slice pointers (an absolute
    ///   address) when the value is in range; enums when it is one of the enum's values; floats
    ///   when its magnitude does not exceed the largest finite value of the float type.
    /// - Float bit patterns only fit float types, and must not use bits beyond the format.
    /// - `true`/`false` fit `bool`.
    /// - `null` fits optionals and C pointers.
    /// - Bytes fit `[N]u8` of exactly N bytes, `*const [N]u8` of exactly N bytes, and
    ///   `[]const u8`, `[*]const u8` and `[*c]const u8`.
    /// - `.{ a, b, c }` fits arrays and structs with exactly that many elements or fields
    ///   (`.{}` also fits `void`); `.{ .x = 1 }` fits structs when it names every field once,
    ///   and unions when it names exactly one field. Elements and fields are checked
    ///   recursively.
    /// - `.name` fits enums with a field of that name.
    /// - `error.Name` fits `anyerror`, error sets containing the name, and error unions whose
    ///   error set contains it.
    /// - A declaration address fits pointers (slices included, which `@name[a..b]` requires),
    ///   and optionals of them.
    /// - In `?T` any other value is the payload and is checked against `T`; in `E!T`, against
    ///   `T`.
    pub fn check_value(&self, ty: TypeId, value: &Value) -> Result<(), TypeError> {
        let mut path = String::new();
        self.check_at(ty, value, &mut path)
    }

    fn check_at(&self, ty: TypeId, value: &Value, path: &mut String) -> Result<(), TypeError> {
        let fail = |pool: &TypePool, why: &str, path: &str| {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(" (at `{path}`)")
            };
            Err(TypeError::Value(format!(
                "{} {why} `{}`{at}",
                describe(pool, value),
                pool.display(ty)
            )))
        };
        if let Value::Undef = value {
            return Ok(());
        }
        match (self.key(ty), value) {
            // Payloads of optionals and error unions, and what only they accept.
            (TypeKey::Optional(_), Value::Null) => Ok(()),
            (TypeKey::Optional(child), _) => self.check_at(*child, value, path),
            (TypeKey::ErrorUnion { error, .. }, Value::Error(_)) => {
                self.check_at(*error, value, path)
            }
            (TypeKey::ErrorUnion { payload, .. }, _) => self.check_at(*payload, value, path),

            (_, Value::Int(v)) => self.check_int(ty, v, path),
            (TypeKey::Float(f), Value::Float(bits)) => {
                if f.bits() < 128 && *bits >> f.bits() != 0 {
                    return fail(self, "has bits beyond the format of", path);
                }
                Ok(())
            }
            (TypeKey::Bool, Value::Bool(_)) => Ok(()),
            (
                TypeKey::Pointer {
                    size: PtrSize::C, ..
                },
                Value::Null,
            ) => Ok(()),
            (_, Value::Bytes(bytes)) => {
                if self.accepts_bytes(ty, bytes.len() as u64) {
                    Ok(())
                } else {
                    fail(self, "(a string literal) does not fit", path)
                }
            }
            (TypeKey::Void, Value::Aggregate(elems)) if elems.is_empty() => Ok(()),
            (TypeKey::Array { len, elem }, Value::Aggregate(elems)) => {
                if elems.len() as u64 != *len {
                    return fail(self, &format!("has {} elements for", elems.len()), path);
                }
                for (i, e) in elems.iter().enumerate() {
                    let mark = path.len();
                    let _ = write!(path, "[{i}]");
                    self.check_at(*elem, e, path)?;
                    path.truncate(mark);
                }
                Ok(())
            }
            (TypeKey::Struct { fields, .. }, Value::Aggregate(elems)) => {
                if elems.len() != fields.len() {
                    return fail(
                        self,
                        &format!("has {} values for the fields of", elems.len()),
                        path,
                    );
                }
                for (f, e) in fields.iter().zip(elems.iter()) {
                    let mark = path.len();
                    let _ = write!(path, ".{}", self.names.resolve(f.name));
                    self.check_at(f.ty, e, path)?;
                    path.truncate(mark);
                }
                Ok(())
            }
            (TypeKey::Struct { fields, .. }, Value::Fields(given)) => {
                for (i, (name, v)) in given.iter().enumerate() {
                    let Some(f) = fields.iter().find(|f| f.name == *name) else {
                        let why = format!("names no field `{}` of", self.names.resolve(*name));
                        return fail(self, &why, path);
                    };
                    if given[..i].iter().any(|(n, _)| n == name) {
                        let why = format!("gives field `{}` twice for", self.names.resolve(*name));
                        return fail(self, &why, path);
                    }
                    let mark = path.len();
                    let _ = write!(path, ".{}", self.names.resolve(*name));
                    self.check_at(f.ty, v, path)?;
                    path.truncate(mark);
                }
                if let Some(f) = fields
                    .iter()
                    .find(|f| !given.iter().any(|(n, _)| *n == f.name))
                {
                    let why = format!("is missing field `{}` of", self.names.resolve(f.name));
                    return fail(self, &why, path);
                }
                Ok(())
            }
            (TypeKey::Union { fields, .. }, Value::Fields(given)) => {
                let [(name, v)] = &given[..] else {
                    return fail(self, "must name exactly one field of", path);
                };
                let Some(f) = fields.iter().find(|f| f.name == *name) else {
                    let why = format!("names no field `{}` of", self.names.resolve(*name));
                    return fail(self, &why, path);
                };
                let mark = path.len();
                let _ = write!(path, ".{}", self.names.resolve(*name));
                self.check_at(f.ty, v, path)?;
                path.truncate(mark);
                Ok(())
            }
            (TypeKey::Enum { fields, .. }, Value::EnumLiteral(name)) => {
                if fields.iter().any(|f| f.name == *name) {
                    Ok(())
                } else {
                    fail(self, "is not a value of", path)
                }
            }
            (TypeKey::AnyError, Value::Error(_)) => Ok(()),
            (TypeKey::ErrorSet { names, .. }, Value::Error(name)) => {
                if names.binary_search(name).is_ok() {
                    Ok(())
                } else {
                    fail(self, "is not in the error set", path)
                }
            }
            (_, Value::DeclAddr(addr)) => {
                let is_slice = matches!(
                    self.key(ty),
                    TypeKey::Pointer {
                        size: PtrSize::Slice,
                        ..
                    }
                );
                match (self.key(ty), addr.slice) {
                    (TypeKey::Pointer { .. }, None) => Ok(()),
                    (_, Some(_)) if !is_slice => fail(self, "is a slice, which does not fit", path),
                    (_, Some((start, end))) if start > end => fail(
                        self,
                        "is a slice that ends before its start; it does not fit",
                        path,
                    ),
                    (_, Some(_)) => Ok(()),
                    _ => fail(self, "is an address, which does not fit", path),
                }
            }
            _ => fail(self, "does not fit", path),
        }
    }

    fn check_int(&self, ty: TypeId, v: &Int, path: &str) -> Result<(), TypeError> {
        let ok = match self.key(ty) {
            TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize => {
                let (signed, bits) = self.int_info(ty).expect("an integer type");
                v.fits(signed, bits)
            }
            TypeKey::Pointer { size, .. } if *size != PtrSize::Slice => {
                v.fits(false, self.target().ptr_size() as u32 * 8)
            }
            TypeKey::Enum { fields, .. } => fields.iter().any(|f| f.value == *v),
            TypeKey::Float(f) => int_fits_float(*f, v),
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" (at `{path}`)")
        };
        let why = match self.key(ty) {
            TypeKey::Enum { .. } => "is not a value of the enum",
            TypeKey::Float(_) => "is out of the range of",
            TypeKey::Int { .. } | TypeKey::Usize | TypeKey::Isize | TypeKey::Pointer { .. } => {
                "does not fit"
            }
            _ => "(an integer) does not fit",
        };
        Err(TypeError::Value(format!(
            "`{v}` {why} `{}`{at}",
            self.display(ty)
        )))
    }

    /// Whether a string literal of `len` bytes fits `ty`.
    fn accepts_bytes(&self, ty: TypeId, len: u64) -> bool {
        let is_u8 = |t: TypeId| t == TypeId::U8;
        match *self.key(ty) {
            TypeKey::Array { len: n, elem } => is_u8(elem) && n == len,
            TypeKey::Pointer {
                size: PtrSize::One,
                is_const: true,
                child,
            } => {
                let array = self.key(child);
                matches!(*array, TypeKey::Array { len: n, elem } if is_u8(elem) && n == len)
            }
            TypeKey::Pointer {
                size: PtrSize::Slice | PtrSize::Many | PtrSize::C,
                is_const,
                child,
            } => is_const && is_u8(child),
            _ => false,
        }
    }
}

/// Whether an integer converts to a finite value of the float type: rounding to nearest, a
/// magnitude reaches infinity exactly when it is at least `2^(emax+1) - 2^(emax-p)` (the
/// largest finite value plus half an ulp), that is when it has `emax + 1` bits and its top
/// `p + 1` bits are all ones, or more bits than that.
fn int_fits_float(f: FloatType, v: &Int) -> bool {
    let (emax, p): (u64, u64) = match f {
        FloatType::F16 => (15, 11),
        FloatType::F32 => (127, 24),
        FloatType::F64 => (1023, 53),
        FloatType::F80 => (16383, 64),
        FloatType::F128 => (16383, 113),
    };
    let (_, mag) = v.sign_mag();
    let Some(top) = mag.last() else { return true };
    let bits = (mag.len() as u64 - 1) * 64 + (64 - top.leading_zeros() as u64);
    let bit = |i: u64| (mag[(i / 64) as usize] >> (i % 64)) & 1 == 1;
    bits < emax + 1 || (bits == emax + 1 && !(emax - p..=emax).all(bit))
}

/// A short description of a value for error messages.
fn describe(pool: &TypePool, v: &Value) -> String {
    match v {
        Value::Int(i) => format!("`{i}`"),
        Value::Float(bits) => format!("the float with bits {bits:#x}"),
        Value::Bool(b) => format!("`{b}`"),
        Value::Undef => "`undef`".into(),
        Value::Null => "`null`".into(),
        Value::Bytes(b) => format!("the {}-byte string", b.len()),
        Value::Aggregate(_) => "the aggregate `.{ ... }`".into(),
        Value::Fields(_) => "the field list `.{ .name = ... }`".into(),
        Value::EnumLiteral(n) => format!("`.{}`", pool.names.resolve(*n)),
        Value::Error(n) => format!("`error.{}`", pool.names.resolve(*n)),
        Value::DeclAddr(a) => format!("`@{}`", pool.names.resolve(a.decl)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_range_of_ints() {
        let i = |v: i128| Int::from_i128(v);
        assert!(int_fits_float(FloatType::F16, &i(65504)));
        assert!(int_fits_float(FloatType::F16, &i(-65519)));
        assert!(!int_fits_float(FloatType::F16, &i(65520)));
        // f32::MAX is 2^128 - 2^104; 2^128 - 2^103 is the first value that rounds up.
        assert!(int_fits_float(
            FloatType::F32,
            &Int::from_u128(u128::MAX >> 104 << 104)
        ));
        assert!(int_fits_float(
            FloatType::F32,
            &Int::from_u128((u128::MAX >> 104 << 104) + (1 << 103) - 1)
        ));
        assert!(!int_fits_float(
            FloatType::F32,
            &Int::from_u128(u128::MAX >> 103 << 103)
        ));
        assert!(!int_fits_float(FloatType::F32, &Int::from_u128(u128::MAX)));
        let two_1023 = Int::from_sign_mag(false, &{
            let mut m = vec![0u64; 16];
            m[15] = 1 << 63;
            m
        });
        assert!(int_fits_float(FloatType::F64, &two_1023));
        assert!(!int_fits_float(
            FloatType::F64,
            &Int::from_sign_mag(false, &[u64::MAX; 16])
        ));
        assert!(int_fits_float(
            FloatType::F128,
            &Int::from_sign_mag(false, &[u64::MAX; 16])
        ));
    }
}
