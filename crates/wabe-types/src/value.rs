//! Typed constant values (IR.md section 4).
//!
//! A [`Value`] is not self-describing: it is always paired with the [`TypeId`](crate::TypeId) it
//! has, and [`check_value`](crate::TypePool::check_value) says whether it fits. Integers of any
//! width are an [`Int`] (an `i128` when small, limbs when big); floats are the exact bit pattern of
//! their type's IEEE format, in the low bits of a `u128`.

use crate::names::NameId;
use std::fmt;

/// An integer of any size: `Small` whenever it fits an `i128`, else sign and magnitude limbs.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Int {
    /// A value that fits an `i128`.
    Small(i128),
    /// A larger value: sign and little-endian magnitude limbs (no trailing zero limbs).
    Big {
        /// Whether the value is negative.
        neg: bool,
        /// The magnitude, little-endian 64-bit limbs.
        mag: Box<[u64]>,
    },
}

impl Int {
    /// Zero.
    pub const ZERO: Int = Int::Small(0);

    /// The integer `v`.
    pub fn from_i128(v: i128) -> Int {
        Int::Small(v)
    }

    /// The integer `v`.
    pub fn from_u128(v: u128) -> Int {
        if v <= i128::MAX as u128 {
            Int::Small(v as i128)
        } else {
            Int::Big {
                neg: false,
                mag: vec![v as u64, (v >> 64) as u64].into(),
            }
        }
    }

    /// Builds an integer from a sign and little-endian magnitude limbs, normalizing it.
    pub fn from_sign_mag(neg: bool, mag: &[u64]) -> Int {
        let mut len = mag.len();
        while len > 0 && mag[len - 1] == 0 {
            len -= 1;
        }
        let mag = &mag[..len];
        if len <= 2 {
            let lo = mag.first().copied().unwrap_or(0) as u128;
            let hi = mag.get(1).copied().unwrap_or(0) as u128;
            let m = lo | (hi << 64);
            if !neg && m <= i128::MAX as u128 {
                return Int::Small(m as i128);
            }
            if neg && m <= 1u128 << 127 {
                return Int::Small((m as i128).wrapping_neg());
            }
        }
        Int::Big {
            neg: neg && len > 0,
            mag: mag.into(),
        }
    }

    /// Sign and magnitude limbs.
    pub fn sign_mag(&self) -> (bool, Vec<u64>) {
        match self {
            Int::Small(v) => {
                let m = v.unsigned_abs();
                let mut limbs = vec![m as u64, (m >> 64) as u64];
                while limbs.last() == Some(&0) {
                    limbs.pop();
                }
                (*v < 0, limbs)
            }
            Int::Big { neg, mag } => (*neg, mag.to_vec()),
        }
    }

    /// Whether the value is negative.
    pub fn is_negative(&self) -> bool {
        match self {
            Int::Small(v) => *v < 0,
            Int::Big { neg, .. } => *neg,
        }
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        matches!(self, Int::Small(0))
    }

    /// The value negated.
    pub fn neg(&self) -> Int {
        let (n, m) = self.sign_mag();
        Int::from_sign_mag(!n, &m)
    }

