//! IEEE floats of every IR format, as bit patterns in a `u128`.
//!
//! `f32` and `f64` arithmetic uses the host's IEEE operations (correctly rounded, as wasm's).
//! `f16` arithmetic is done exactly in `f64` and rounded once to `f16`: `f64` has more than
//! `2 * 11 + 2` significand bits, so the double rounding is innocuous for `+ - * /` and `sqrt`.
//! `f80` and `f128`, and every conversion, go through a small exact soft-float: a finite value
//! is unpacked to `mantissa * 2^exponent` with an integer mantissa of any width, the operation
//! is done exactly on integers (with a sticky bit for what division and square root drop), and
//! [`round_pack`] rounds once, to nearest even, handling subnormals and overflow to infinity.

use crate::bits;
use std::cmp::Ordering;
use wabe_types::{f16_bits_to_f64, f64_to_f16_bits, FloatType};

/// The shape of a float format.
#[derive(Copy, Clone, Debug)]
struct Fmt {
    /// Exponent bits.
    ebits: u32,
    /// Precision: significand bits including the leading one.
    p: u32,
    /// Whether the leading one is stored (x87 `f80`).
    explicit: bool,
}

fn fmt(t: FloatType) -> Fmt {
    let (ebits, p, explicit) = match t {
        FloatType::F16 => (5, 11, false),
        FloatType::F32 => (8, 24, false),
        FloatType::F64 => (11, 53, false),
        FloatType::F80 => (15, 64, true),
        FloatType::F128 => (15, 113, false),
    };
    Fmt { ebits, p, explicit }
}

impl Fmt {
    fn bias(self) -> i64 {
        (1i64 << (self.ebits - 1)) - 1
    }
    /// The number of stored fraction bits.
    fn frac_bits(self) -> u32 {
        if self.explicit {
            self.p
        } else {
            self.p - 1
        }
    }
    fn sign_shift(self) -> u32 {
        self.frac_bits() + self.ebits
    }
    fn emax_field(self) -> u128 {
        (1u128 << self.ebits) - 1
    }
}

/// A float taken apart.
#[derive(Clone, Debug)]
pub enum Unpacked {
    /// Any NaN.
    Nan,
    /// An infinity, negative when `true`.
    Inf(bool),
    /// A zero, negative when `true`.
    Zero(bool),
    /// `(-1)^neg * mant * 2^exp`, `mant` not zero.
    Finite {
        /// The sign.
        neg: bool,
        /// The integer significand.
        mant: Vec<u64>,
        /// The power of two it is scaled by.
        exp: i64,
    },
}

/// Takes a float of type `t` apart.
pub fn unpack(t: FloatType, bits: u128) -> Unpacked {
    let f = fmt(t);
    let fb = f.frac_bits();
    let neg = (bits >> f.sign_shift()) & 1 == 1;
    let e = (bits >> fb) & f.emax_field();
    let frac = bits & ((1u128 << fb) - 1);
    if e == f.emax_field() {
        let payload = if f.explicit {
            frac & ((1u128 << 63) - 1)
        } else {
            frac
        };
        return if payload == 0 {
            Unpacked::Inf(neg)
        } else {
            Unpacked::Nan
        };
    }
    let (mant, exp) = if e == 0 {
        (frac, 1 - f.bias() - (f.p as i64 - 1))
    } else if f.explicit {
        (frac, e as i64 - f.bias() - (f.p as i64 - 1))
    } else {
        (frac | (1u128 << fb), e as i64 - f.bias() - (f.p as i64 - 1))
    };
    if mant == 0 {
        return Unpacked::Zero(neg);
    }
    Unpacked::Finite {
        neg,
        mant: vec![mant as u64, (mant >> 64) as u64],
        exp,
    }
}

/// The quiet NaN of a format.
pub fn nan(t: FloatType) -> u128 {
    let f = fmt(t);
    let quiet = if f.explicit {
        3u128 << 62
    } else {
        1u128 << (f.frac_bits() - 1)
    };
    (f.emax_field() << f.frac_bits()) | quiet
}

/// An infinity.
pub fn inf(t: FloatType, neg: bool) -> u128 {
    let f = fmt(t);
    let m = if f.explicit { 1u128 << 63 } else { 0 };
    ((neg as u128) << f.sign_shift()) | (f.emax_field() << f.frac_bits()) | m
}

