//! Runtime values: every value is held as the bytes of its type's memory representation
//! (IR.md 3.1, computed by `wabe-types`), so that loads, stores, by-reference values and
//! aggregates need no conversion. Integers are stored normalized: sign- or zero-extended to
//! their full size.

use crate::bits;
use crate::float;
use wabe_types::{FloatType, Int, TypeId, TypeKey, TypePool};

/// The integer bits of an int-like value (ints, `usize`/`isize`, `bool`, enums, error sets),
/// masked to its width, with `(signed, bits)`.
pub fn int_of(pool: &TypePool, ty: TypeId, bytes: &[u8]) -> (Vec<u64>, bool, u32) {
    let (signed, width) = int_info(pool, ty);
    (bits::from_bytes(bytes, width), signed, width)
}

/// `(signed, bits)` of an int-like type; pointers count as `usize`.
pub fn int_info(pool: &TypePool, ty: TypeId) -> (bool, u32) {
    pool.int_info(ty)
        .unwrap_or((false, pool.target().ptr_size() as u32 * 8))
}

/// The memory representation of a masked `bits`-bit integer in type `ty`: sign- or
/// zero-extended to the type's size.
pub fn int_bytes(pool: &TypePool, ty: TypeId, v: &[u64]) -> Vec<u8> {
    let size = pool.abi_size(ty) as usize;
    let (signed, width) = int_info(pool, ty);
    let ext = bits::resize(v, width, (size * 8) as u32, signed);
    let mut out = vec![0u8; size];
    bits::to_bytes(&ext, &mut out);
    out
}

/// The memory representation of an [`Int`] in an int-like type (it must fit).
pub fn int_value_bytes(pool: &TypePool, ty: TypeId, v: &Int) -> Vec<u8> {
    let size = pool.abi_size(ty) as usize;
    let mut out = vec![0u8; size];
    v.write_le_bytes(&mut out);
    out
}

/// Reads an address (pointer or `usize`).
pub fn read_ptr(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = bytes.len().min(8);
    b[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(b)
}

/// The memory representation of an address.
pub fn ptr_bytes(pool: &TypePool, addr: u64) -> Vec<u8> {
    let n = pool.target().ptr_size() as usize;
    addr.to_le_bytes()[..n].to_vec()
}

/// The bit pattern of a float value.
pub fn float_bits(bytes: &[u8], t: FloatType) -> u128 {
    let mut b = [0u8; 16];
    let n = bytes.len().min(16);
    b[..n].copy_from_slice(&bytes[..n]);
    let v = u128::from_le_bytes(b);
    if t.bits() < 128 {
        v & ((1u128 << t.bits()) - 1)
    } else {
        v
    }
}

/// The memory representation of a float bit pattern in type `ty`.
pub fn float_bytes(pool: &TypePool, ty: TypeId, v: u128) -> Vec<u8> {
    let size = pool.abi_size(ty) as usize;
    v.to_le_bytes()[..size.min(16)].to_vec()
}

/// The value an int-like IR value has as a wasm integer (sign-extended when signed), as an
/// `i64`; `None` for values wider than 64 bits or not int-like.
pub fn wasm_int(pool: &TypePool, ty: TypeId, bytes: &[u8]) -> Option<i64> {
    let is_ptr = matches!(pool.key(ty), TypeKey::Pointer { .. } | TypeKey::Optional(_))
        && pool.abi_size(ty) == pool.target().ptr_size();
    if pool.int_info(ty).is_none() && !is_ptr {
        return None;
    }
    let (v, signed, width) = int_of(pool, ty, bytes);
    if width > 64 {
        return None;
    }
    let ext = bits::resize(&v, width, 64, signed);
    Some(ext[0] as i64)
}

/// Formats a value by its IR type, as `wabe run` prints results: integers in decimal (signed as
/// the type says), `bool` as `true`/`false`, floats with Rust's `{:?}` (`f16` and `f32` as
/// `f32`, wider ones as their nearest `f64`), pointers as addresses, aggregates as `.{ ... }`.
pub fn format_value(pool: &TypePool, ty: TypeId, bytes: &[u8]) -> String {
    match pool.key(ty) {
        TypeKey::Bool => (bytes.first().copied().unwrap_or(0) & 1 == 1).to_string(),
        TypeKey::Float(f) => {
            let b = float_bits(bytes, *f);
            let v = float::to_f64(*f, b);
            match f {
                FloatType::F16 | FloatType::F32 => format!("{:?}", v as f32),
                _ => format!("{v:?}"),
            }
        }
        TypeKey::Int { .. }
        | TypeKey::Usize
        | TypeKey::Isize
        | TypeKey::Enum { .. }
        | TypeKey::AnyError
        | TypeKey::ErrorSet { .. }
        | TypeKey::Pointer { .. }
            if !matches!(
                pool.key(ty),
                TypeKey::Pointer {
                    size: wabe_types::PtrSize::Slice,
                    ..
                }
            ) =>
        {
            let (signed, width) = int_info(pool, ty);
            let mut b = bytes.to_vec();
            b.resize(bits::limbs(width) * 8, 0);
            Int::from_le_bytes(&b, signed, width).to_string()
        }
        TypeKey::Optional(c) if pool.is_pointer_like_optional(ty) => {
            let addr = read_ptr(bytes);
            if addr == 0 {
                "null".into()
            } else {
                format_value(pool, *c, bytes)
            }
        }
        TypeKey::Optional(c) => {
            let flag = bytes
                .get(pool.optional_flag_offset(ty) as usize)
                .copied()
                .unwrap_or(0);
            if flag == 0 {
                "null".into()
            } else {
                format_value(pool, *c, &bytes[..pool.abi_size(*c) as usize])
            }
        }
        TypeKey::ErrorUnion { error, payload } => {
            let (eo, po) = pool.error_union_offsets(ty);
            let es = pool.abi_size(*error) as usize;
            let e = bytes
                .get(eo as usize..eo as usize + es)
                .map_or(0, |b| bits::low_u128(&bits::from_bytes(b, 16)));
            if e != 0 {
                format!("error({e})")
            } else {
                let ps = pool.abi_size(*payload) as usize;
                format_value(pool, *payload, &bytes[po as usize..po as usize + ps])
            }
        }
        TypeKey::Struct { fields, .. } => {
            let parts: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let off = pool.field_offset(ty, i) as usize;
                    let n = pool.abi_size(f.ty) as usize;
                    format_value(pool, f.ty, &bytes[off..off + n])
                })
                .collect();
            format!(".{{ {} }}", parts.join(", "))
        }
        TypeKey::Array { len, elem } => {
            let n = pool.abi_size(*elem) as usize;
            let parts: Vec<String> = (0..*len as usize)
                .map(|i| format_value(pool, *elem, &bytes[i * n..i * n + n]))
                .collect();
            format!(".{{ {} }}", parts.join(", "))
        }
        TypeKey::Pointer { .. } => {
            let p = pool.target().ptr_size() as usize;
            format!(
                ".{{ ptr = {}, len = {} }}",
                read_ptr(&bytes[..p]),
                read_ptr(&bytes[p..])
            )
        }
        _ => {
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{}", hex.join(""))
        }
    }
}

