//! Integers of any width as little-endian 64-bit limbs.
//!
//! A value of an `N`-bit integer type is held as `limbs(N)` limbs with every bit above `N`
//! zero ("masked"); whether the top bit is a sign is up to the operation. Every operation here
//! is written for clarity over speed: the interpreter is a reference, and wide integers
//! (`u65535` is legal) must work exactly.

use std::cmp::Ordering;

/// The number of limbs that hold `bits` bits (at least one).
pub fn limbs(bits: u32) -> usize {
    (bits as usize).div_ceil(64).max(1)
}

/// Clears every bit at or above `bits`, and sizes the vector to `limbs(bits)`.
pub fn mask(v: &mut Vec<u64>, bits: u32) {
    v.resize(limbs(bits), 0);
    let rem = bits % 64;
    let full = (bits / 64) as usize;
    for (i, l) in v.iter_mut().enumerate() {
        if i > full || (i == full && rem == 0) {
            *l = 0;
        } else if i == full {
            *l &= (1u64 << rem) - 1;
        }
    }
}

/// Reads a little-endian integer of `bits` bits from `bytes` (missing bytes are zero).
pub fn from_bytes(bytes: &[u8], bits: u32) -> Vec<u64> {
    let mut v = vec![0u64; limbs(bits)];
    for (i, b) in bytes.iter().enumerate().take(v.len() * 8) {
        v[i / 8] |= (*b as u64) << ((i % 8) * 8);
    }
    mask(&mut v, bits);
    v
}

/// Writes the low `out.len()` bytes of `v`, little-endian.
pub fn to_bytes(v: &[u64], out: &mut [u8]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = v.get(i / 8).map_or(0, |l| (l >> ((i % 8) * 8)) as u8);
    }
}

/// A masked value from a `u128`.
pub fn from_u128(x: u128, bits: u32) -> Vec<u64> {
    let mut v = vec![x as u64, (x >> 64) as u64];
    mask(&mut v, bits);
    v
}

/// The low 128 bits.
pub fn low_u128(v: &[u64]) -> u128 {
    let lo = v.first().copied().unwrap_or(0) as u128;
    let hi = v.get(1).copied().unwrap_or(0) as u128;
    lo | (hi << 64)
}

/// Bit `i`.
pub fn bit(v: &[u64], i: u64) -> bool {
    v.get((i / 64) as usize)
        .is_some_and(|l| (l >> (i % 64)) & 1 == 1)
}

/// Sets bit `i` (which must lie inside `v`).
pub fn set_bit(v: &mut [u64], i: u64) {
    if let Some(l) = v.get_mut((i / 64) as usize) {
        *l |= 1 << (i % 64);
    }
}

/// Whether every limb is zero.
pub fn is_zero(v: &[u64]) -> bool {
    v.iter().all(|&l| l == 0)
}

/// The number of significant bits (0 for zero).
pub fn bitlen(v: &[u64]) -> u64 {
    for i in (0..v.len()).rev() {
        if v[i] != 0 {
            return i as u64 * 64 + 64 - v[i].leading_zeros() as u64;
        }
    }
    0
}

/// Whether the value is negative when read as a signed `bits`-bit integer.
pub fn is_neg(v: &[u64], bits: u32) -> bool {
    bits > 0 && bit(v, bits as u64 - 1)
}