/// A zero.
pub fn zero(t: FloatType, neg: bool) -> u128 {
    (neg as u128) << fmt(t).sign_shift()
}

/// Rounds `(-1)^neg * (mag + sticky) * 2^exp` to the nearest value of `t` (ties to even).
/// `sticky` says that some nonzero amount smaller than one unit of `mag` was dropped.
pub fn round_pack(t: FloatType, neg: bool, mag: &[u64], exp: i64, sticky: bool) -> u128 {
    let f = fmt(t);
    let nb = bits::bitlen(mag) as i64;
    if nb == 0 {
        return zero(t, neg);
    }
    let p = f.p as i64;
    let emin = 1 - f.bias();
    // The exponent of the leading bit, and of the last bit the format keeps.
    let lead = exp + nb - 1;
    let mut lsb = if lead < emin {
        emin - (p - 1)
    } else {
        lead - (p - 1)
    };
    let shift = lsb - exp;
    let mut kept: Vec<u64>;
    let (round, rest) = if shift > 0 {
        let s = shift as u64;
        kept = bits::lshr(mag, s);
        let round = bits::bit(mag, s - 1);
        let mut low = mag.to_vec();
        let n = (low.len() * 64) as u32;
        bits::mask(&mut low, (s - 1).min(n as u64) as u32);
        (round, sticky || !bits::is_zero(&low))
    } else {
        let n = ((nb - shift) as u32).max(64) + 64;
        kept = bits::shl(mag, (-shift) as u64, n);
        (false, sticky)
    };
    kept.resize(kept.len().max(3), 0);
    if round && (rest || bits::bit(&kept, 0)) {
        let n = (kept.len() * 64) as u32;
        kept = bits::add(&kept, &[1], n);
    }
    if bits::bitlen(&kept) as i64 > p {
        kept = bits::lshr(&kept, 1);
        lsb += 1;
    }
    let kept = bits::low_u128(&kept);
    let fb = f.frac_bits();
    let sign = (neg as u128) << f.sign_shift();
    if kept >> (p - 1) != 0 {
        let e = lsb + p - 1;
        if e > f.bias() {
            return inf(t, neg);
        }
        let field = (e + f.bias()) as u128;
        let frac = if f.explicit {
            kept
        } else {
            kept & ((1u128 << fb) - 1)
        };
        sign | (field << fb) | frac
    } else {
        sign | kept
    }
}

fn pack_unpacked(t: FloatType, u: &Unpacked) -> u128 {
    match u {
        Unpacked::Nan => nan(t),
        Unpacked::Inf(n) => inf(t, *n),
        Unpacked::Zero(n) => zero(t, *n),
        Unpacked::Finite { neg, mant, exp } => round_pack(t, *neg, mant, *exp, false),
    }
}

/// Converts between float types (`fpext`, `fptrunc`), rounding to nearest even.
pub fn convert(from: FloatType, to: FloatType, bits: u128) -> u128 {
    pack_unpacked(to, &unpack(from, bits))
}

/// The float nearest to an integer given as sign and magnitude.
pub fn from_int(t: FloatType, neg: bool, mag: &[u64]) -> u128 {
    round_pack(t, neg, mag, 0, false)
}

/// The integer part (toward zero) of a finite float as sign and magnitude; `None` for NaN and
/// infinities.
pub fn to_int(t: FloatType, bits: u128) -> Option<(bool, Vec<u64>)> {
    match unpack(t, bits) {
        Unpacked::Nan | Unpacked::Inf(_) => None,
        Unpacked::Zero(_) => Some((false, vec![0])),
        Unpacked::Finite { neg, mant, exp } => {
            let mag = if exp >= 0 {
                let n = bits::bitlen(&mant) as u32 + exp as u32 + 1;
                bits::shl(&mant, exp as u64, n)
            } else {
                bits::lshr(&mant, (-exp) as u64)
            };
            Some((neg, mag))
        }
    }
}

/// The operations with two float operands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
}

/// `a op b`, rounded to the type.
pub fn binop(t: FloatType, op: BinOp, a: u128, b: u128) -> u128 {
    match t {
        FloatType::F32 => {
            let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
            };
            r.to_bits() as u128
        }
        FloatType::F64 => {
            let (x, y) = (f64::from_bits(a as u64), f64::from_bits(b as u64));
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
            };
            r.to_bits() as u128
        }
        FloatType::F16 => {
            let (x, y) = (f16_bits_to_f64(a as u16), f16_bits_to_f64(b as u16));
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
            };
            f64_to_f16_bits(r) as u128
        }
        FloatType::F80 | FloatType::F128 => soft_binop(t, op, a, b),
    }
}