    /// The value as an `i128`, if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        match self {
            Int::Small(v) => Some(*v),
            Int::Big { .. } => None,
        }
    }

    /// The value as an `i64`, if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        self.to_i128().and_then(|v| i64::try_from(v).ok())
    }

    /// The value as a `u64`, if it fits.
    pub fn to_u64(&self) -> Option<u64> {
        self.to_i128().and_then(|v| u64::try_from(v).ok())
    }

    /// The low 64 bits of the two's complement representation.
    pub fn to_u64_wrapping(&self) -> u64 {
        match self {
            Int::Small(v) => *v as u64,
            Int::Big { .. } => {
                let mut b = [0u8; 8];
                self.write_le_bytes(&mut b);
                u64::from_le_bytes(b)
            }
        }
    }

    /// The low 128 bits of the two's complement representation.
    pub fn to_u128_wrapping(&self) -> u128 {
        match self {
            Int::Small(v) => *v as u128,
            Int::Big { .. } => {
                let mut b = [0u8; 16];
                self.write_le_bytes(&mut b);
                u128::from_le_bytes(b)
            }
        }
    }

    /// The number of bits of the magnitude (0 for zero).
    fn mag_bits(mag: &[u64]) -> u64 {
        match mag.last() {
            None => 0,
            Some(top) => (mag.len() as u64 - 1) * 64 + (64 - top.leading_zeros() as u64),
        }
    }

    /// Whether the value fits an integer type of `bits` bits with the given signedness.
    pub fn fits(&self, signed: bool, bits: u32) -> bool {
        let (neg, mag) = self.sign_mag();
        let bits = bits as u64;
        if !signed {
            return !neg && Self::mag_bits(&mag) <= bits;
        }
        if bits == 0 {
            return mag.is_empty();
        }
        if !neg {
            return Self::mag_bits(&mag) < bits;
        }
        // A negative value fits when |v| - 1 < 2^(bits-1).
        let mut m = mag.clone();
        for limb in m.iter_mut() {
            let (r, borrow) = limb.overflowing_sub(1);
            *limb = r;
            if !borrow {
                break;
            }
        }
        while m.last() == Some(&0) {
            m.pop();
        }
        Self::mag_bits(&m) < bits
    }

    /// Writes the low `out.len()` bytes of the two's complement representation, little-endian.
    pub fn write_le_bytes(&self, out: &mut [u8]) {
        let (neg, mag) = self.sign_mag();
        let mut carry = 1u64;
        for (i, chunk) in out.chunks_mut(8).enumerate() {
            let limb = mag.get(i).copied().unwrap_or(0);
            let v = if neg {
                let (r, c) = (!limb).overflowing_add(carry);
                carry = c as u64;
                r
            } else {
                limb
            };
            let bytes = v.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// Reads a two's complement little-endian integer of `bytes.len()` bytes, keeping the low
    /// `bits` bits and interpreting them as signed or unsigned.
    pub fn from_le_bytes(bytes: &[u8], signed: bool, bits: u32) -> Int {
        let nlimbs = (bits as usize).div_ceil(64).max(1);
        let mut limbs = vec![0u64; nlimbs];
        for (i, b) in bytes.iter().enumerate().take(nlimbs * 8) {
            limbs[i / 8] |= (*b as u64) << ((i % 8) * 8);
        }
        // Mask to `bits`.
        let rem = bits % 64;
        let full = (bits / 64) as usize;
        for (i, limb) in limbs.iter_mut().enumerate() {
            if i > full || (i == full && rem == 0) {
                *limb = 0;
            } else if i == full {
                *limb &= (1u64 << rem) - 1;
            }
        }
        let negative = signed && bits > 0 && {
            let b = bits - 1;
            (limbs[(b / 64) as usize] >> (b % 64)) & 1 == 1
        };
        if !negative {
            return Int::from_sign_mag(false, &limbs);
        }
        // Magnitude = 2^bits - value.
        let mut carry = 1u64;
        for (i, limb) in limbs.iter_mut().enumerate() {
            let mut v = !*limb;
            if i == full && rem != 0 {
                v &= (1u64 << rem) - 1;
            } else if i >= full && !(i == full && rem != 0) {
                v = 0;
            }
            let (r, c) = v.overflowing_add(carry);
            *limb = r;
            carry = c as u64;
        }
        Int::from_sign_mag(true, &limbs)
    }

    /// Parses digits in `radix` (2, 8, 10 or 16), ignoring `_` separators.
    pub fn parse_digits(digits: &str, radix: u32) -> Option<Int> {
        let mut mag: Vec<u64> = Vec::new();
        let mut any = false;
        for c in digits.chars() {
            if c == '_' {
                continue;
            }
            let d = c.to_digit(radix)? as u64;
            any = true;
            let mut carry = d as u128;
            for limb in mag.iter_mut() {
                let v = (*limb as u128) * radix as u128 + carry;
                *limb = v as u64;
                carry = v >> 64;
            }
            if carry != 0 {
                mag.push(carry as u64);
            }
        }
        any.then(|| Int::from_sign_mag(false, &mag))
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Int::Small(v) => write!(f, "{v}"),
            Int::Big { neg, mag } => {
                // Repeated division by 10^19.
                let mut m = mag.to_vec();
                let mut parts = Vec::new();
                while !m.is_empty() {
                    let mut rem = 0u128;
                    for limb in m.iter_mut().rev() {
                        let cur = (rem << 64) | *limb as u128;
                        *limb = (cur / 10_000_000_000_000_000_000) as u64;
                        rem = cur % 10_000_000_000_000_000_000;
                    }
                    while m.last() == Some(&0) {
                        m.pop();
                    }
                    parts.push(rem as u64);
                }
                if *neg {
                    write!(f, "-")?;
                }
                let mut it = parts.iter().rev();
                if let Some(first) = it.next() {
                    write!(f, "{first}")?;
                }
                for p in it {
                    write!(f, "{p:019}")?;
                }
                Ok(())
            }
        }
    }
}