/// Parses a command-line argument by its IR type (integers in decimal, `0x`, `0b`, `0o`;
/// floats, `nan`, `inf`; `true`/`false`), as `wabe run` does.
pub fn parse_arg(pool: &TypePool, ty: TypeId, s: &str) -> Result<Vec<u8>, String> {
    let bad = |why: &str| format!("bad argument `{s}` for type `{}`: {why}", pool.display(ty));
    match pool.key(ty) {
        TypeKey::Float(f) => {
            let v: f64 = match s {
                "nan" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => s.parse().map_err(|_| bad("not a number"))?,
            };
            // As `wabe run`: the argument travels as the wasm type (f32 for f16 and f32).
            let v = match f {
                FloatType::F16 | FloatType::F32 => (v as f32) as f64,
                _ => v,
            };
            let b = float::convert(FloatType::F64, *f, v.to_bits() as u128);
            Ok(float_bytes(pool, ty, b))
        }
        TypeKey::Bool => match s {
            "true" | "1" => Ok(vec![1]),
            "false" | "0" => Ok(vec![0]),
            _ => Err(bad("expected `true` or `false`")),
        },
        _ if pool.int_info(ty).is_some() => {
            let (signed, width) = int_info(pool, ty);
            let v = parse_int(s).ok_or_else(|| bad("not an integer"))?;
            if !v.fits(signed, width) {
                return Err(bad("does not fit"));
            }
            Ok(int_value_bytes(pool, ty, &v))
        }
        TypeKey::Pointer { .. } | TypeKey::Optional(_) if !pool.is_by_ref(ty) => {
            let v = parse_int(s).ok_or_else(|| bad("not an address"))?;
            let w = pool.target().ptr_size() as u32 * 8;
            if !v.fits(false, w) {
                return Err(bad("does not fit"));
            }
            let mut out = vec![0u8; pool.abi_size(ty) as usize];
            v.write_le_bytes(&mut out);
            Ok(out)
        }
        _ => Err(bad(
            "values of this type cannot be passed from the command line",
        )),
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