fn soft_binop(t: FloatType, op: BinOp, a: u128, b: u128) -> u128 {
    use Unpacked::*;
    let (x, mut y) = (unpack(t, a), unpack(t, b));
    if op == BinOp::Sub {
        y = match y {
            Inf(n) => Inf(!n),
            Zero(n) => Zero(!n),
            Finite { neg, mant, exp } => Finite {
                neg: !neg,
                mant,
                exp,
            },
            Nan => Nan,
        };
    }
    match op {
        BinOp::Add | BinOp::Sub => match (x, y) {
            (Nan, _) | (_, Nan) => nan(t),
            (Inf(p), Inf(q)) => {
                if p == q {
                    inf(t, p)
                } else {
                    nan(t)
                }
            }
            (Inf(p), _) | (_, Inf(p)) => inf(t, p),
            (Zero(p), Zero(q)) => zero(t, p && q),
            (Zero(_), v) | (v, Zero(_)) => pack_unpacked(t, &v),
            (
                Finite {
                    neg: na,
                    mant: ma,
                    exp: ea,
                },
                Finite {
                    neg: nb,
                    mant: mb,
                    exp: eb,
                },
            ) => {
                let e = ea.min(eb);
                let width =
                    (bits::bitlen(&ma).max(bits::bitlen(&mb)) as i64 + (ea - eb).abs() + 2) as u32;
                let xa = bits::shl(&ma, (ea - e) as u64, width);
                let xb = bits::shl(&mb, (eb - e) as u64, width);
                if na == nb {
                    round_pack(t, na, &bits::add(&xa, &xb, width), e, false)
                } else {
                    match bits::ucmp(&xa, &xb) {
                        Ordering::Equal => zero(t, false),
                        Ordering::Greater => {
                            round_pack(t, na, &bits::sub(&xa, &xb, width), e, false)
                        }
                        Ordering::Less => round_pack(t, nb, &bits::sub(&xb, &xa, width), e, false),
                    }
                }
            }
        },
        BinOp::Mul => match (x, y) {
            (Nan, _) | (_, Nan) => nan(t),
            (Inf(_), Zero(_)) | (Zero(_), Inf(_)) => nan(t),
            (Inf(p), v) | (v, Inf(p)) => inf(t, p ^ sign_of(&v)),
            (Zero(p), v) | (v, Zero(p)) => zero(t, p ^ sign_of(&v)),
            (
                Finite {
                    neg: na,
                    mant: ma,
                    exp: ea,
                },
                Finite {
                    neg: nb,
                    mant: mb,
                    exp: eb,
                },
            ) => {
                let width = (bits::bitlen(&ma) + bits::bitlen(&mb) + 1) as u32;
                round_pack(t, na ^ nb, &bits::mul(&ma, &mb, width), ea + eb, false)
            }
        },
        BinOp::Div => match (x, y) {
            (Nan, _) | (_, Nan) => nan(t),
            (Inf(_), Inf(_)) | (Zero(_), Zero(_)) => nan(t),
            (Inf(p), v) => inf(t, p ^ sign_of(&v)),
            (v, Inf(p)) => zero(t, p ^ sign_of(&v)),
            (Zero(p), v) => zero(t, p ^ sign_of(&v)),
            (v, Zero(p)) => inf(t, p ^ sign_of(&v)),
            (
                Finite {
                    neg: na,
                    mant: ma,
                    exp: ea,
                },
                Finite {
                    neg: nb,
                    mant: mb,
                    exp: eb,
                },
            ) => {
                let p = fmt(t).p as i64;
                let k = (p + 3 + bits::bitlen(&mb) as i64 - bits::bitlen(&ma) as i64).max(0);
                let width = (bits::bitlen(&ma) as i64 + k + 1) as u32;
                let num = bits::shl(&ma, k as u64, width);
                let (q, r) = bits::udivrem(&num, &mb);
                round_pack(t, na ^ nb, &q, ea - eb - k, !bits::is_zero(&r))
            }
        },
    }
}