/// One step of a path inside a declaration: `[3]` or `.field`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum PathElem {
    /// An array element.
    Index(u64),
    /// A struct field, by name.
    Field(NameId),
}

/// The address of a declaration, or of an element or field inside it (`@name[2].x`), or a slice
/// of an array declaration (`@name[1..4]`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DeclAddr {
    /// The declaration's name.
    pub decl: NameId,
    /// The element and field path inside it.
    pub path: Box<[PathElem]>,
    /// `Some((start, end))` for a slice `@name[start..end]` of an array.
    pub slice: Option<(u64, u64)>,
}

/// A constant value, paired with a type wherever it is used.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Value {
    /// An integer (also the tag of an enum given as a number).
    Int(Int),
    /// A float: the exact bit pattern of the type's format in the low bits.
    Float(u128),
    /// `true` / `false`.
    Bool(bool),
    /// `undef`: any bytes.
    Undef,
    /// `null` of an optional.
    Null,
    /// A string literal: an `[N]u8`, or the bytes a `[]const u8` / `*const [N]u8` points to.
    Bytes(Box<[u8]>),
    /// `.{ a, b, c }`: array elements or struct fields in declaration order (`.{}` is also the
    /// value of `void`).
    Aggregate(Box<[Value]>),
    /// `.{ .x = 1, .y = 2 }`: struct fields by name, or one union field.
    Fields(Box<[(NameId, Value)]>),
    /// `.red`: an enum value by name.
    EnumLiteral(NameId),
    /// `error.Name`.
    Error(NameId),
    /// `@name...`: an address inside a declaration.
    DeclAddr(DeclAddr),
}

/// Converts an `f64` literal to the bit pattern of a float type, rounding to nearest even.
pub fn float_bits_from_f64(ty: crate::FloatType, v: f64) -> u128 {
    use crate::FloatType::*;
    match ty {
        F16 => f64_to_f16_bits(v) as u128,
        F32 => (v as f32).to_bits() as u128,
        F64 => v.to_bits() as u128,
        F80 => f64_to_f80_bits(v),
        F128 => f64_to_f128_bits(v),
    }
}