/// Unsigned comparison of magnitudes of any lengths.
pub fn ucmp(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    for i in (0..n).rev() {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// Comparison of two `bits`-bit values, signed or not.
pub fn cmp(a: &[u64], b: &[u64], signed: bool, bits: u32) -> Ordering {
    if signed {
        match (is_neg(a, bits), is_neg(b, bits)) {
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
    }
    ucmp(a, b)
}

/// `a + b` modulo `2^bits`.
pub fn add(a: &[u64], b: &[u64], bits: u32) -> Vec<u64> {
    let n = limbs(bits);
    let mut out = vec![0u64; n];
    let mut carry = 0u64;
    for (i, o) in out.iter_mut().enumerate() {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        let (s1, c1) = x.overflowing_add(y);
        let (s2, c2) = s1.overflowing_add(carry);
        *o = s2;
        carry = (c1 || c2) as u64;
    }
    mask(&mut out, bits);
    out
}

/// The bitwise complement modulo `2^bits`.
pub fn not(a: &[u64], bits: u32) -> Vec<u64> {
    let mut out: Vec<u64> = (0..limbs(bits))
        .map(|i| !a.get(i).copied().unwrap_or(0))
        .collect();
    mask(&mut out, bits);
    out
}

/// `-a` modulo `2^bits`.
pub fn neg(a: &[u64], bits: u32) -> Vec<u64> {
    add(&not(a, bits), &[1], bits)
}

/// `a - b` modulo `2^bits`.
pub fn sub(a: &[u64], b: &[u64], bits: u32) -> Vec<u64> {
    add(a, &neg(b, bits), bits)
}

/// `a * b` modulo `2^bits`.
pub fn mul(a: &[u64], b: &[u64], bits: u32) -> Vec<u64> {
    let n = limbs(bits);
    let mut out = vec![0u64; n];
    for (i, &x) in a.iter().enumerate().take(n) {
        if x == 0 {
            continue;
        }
        let mut carry = 0u128;
        for j in 0..n - i {
            let y = b.get(j).copied().unwrap_or(0);
            let cur = out[i + j] as u128 + x as u128 * y as u128 + carry;
            out[i + j] = cur as u64;
            carry = cur >> 64;
        }
    }
    mask(&mut out, bits);
    out
}

/// Bitwise and, or, xor.
pub fn bitwise(a: &[u64], b: &[u64], bits: u32, f: impl Fn(u64, u64) -> u64) -> Vec<u64> {
    let mut out: Vec<u64> = (0..limbs(bits))
        .map(|i| {
            f(
                a.get(i).copied().unwrap_or(0),
                b.get(i).copied().unwrap_or(0),
            )
        })
        .collect();
    mask(&mut out, bits);
    out
}

/// `a << n` modulo `2^bits`.
pub fn shl(a: &[u64], n: u64, bits: u32) -> Vec<u64> {
    let len = limbs(bits);
    let mut out = vec![0u64; len];
    let (ls, bs) = ((n / 64) as usize, n % 64);
    for i in (0..len).rev() {
        if i < ls {
            break;
        }
        let src = i - ls;
        let mut v = a.get(src).copied().unwrap_or(0) << bs;
        if bs > 0 && src > 0 {
            v |= a.get(src - 1).copied().unwrap_or(0) >> (64 - bs);
        }
        out[i] = v;
    }
    mask(&mut out, bits);
    out
}

/// Logical `a >> n`, keeping `a`'s length.
pub fn lshr(a: &[u64], n: u64) -> Vec<u64> {
    let len = a.len();
    let mut out = vec![0u64; len];
    let (ls, bs) = ((n / 64) as usize, n % 64);
    for (i, o) in out.iter_mut().enumerate() {
        let src = i + ls;
        if src >= len {
            break;
        }
        let mut v = a[src] >> bs;
        if bs > 0 && src + 1 < len {
            v |= a[src + 1] << (64 - bs);
        }
        *o = v;
    }
    out
}

/// Arithmetic `a >> n` of a signed `bits`-bit value.
pub fn ashr(a: &[u64], n: u64, bits: u32) -> Vec<u64> {
    let mut out = lshr(a, n);
    if is_neg(a, bits) {
        let b = bits as u64;
        for i in b.saturating_sub(n)..b {
            set_bit(&mut out, i);
        }
    }
    mask(&mut out, bits);
    out
}

/// Sign-extends (when `signed`) or zero-extends a `from`-bit value to `to` bits, or truncates.
pub fn resize(a: &[u64], from: u32, to: u32, signed: bool) -> Vec<u64> {
    let mut out = a.to_vec();
    out.resize(limbs(to).max(limbs(from)), 0);
    if signed && is_neg(a, from) && to > from {
        for i in from as u64..to as u64 {
            set_bit(&mut out, i);
        }
    }
    mask(&mut out, to);
    out
}

/// Unsigned division with remainder of magnitudes; `b` must not be zero.
pub fn udivrem(a: &[u64], b: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let n = a.len().max(b.len());
    if n <= 2 {
        let (x, y) = (low_u128(a), low_u128(b));
        let (q, r) = (x / y, x % y);
        return (
            vec![q as u64, (q >> 64) as u64],
            vec![r as u64, (r >> 64) as u64],
        );
    }
    let mut q = vec![0u64; n];
    let mut r = vec![0u64; n + 1];
    for i in (0..bitlen(a)).rev() {
        // r = r * 2 + bit
        let mut carry = bit(a, i) as u64;
        for l in r.iter_mut() {
            let top = *l >> 63;
            *l = (*l << 1) | carry;
            carry = top;
        }
        if ucmp(&r, b) != Ordering::Less {
            let bits = (r.len() * 64) as u32;
            r = sub(&r, b, bits);
            set_bit(&mut q, i);
        }
    }
    r.truncate(n);
    (q, r)
}

/// The integer square root and whether it is exact.
pub fn isqrt(a: &[u64]) -> (Vec<u64>, bool) {
    let len = a.len() + 1;
    let bits = (len * 64) as u32;
    // Bit by bit, from the top pair of bits.
    let mut res = vec![0u64; len];
    let mut rem = a.to_vec();
    rem.resize(len, 0);
    let top = bitlen(a);
    let mut b = top.div_ceil(2) * 2;
    while b >= 2 {
        b -= 2;
        // trial = (res << 2 | 1) << b, i.e. (4 * res + 1) * 2^b, compared against rem.
        let trial = shl(&add(&shl(&res, 2, bits), &[1], bits), b, bits);
        res = shl(&res, 1, bits);
        if ucmp(&rem, &trial) != Ordering::Less {
            rem = sub(&rem, &trial, bits);
            res = add(&res, &[1], bits);
        }
    }
    let exact = is_zero(&rem);
    (res, exact)
}

/// Reads a masked `bits`-bit value as an `i128`/`u128`-sized number when it fits in 128 bits
/// after sign extension (for shift amounts and indices): `None` when too large.
pub fn to_u64(v: &[u64]) -> Option<u64> {
    if v.iter().skip(1).all(|&l| l == 0) {
        Some(v.first().copied().unwrap_or(0))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let a = from_u128(u128::MAX, 128);
        assert_eq!(add(&a, &[1], 128), vec![0, 0]);
        assert_eq!(add(&a, &[1], 130), vec![0, 0, 1]);
        assert_eq!(mul(&[3], &[5], 4), vec![15]);
        assert_eq!(mul(&[3], &[6], 4), vec![2]);
        assert_eq!(neg(&[1], 7), vec![127]);
        assert_eq!(ashr(&[0b1000_0000], 3, 8), vec![0b1111_0000]);
        assert_eq!(resize(&[0x80], 8, 16, true), vec![0xff80]);
        let big = shl(&[1], 200, 256);
        let (q, r) = udivrem(&big, &[3, 0, 0, 0]);
        let back = add(&mul(&q, &[3], 256), &r, 256);
        assert_eq!(back, big);
        assert_eq!(isqrt(&[1 << 40]), (vec![1 << 20, 0], true));
        assert!(!isqrt(&[17]).1);
        assert_eq!(low_u128(&isqrt(&[17]).0), 4);
    }
}