fn sign_of(u: &Unpacked) -> bool {
    match u {
        Unpacked::Nan => false,
        Unpacked::Inf(n) | Unpacked::Zero(n) => *n,
        Unpacked::Finite { neg, .. } => *neg,
    }
}

/// The square root, rounded to the type.
pub fn sqrt(t: FloatType, a: u128) -> u128 {
    match t {
        FloatType::F32 => f32::from_bits(a as u32).sqrt().to_bits() as u128,
        FloatType::F64 => f64::from_bits(a as u64).sqrt().to_bits() as u128,
        FloatType::F16 => f64_to_f16_bits(f16_bits_to_f64(a as u16).sqrt()) as u128,
        FloatType::F80 | FloatType::F128 => match unpack(t, a) {
            Unpacked::Nan => nan(t),
            Unpacked::Zero(_) => a,
            Unpacked::Inf(false) => a,
            Unpacked::Inf(true) | Unpacked::Finite { neg: true, .. } => nan(t),
            Unpacked::Finite { mant, mut exp, .. } => {
                let mut m = mant;
                m.resize(m.len() + 1, 0);
                if exp % 2 != 0 {
                    m = bits::shl(&m, 1, (m.len() * 64) as u32);
                    exp -= 1;
                }
                let p = fmt(t).p as i64;
                let k = ((2 * (p + 3) - bits::bitlen(&m) as i64).max(0) + 1) / 2;
                let width = (bits::bitlen(&m) as i64 + 2 * k + 1) as u32;
                let x = bits::shl(&m, 2 * k as u64, width);
                let (r, exact) = bits::isqrt(&x);
                round_pack(t, false, &r, (exp - 2 * k) / 2, !exact)
            }
        },
    }
}

/// Compares two floats of type `t` (`None` when either is NaN; zeros compare equal).
pub fn compare(t: FloatType, a: u128, b: u128) -> Option<Ordering> {
    match t {
        FloatType::F32 => f32::from_bits(a as u32).partial_cmp(&f32::from_bits(b as u32)),
        FloatType::F64 => f64::from_bits(a as u64).partial_cmp(&f64::from_bits(b as u64)),
        FloatType::F16 => f16_bits_to_f64(a as u16).partial_cmp(&f16_bits_to_f64(b as u16)),
        _ => {
            use Unpacked::*;
            let key = |u: &Unpacked| -> Option<(i8, Vec<u64>, i64)> {
                match u {
                    Nan => None,
                    Inf(n) => Some((if *n { -2 } else { 2 }, vec![], 0)),
                    Zero(_) => Some((0, vec![], 0)),
                    Finite { neg, mant, exp } => {
                        Some((if *neg { -1 } else { 1 }, mant.clone(), *exp))
                    }
                }
            };
            let (x, y) = (key(&unpack(t, a))?, key(&unpack(t, b))?);
            if x.0 != y.0 || x.0.abs() != 1 {
                return Some(x.0.cmp(&y.0));
            }
            let e = x.2.min(y.2);
            let width =
                (bits::bitlen(&x.1).max(bits::bitlen(&y.1)) as i64 + (x.2 - y.2).abs() + 1) as u32;
            let mx = bits::shl(&x.1, (x.2 - e) as u64, width);
            let my = bits::shl(&y.1, (y.2 - e) as u64, width);
            let o = bits::ucmp(&mx, &my);
            Some(if x.0 < 0 { o.reverse() } else { o })
        }
    }
}

/// Whether the value is a NaN.
pub fn is_nan(t: FloatType, a: u128) -> bool {
    matches!(unpack(t, a), Unpacked::Nan)
}

/// Whether the sign bit is set.
pub fn sign_bit(t: FloatType, a: u128) -> bool {
    (a >> fmt(t).sign_shift()) & 1 == 1
}

/// Flips the sign bit (`neg`).
pub fn negate(t: FloatType, a: u128) -> u128 {
    a ^ (1u128 << fmt(t).sign_shift())
}

/// Clears the sign bit (`fabs`).
pub fn abs(t: FloatType, a: u128) -> u128 {
    a & !(1u128 << fmt(t).sign_shift())
}

/// The ways to round to an integral value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceil,
    /// Toward zero.
    Trunc,
    /// To nearest, ties away from zero.
    Round,
}