/// Converts the bit pattern of a float type to the nearest `f64`.
pub fn float_bits_to_f64(ty: crate::FloatType, bits: u128) -> f64 {
    use crate::FloatType::*;
    match ty {
        F16 => f16_bits_to_f64(bits as u16),
        F32 => f32::from_bits(bits as u32) as f64,
        F64 => f64::from_bits(bits as u64),
        F80 => {
            let sign = (bits >> 79) & 1;
            let exp = ((bits >> 64) & 0x7fff) as i32;
            let mant = bits as u64;
            let s = if sign == 1 { -1.0 } else { 1.0 };
            if exp == 0x7fff {
                return if mant << 1 == 0 {
                    s * f64::INFINITY
                } else {
                    f64::NAN
                };
            }
            if mant == 0 {
                return s * 0.0;
            }
            s * scale(mant as f64, exp - 16383 - 63)
        }
        F128 => {
            let sign = (bits >> 127) & 1;
            let exp = ((bits >> 112) & 0x7fff) as i32;
            let mant = bits & ((1u128 << 112) - 1);
            let s = if sign == 1 { -1.0 } else { 1.0 };
            if exp == 0x7fff {
                return if mant == 0 {
                    s * f64::INFINITY
                } else {
                    f64::NAN
                };
            }
            if exp == 0 && mant == 0 {
                return s * 0.0;
            }
            // `u128 as f64` rounds to nearest, so only results in f64's subnormal range round
            // twice.
            let (m, e) = if exp == 0 {
                (mant, -16382)
            } else {
                (mant | (1u128 << 112), exp - 16383)
            };
            s * scale(m as f64, e - 112)
        }
    }
}

/// `x * 2^e` without intermediate underflow or overflow.
fn scale(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e)
}

/// Rounds an `f64` to the nearest IEEE binary16 value (ties to even).
pub fn f64_to_f16_bits(v: f64) -> u16 {
    let bits = v.to_bits();
    let sign = ((bits >> 63) as u16) << 15;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mant = bits & ((1u64 << 52) - 1);
    if exp == 0x7ff {
        return sign | 0x7c00 | if mant != 0 { 0x200 } else { 0 };
    }
    let e = exp - 1023 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    // Full significand with the implicit bit, 53 bits.
    let full = if exp == 0 { mant } else { mant | (1u64 << 52) };
    // Number of low bits to drop so that the result has 10 fraction bits (normal) or fits the
    // subnormal range.
    let shift: i32 = if e >= 1 { 42 } else { 42 + (1 - e) };
    if shift >= 64 {
        return sign;
    }
    let kept = full >> shift;
    let rem = full & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    let mut r = kept;
    if rem > half || (rem == half && (kept & 1) == 1) {
        r += 1;
    }
    // For normals `r` includes the implicit bit at position 10; adding the biased exponent
    // minus one carries correctly into the exponent field on rounding overflow.
    let out = if e >= 1 {
        ((e as u64 - 1) << 10) + r
    } else {
        r
    };
    if out >= 0x7c00 {
        return sign | 0x7c00;
    }
    sign | out as u16
}

/// Converts IEEE binary16 bits to `f64` exactly.
pub fn f16_bits_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let mant = (h & 0x3ff) as f64;
    match exp {
        0 => sign * mant * 2f64.powi(-24),
        0x1f => {
            if mant == 0.0 {
                sign * f64::INFINITY
            } else {
                f64::NAN
            }
        }
        _ => sign * (1.0 + mant / 1024.0) * 2f64.powi(exp - 15),
    }
}

fn f64_to_f80_bits(v: f64) -> u128 {
    let bits = v.to_bits();
    let sign = (bits >> 63) as u128;
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & ((1u64 << 52) - 1);
    let (e, m): (u128, u64) = if exp == 0x7ff {
        (0x7fff, (1u64 << 63) | (mant << 11))
    } else if exp == 0 {
        if mant == 0 {
            (0, 0)
        } else {
            // Normalize the subnormal.
            let lz = mant.leading_zeros() as i64; // >= 12
            let shifted = mant << lz;
            ((-1022 - (lz - 11) + 16383) as u128, shifted)
        }
    } else {
        ((exp - 1023 + 16383) as u128, (1u64 << 63) | (mant << 11))
    };
    (sign << 79) | (e << 64) | m as u128
}

fn f64_to_f128_bits(v: f64) -> u128 {
    let bits = v.to_bits();
    let sign = (bits >> 63) as u128;
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = (bits & ((1u64 << 52) - 1)) as u128;
    let (e, m): (u128, u128) = if exp == 0x7ff {
        (0x7fff, mant << 60)
    } else if exp == 0 {
        if mant == 0 {
            (0, 0)
        } else {
            let lz = (mant as u64).leading_zeros() as i64; // >= 12
            let shift = lz - 11; // bring the top bit to position 52
            let m = (mant << shift) & ((1u128 << 52) - 1);
            ((-1022 - shift + 16383) as u128, m << 60)
        }
    } else {
        ((exp - 1023 + 16383) as u128, mant << 60)
    };
    (sign << 127) | (e << 112) | m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_fits() {
        assert!(Int::from_i128(127).fits(true, 8));
        assert!(!Int::from_i128(128).fits(true, 8));
        assert!(Int::from_i128(-128).fits(true, 8));
        assert!(!Int::from_i128(-129).fits(true, 8));
        assert!(Int::from_u128(u128::MAX).fits(false, 128));
        assert!(!Int::from_u128(u128::MAX).fits(true, 128));
        assert!(!Int::from_i128(-1).fits(false, 64));
        assert!(Int::from_i128(0).fits(false, 0));
    }

    #[test]
    fn int_parse_and_print() {
        let v = Int::parse_digits("340282366920938463463374607431768211455", 10).unwrap();
        assert_eq!(v, Int::from_u128(u128::MAX));
        assert_eq!(v.to_string(), "340282366920938463463374607431768211455");
        let big = Int::parse_digits("1_0000_0000_0000_0000_0000_0000_0000_0000_0000", 16).unwrap();
        assert_eq!(
            big.to_string(),
            "22300745198530623141535718272648361505980416"
        );
        assert_eq!(
            big.neg().to_string(),
            "-22300745198530623141535718272648361505980416"
        );
    }

    #[test]
    fn int_bytes_roundtrip() {
        let v = Int::from_i128(-2);
        let mut b = [0u8; 3];
        v.write_le_bytes(&mut b);
        assert_eq!(b, [0xfe, 0xff, 0xff]);
        assert_eq!(Int::from_le_bytes(&b, true, 24), v);
        assert_eq!(Int::from_le_bytes(&b, false, 24), Int::from_i128(0xfffffe));
        assert_eq!(Int::from_le_bytes(&[0x7f], true, 7), Int::from_i128(-1));
    }

    #[test]
    fn f16_conversion() {
        assert_eq!(f64_to_f16_bits(1.0), 0x3c00);
        assert_eq!(f64_to_f16_bits(65504.0), 0x7bff);
        assert_eq!(f64_to_f16_bits(65520.0), 0x7c00);
        assert_eq!(f64_to_f16_bits(-2.0), 0xc000);
        assert_eq!(f64_to_f16_bits(5.960464477539063e-8), 0x0001);
        assert_eq!(f16_bits_to_f64(0x3555), 0.333251953125);
        assert_eq!(f64_to_f16_bits(1.0 / 3.0), 0x3555);
    }

    #[test]
    fn wide_floats() {
        use crate::FloatType;
        for v in [1.0, -2.5, 1e-310, 123456.789, 0.0] {
            assert_eq!(
                float_bits_to_f64(FloatType::F80, float_bits_from_f64(FloatType::F80, v)),
                v
            );
            assert_eq!(
                float_bits_to_f64(FloatType::F128, float_bits_from_f64(FloatType::F128, v)),
                v
            );
        }
        assert_eq!(float_bits_from_f64(FloatType::F128, 1.0), 0x3fff << 112);
        assert_eq!(
            float_bits_from_f64(FloatType::F80, 1.0),
            (0x3fffu128 << 64) | (1u128 << 63)
        );
    }
}