/// Rounds to an integral value of the same type, keeping the sign of zero.
pub fn round_integral(t: FloatType, a: u128, mode: Rounding) -> u128 {
    let Unpacked::Finite { neg, mant, exp } = unpack(t, a) else {
        return match unpack(t, a) {
            Unpacked::Nan => nan(t),
            _ => a,
        };
    };
    if exp >= 0 {
        return a;
    }
    let s = (-exp) as u64;
    let ip = bits::lshr(&mant, s);
    let mut frac = mant.clone();
    bits::mask(&mut frac, s.min((mant.len() * 64) as u64) as u32);
    let has_frac = !bits::is_zero(&frac);
    let half_or_more = bits::bit(&mant, s - 1);
    let up = match mode {
        Rounding::Trunc => false,
        Rounding::Floor => neg && has_frac,
        Rounding::Ceil => !neg && has_frac,
        Rounding::Round => half_or_more,
    };
    let width = (ip.len() * 64 + 64) as u32;
    let ip = if up { bits::add(&ip, &[1], width) } else { ip };
    round_pack(t, neg, &ip, 0, false)
}

/// `min`/`max` as in Zig (docs/language.md): a NaN operand yields the other one, and `-0.0`
/// is below `0.0`.
pub fn min_max(t: FloatType, a: u128, b: u128, max: bool) -> u128 {
    match (is_nan(t, a), is_nan(t, b)) {
        (true, true) => return nan(t),
        (true, false) => return b,
        (false, true) => return a,
        _ => {}
    }
    let o = match compare(t, a, b) {
        Some(Ordering::Equal) => sign_bit(t, b).cmp(&sign_bit(t, a)),
        Some(o) => o,
        None => Ordering::Equal,
    };
    let a_first = if max {
        o != Ordering::Less
    } else {
        o != Ordering::Greater
    };
    if a_first {
        a
    } else {
        b
    }
}

/// The float as an `f64` for display (exact for `f16`, `f32`, `f64`).
pub fn to_f64(t: FloatType, a: u128) -> f64 {
    wabe_types::float_bits_to_f64(t, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f128(v: f64) -> u128 {
        convert(FloatType::F64, FloatType::F128, v.to_bits() as u128)
    }
    fn back(t: FloatType, v: u128) -> f64 {
        f64::from_bits(convert(t, FloatType::F64, v) as u64)
    }

    #[test]
    fn soft_matches_hardware() {
        let vals: [f64; 8] = [1.0, -2.5, 3.0e10, 1.0e-300, 7.0, 0.1, -0.0, 123456.789];
        for t in [FloatType::F80, FloatType::F128] {
            for &x in &vals {
                for &y in &vals {
                    let (a, b) = (
                        convert(FloatType::F64, t, x.to_bits() as u128),
                        convert(FloatType::F64, t, y.to_bits() as u128),
                    );
                    // Sums and products of f64 values are exact in f128, so rounding back to
                    // f64 gives the hardware result.
                    if t == FloatType::F128 {
                        assert_eq!(back(t, binop(t, BinOp::Mul, a, b)), x * y, "{x} * {y}");
                    }
                    assert_eq!(back(t, a), x);
                    assert_eq!(compare(t, a, b), x.partial_cmp(&y));
                }
            }
        }
        let third = binop(FloatType::F128, BinOp::Div, f128(1.0), f128(3.0));
        assert_eq!(back(FloatType::F128, third), 1.0 / 3.0);
        let s = sqrt(FloatType::F128, f128(2.0));
        assert_eq!(back(FloatType::F128, s), 2f64.sqrt());
        assert_eq!(
            back(
                FloatType::F128,
                binop(FloatType::F128, BinOp::Add, f128(1.0), f128(2.0))
            ),
            3.0
        );
        assert_eq!(
            convert(FloatType::F64, FloatType::F32, 0.1f64.to_bits() as u128),
            0.1f32.to_bits() as u128
        );
        assert_eq!(
            from_int(FloatType::F32, false, &[16777217]),
            16777216f32.to_bits() as u128
        );
        assert_eq!(
            round_integral(FloatType::F64, (-0.3f64).to_bits() as u128, Rounding::Round),
            (-0.0f64).to_bits() as u128
        );
        assert_eq!(
            round_integral(FloatType::F64, 2.5f64.to_bits() as u128, Rounding::Round),
            3.0f64.to_bits() as u128
        );
        assert_eq!(
            to_int(FloatType::F64, (-7.9f64).to_bits() as u128),
            Some((true, vec![7, 0]))
        );
    }
}
