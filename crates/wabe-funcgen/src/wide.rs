//! Integers of 65 to 128 bits. They are by-ref (IR.md 3.2): 16 bytes, the low 64-bit limb
//! first, kept normalized like narrow integers (the high limb zero- or sign-extended from bit
//! `bits - 64`). Addition, subtraction, bit operations, shifts, comparisons, bit counts and casts
//! are inline on the two limbs; multiplication, division and float conversions call helper
//! functions (see `helpers.rs`). Wider integers report "unsupported" for arithmetic; they can
//! still be loaded, stored, passed and returned.

use crate::codegen::{FuncGen, IntRepr, WValue};
use crate::memory::Addr;
use crate::Error;
use wabe_air::{Ref, Tag};
use wabe_mir::{MirData, MirTag, ValType};
use wabe_types::{FloatType, TypeId, Value};

/// A wide integer's signedness and width (65 to 128 bits).
#[derive(Copy, Clone, Debug)]
pub(crate) struct Wide {
    pub signed: bool,
    pub bits: u32,
}

impl Wide {
    /// The representation of the high limb.
    fn hi(self) -> IntRepr {
        IntRepr {
            signed: self.signed,
            bits: self.bits - 64,
            vt: ValType::I64,
        }
    }
}

/// One 64-bit limb: a local (owned: freed after use) or a constant.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Limb {
    Local(u32),
    Const(i64),
}

type Limbs = [Limb; 2];

impl FuncGen<'_> {
    /// Whether `ty` is an integer (or enum, ...) wider than 64 bits.
    pub(crate) fn is_wide_int(&self, ty: TypeId) -> bool {
        self.pool.int_info(ty).is_some_and(|(_, bits)| bits > 64)
    }

    fn wide(&self, ty: TypeId, what: &str) -> Result<Wide, Error> {
        match self.pool.int_info(ty) {
            Some((signed, bits)) if bits > 64 && bits <= 128 => Ok(Wide { signed, bits }),
            _ => Err(self.unsupported(format!("`{what}` on `{}`", self.ty_name(ty)))),
        }
    }

    /// The two limbs of a wide operand.
    fn limbs(&mut self, r: Ref) -> Result<Limbs, Error> {
        match self.const_value(r) {
            Some(Value::Int(i)) => {
                let v = i.to_u128_wrapping();
                return Ok([
                    Limb::Const(v as u64 as i64),
                    Limb::Const((v >> 64) as u64 as i64),
                ]);
            }
            Some(Value::Undef) => return Ok([Limb::Const(0), Limb::Const(0)]),
            _ => {}
        }
        let a = self.addr_of(r)?;
        let mut out = [Limb::Const(0); 2];
        for (k, o) in out.iter_mut().enumerate() {
            let off = self.push_base(a.plus(8 * k as u64));
            self.mir.push(MirTag::I64Load, MirData { a: off, b: 3 });
            let l = self.alloc_local(ValType::I64);
            self.local_set(l);
            *o = Limb::Local(l);
        }
        Ok(out)
    }

    fn push_limb(&mut self, l: Limb) {
        match l {
            Limb::Local(x) => self.local_get(x),
            Limb::Const(c) => self.i64_const(c),
        }
    }

    fn free_limbs(&mut self, ls: Limbs) {
        for l in ls {
            if let Limb::Local(x) = l {
                self.free_local(x);
            }
        }
    }

    /// Normalizes the high limb and stores both locals into a fresh slot (freeing them).
    fn wide_store(&mut self, w: Wide, lo: u32, hi: u32) -> Result<WValue, Error> {
        if w.hi().bits < 64 {
            self.local_get(hi);
            self.normalize(w.hi());
            self.local_set(hi);
        }
        let dst = Addr::at(WValue::Frame(self.alloc_frame(16, 16)?));
        self.store_scalar(TypeId::U64, dst, WValue::Local(lo))?;
        self.store_scalar(TypeId::U64, dst.plus(8), WValue::Local(hi))?;
        self.free_local(lo);
        self.free_local(hi);
        Ok(dst.base)
    }

    fn new_i64(&mut self) -> u32 {
        self.alloc_local(ValType::I64)
    }

    /// Calls a helper taking the addresses of `args` (and the extra i32s `imm`), returning
    /// through a fresh slot of `size` bytes.
    fn wide_helper(
        &mut self,
        name: &str,
        args: &[Ref],
        imm: &[i32],
        size: u64,
    ) -> Result<Addr, Error> {
        let dst = Addr::at(WValue::Frame(self.alloc_frame(size, 16)?));
        self.push_addr(dst);
        for &a in args {
            let w = self.resolve(a)?;
            self.push_addr(Addr::at(w));
        }
        for &i in imm {
            self.i32_const(i);
        }
        self.call_helper(name)?;
        Ok(dst)
    }

    pub(crate) fn wide_binary(&mut self, tag: Tag, a: Ref, b: Ref) -> Result<WValue, Error> {
        let oty = self.type_of(a);
        let w = self.wide(oty, tag.name())?;
        use Tag::*;
        match tag {
            Add | AddWrap | Sub | SubWrap => {
                let (x, y) = (self.limbs(a)?, self.limbs(b)?);
                let (lo, hi) = self.add_sub(matches!(tag, Add | AddWrap), x, y);
                self.free_limbs(y);
                self.free_limbs(x);
                self.wide_store(w, lo, hi)
            }
            BitAnd | BitOr | Xor => {
                let (x, y) = (self.limbs(a)?, self.limbs(b)?);
                let op = match tag {
                    BitAnd => MirTag::I64And,
                    BitOr => MirTag::I64Or,
                    _ => MirTag::I64Xor,
                };
                let (lo, hi) = (self.new_i64(), self.new_i64());
                for (k, l) in [lo, hi].into_iter().enumerate() {
                    self.push_limb(x[k]);
                    self.push_limb(y[k]);
                    self.op(op);
                    self.local_set(l);
                }
                self.free_limbs(y);
                self.free_limbs(x);
                self.wide_store(w, lo, hi)
            }
            Mul | MulWrap => {
                let dst = self.wide_helper("__wabe_mul128", &[a, b], &[], 16)?;
                self.renormalize(w, dst)
            }
            DivTrunc | DivExact | Rem | DivFloor | Mod => {
                let second = matches!(tag, Rem | Mod);
                let dst = if w.signed {
                    let floor = matches!(tag, DivFloor | Mod);
                    self.wide_helper("__wabe_sdivmod128", &[a, b], &[floor as i32], 32)?
                } else {
                    self.wide_helper("__wabe_udivmod128", &[a, b], &[], 32)?
                };
                Ok(self.addr_value(dst.plus(if second { 16 } else { 0 })))
            }
            Shl | ShlExact | Shr | ShrExact => {
                let x = self.limbs(a)?;
                if let Some(Value::Int(k)) = self.const_value(b) {
                    if let Some(k) = k.to_i128().filter(|k| (0..128).contains(k)) {
                        let left = matches!(tag, Shl | ShlExact);
                        let (lo, hi) = self.shift128_const(x, k as u32, left, w.signed);
                        self.free_limbs(x);
                        return self.wide_store(w, lo, hi);
                    }
                }
                let s = self.wide_shift_amount(b)?;
                let (lo, hi) = if matches!(tag, Shl | ShlExact) {
                    self.shl128(x, s)
                } else {
                    self.shr128(x, s, w.signed)
                };
                self.free_local(s);
                self.free_limbs(x);
                self.wide_store(w, lo, hi)
            }
            Min | Max => {
                let (x, y) = (self.limbs(a)?, self.limbs(b)?);
                self.cmp128(if tag == Min { CmpLt } else { CmpGt }, w.signed, x, y);
                let c = self.alloc_local(ValType::I32);
                self.local_set(c);
                let (lo, hi) = (self.new_i64(), self.new_i64());
                for (k, l) in [lo, hi].into_iter().enumerate() {
                    self.push_limb(x[k]);
                    self.push_limb(y[k]);
                    self.local_get(c);
                    self.op(MirTag::Select);
                    self.local_set(l);
                }
                self.free_local(c);
                self.free_limbs(y);
                self.free_limbs(x);
                self.wide_store(w, lo, hi)
            }
            AddSat | SubSat | MulSat | ShlSat => {
                let x = self.limbs(a)?;
                let ylimbs = if tag == MulSat {
                    Some(self.limbs(b)?)
                } else {
                    None
                };
                let (lo, hi, ovf) = self.overflow_core(tag, w, a, b)?;
                // The saturation value.
                let (slo, shi) = (self.new_i64(), self.new_i64());
                let max_hi = Self::int_max(w.hi());
                if !w.signed {
                    let (l, h) = if tag == SubSat { (0, 0) } else { (-1, max_hi) };
                    self.i64_const(l);
                    self.local_set(slo);
                    self.i64_const(h);
                    self.local_set(shi);
                } else {
                    // Negative (a < 0, or a * b < 0 for mul) saturates to MIN, else MAX.
                    let neg = self.alloc_local(ValType::I32);
                    self.push_limb(x[1]);
                    if let Some(y) = ylimbs {
                        self.push_limb(y[1]);
                        self.op(MirTag::I64Xor);
                    }
                    self.i64_const(0);
                    self.op(MirTag::I64LtS);
                    self.local_set(neg);
                    self.i64_const(0);
                    self.i64_const(-1);
                    self.local_get(neg);
                    self.op(MirTag::Select);
                    self.local_set(slo);
                    self.i64_const(Self::int_min(w.hi()));
                    self.i64_const(max_hi);
                    self.local_get(neg);
                    self.op(MirTag::Select);
                    self.local_set(shi);
                    self.free_local(neg);
                }
                for (s, r) in [(slo, lo), (shi, hi)] {
                    self.local_get(s);
                    self.local_get(r);
                    self.local_get(ovf);
                    self.op(MirTag::Select);
                    self.local_set(r);
                }
                self.free_local(slo);
                self.free_local(shi);
                self.free_local(ovf);
                if let Some(y) = ylimbs {
                    self.free_limbs(y);
                }
                self.free_limbs(x);
                self.wide_store(w, lo, hi)
            }
            _ => Err(self.unsupported(format!("`{}` on `{}`", tag.name(), self.ty_name(oty)))),
        }
    }

    /// Copies the 16 bytes at `src` into a fresh slot with the high limb normalized.
    fn renormalize(&mut self, w: Wide, src: Addr) -> Result<WValue, Error> {
        if w.bits == 128 {
            return Ok(self.addr_value(src));
        }
        let (lo, hi) = (self.new_i64(), self.new_i64());
        self.load_scalar(TypeId::U64, src)?;
        self.local_set(lo);
        self.load_scalar(TypeId::U64, src.plus(8))?;
        self.local_set(hi);
        self.wide_store(w, lo, hi)
    }

    /// `x ± y` into two new locals (modulo 2^128).
    fn add_sub(&mut self, add: bool, x: Limbs, y: Limbs) -> (u32, u32) {
        let (lo, hi) = (self.new_i64(), self.new_i64());
        self.push_limb(x[0]);
        self.push_limb(y[0]);
        self.op(if add { MirTag::I64Add } else { MirTag::I64Sub });
        self.local_set(lo);
        self.push_limb(x[1]);
        self.push_limb(y[1]);
        self.op(if add { MirTag::I64Add } else { MirTag::I64Sub });
        // carry = lo < x.lo (add); borrow = x.lo < y.lo (sub)
        if add {
            self.local_get(lo);
            self.push_limb(x[0]);
        } else {
            self.push_limb(x[0]);
            self.push_limb(y[0]);
        }
        self.op(MirTag::I64LtU);
        self.op(MirTag::I64ExtendI32U);
        self.op(if add { MirTag::I64Add } else { MirTag::I64Sub });
        self.local_set(hi);
        (lo, hi)
    }

    /// The shift amount as an i64 local.
    fn wide_shift_amount(&mut self, b: Ref) -> Result<u32, Error> {
        let bty = self.type_of(b);
        if self.is_wide_int(bty) {
            let a = self.addr_of(b)?;
            self.load_scalar(TypeId::U64, a)?;
        } else {
            let Some(r) = self.int_repr(bty) else {
                return Err(self.err("shift amount must be an integer"));
            };
            self.emit_ref(b)?;
            if !r.is64() {
                self.op(MirTag::I64ExtendI32U);
            }
        }
        let s = self.new_i64();
        self.local_set(s);
        Ok(s)
    }

    /// A shift by the constant `k` (below 128): each limb is one or two shifts of the input
    /// limbs, with no selects.
    fn shift128_const(&mut self, x: Limbs, k: u32, left: bool, signed: bool) -> (u32, u32) {
        use MirTag as M;
        let (lo, hi) = (self.new_i64(), self.new_i64());
        let k = k as i64;
        let shr = if signed { M::I64ShrS } else { M::I64ShrU };
        // Pushes `first` (a limb shifted by a constant; none: 0), or-ed with `second`.
        let emit = |g: &mut Self,
                    first: Option<(Limb, MirTag, i64)>,
                    second: Option<(Limb, MirTag, i64)>| {
            match first {
                Some((l, op, n)) => {
                    g.push_limb(l);
                    if n != 0 {
                        g.i64_const(n);
                        g.op(op);
                    }
                }
                None => g.i64_const(0),
            }
            if let Some((l, op, n)) = second {
                g.push_limb(l);
                g.i64_const(n);
                g.op(op);
                g.op(M::I64Or);
            }
        };
        let (x0, x1) = (x[0], x[1]);
        if left {
            // hi
            if k >= 64 {
                emit(self, Some((x0, M::I64Shl, k - 64)), None);
            } else if k == 0 {
                emit(self, Some((x1, M::I64Shl, 0)), None);
            } else {
                emit(
                    self,
                    Some((x1, M::I64Shl, k)),
                    Some((x0, M::I64ShrU, 64 - k)),
                );
            }
            self.local_set(hi);
            // lo
            if k >= 64 {
                emit(self, None, None);
            } else {
                emit(self, Some((x0, M::I64Shl, k)), None);
            }
            self.local_set(lo);
        } else {
            // lo
            if k >= 64 {
                emit(self, Some((x1, shr, k - 64)), None);
            } else if k == 0 {
                emit(self, Some((x0, M::I64ShrU, 0)), None);
            } else {
                emit(
                    self,
                    Some((x0, M::I64ShrU, k)),
                    Some((x1, M::I64Shl, 64 - k)),
                );
            }
            self.local_set(lo);
            // hi
            if k >= 64 && signed {
                emit(self, Some((x1, M::I64ShrS, 63)), None);
            } else if k >= 64 {
                emit(self, None, None);
            } else {
                emit(self, Some((x1, shr, k)), None);
            }
            self.local_set(hi);
        }
        (lo, hi)
    }

    fn shl128(&mut self, x: Limbs, s: u32) -> (u32, u32) {
        let (lo, hi) = (self.new_i64(), self.new_i64());
        // hi = s >= 64 ? lo << (s - 64) : (hi << s) | ((lo >> 1) >> (63 - s))
        self.push_limb(x[0]);
        self.local_get(s);
        self.i64_const(64);
        self.op(MirTag::I64Sub);
        self.op(MirTag::I64Shl);
        self.push_limb(x[1]);
        self.local_get(s);
        self.op(MirTag::I64Shl);
        self.push_limb(x[0]);
        self.i64_const(1);
        self.op(MirTag::I64ShrU);
        self.i64_const(63);
        self.local_get(s);
        self.op(MirTag::I64Sub);
        self.op(MirTag::I64ShrU);
        self.op(MirTag::I64Or);
        self.local_get(s);
        self.i64_const(64);
        self.op(MirTag::I64GeU);
        self.op(MirTag::Select);
        self.local_set(hi);
        // lo = s >= 64 ? 0 : lo << s
        self.i64_const(0);
        self.push_limb(x[0]);
        self.local_get(s);
        self.op(MirTag::I64Shl);
        self.local_get(s);
        self.i64_const(64);
        self.op(MirTag::I64GeU);
        self.op(MirTag::Select);
        self.local_set(lo);
        (lo, hi)
    }

    fn shr128(&mut self, x: Limbs, s: u32, signed: bool) -> (u32, u32) {
        let (lo, hi) = (self.new_i64(), self.new_i64());
        let shr = if signed {
            MirTag::I64ShrS
        } else {
            MirTag::I64ShrU
        };
        // lo = s >= 64 ? hi >> (s - 64) : (lo >>u s) | ((hi << 1) << (63 - s))
        self.push_limb(x[1]);
        self.local_get(s);
        self.i64_const(64);
        self.op(MirTag::I64Sub);
        self.op(shr);
        self.push_limb(x[0]);
        self.local_get(s);
        self.op(MirTag::I64ShrU);
        self.push_limb(x[1]);
        self.i64_const(1);
        self.op(MirTag::I64Shl);
        self.i64_const(63);
        self.local_get(s);
        self.op(MirTag::I64Sub);
        self.op(MirTag::I64Shl);
        self.op(MirTag::I64Or);
        self.local_get(s);
        self.i64_const(64);
        self.op(MirTag::I64GeU);
        self.op(MirTag::Select);
        self.local_set(lo);
        // hi = s >= 64 ? (signed ? hi >> 63 : 0) : hi >> s
        if signed {
            self.push_limb(x[1]);
            self.i64_const(63);
            self.op(MirTag::I64ShrS);
        } else {
            self.i64_const(0);
        }
        self.push_limb(x[1]);
        self.local_get(s);
        self.op(shr);
        self.local_get(s);
        self.i64_const(64);
        self.op(MirTag::I64GeU);
        self.op(MirTag::Select);
        self.local_set(hi);
        (lo, hi)
    }

    /// Pushes the i32 result of comparing `x` and `y`.
    fn cmp128(&mut self, tag: Tag, signed: bool, x: Limbs, y: Limbs) {
        use MirTag as M;
        match tag {
            Tag::CmpEq | Tag::CmpNeq => {
                self.push_limb(x[0]);
                self.push_limb(y[0]);
                self.op(M::I64Xor);
                self.push_limb(x[1]);
                self.push_limb(y[1]);
                self.op(M::I64Xor);
                self.op(M::I64Or);
                self.op(M::I64Eqz);
                if tag == Tag::CmpNeq {
                    self.op(M::I32Eqz);
                }
            }
            _ => {
                let (lo_op, hi_op) = match (tag, signed) {
                    (Tag::CmpLt, true) => (M::I64LtU, M::I64LtS),
                    (Tag::CmpLt, false) => (M::I64LtU, M::I64LtU),
                    (Tag::CmpLte, true) => (M::I64LeU, M::I64LtS),
                    (Tag::CmpLte, false) => (M::I64LeU, M::I64LtU),
                    (Tag::CmpGt, true) => (M::I64GtU, M::I64GtS),
                    (Tag::CmpGt, false) => (M::I64GtU, M::I64GtU),
                    (_, true) => (M::I64GeU, M::I64GtS),
                    (_, false) => (M::I64GeU, M::I64GtU),
                };
                // select(lo cmp, hi cmp, hi equal)
                self.push_limb(x[0]);
                self.push_limb(y[0]);
                self.op(lo_op);
                self.push_limb(x[1]);
                self.push_limb(y[1]);
                self.op(hi_op);
                self.push_limb(x[1]);
                self.push_limb(y[1]);
                self.op(M::I64Eq);
                self.op(M::Select);
            }
        }
    }

    pub(crate) fn wide_cmp(&mut self, tag: Tag, a: Ref, b: Ref) -> Result<WValue, Error> {
        let oty = self.type_of(a);
        let w = self.wide(oty, tag.name())?;
        let (x, y) = (self.limbs(a)?, self.limbs(b)?);
        self.cmp128(tag, w.signed, x, y);
        self.free_limbs(y);
        self.free_limbs(x);
        Ok(self.store_result(ValType::I32))
    }

    /// The wrapped result (two locals) and overflow bit (an i32 local) of an overflowing
    /// operation.
    fn overflow_core(
        &mut self,
        tag: Tag,
        w: Wide,
        a: Ref,
        b: Ref,
    ) -> Result<(u32, u32, u32), Error> {
        use Tag::*;
        let ovf = self.alloc_local(ValType::I32);
        match tag {
            AddWithOverflow | SubWithOverflow | AddSat | SubSat => {
                let add = matches!(tag, AddWithOverflow | AddSat);
                let (x, y) = (self.limbs(a)?, self.limbs(b)?);
                let (lo, hi) = self.add_sub(add, x, y);
                if w.bits < 128 {
                    // Exact in 128 bits: overflow iff the result leaves the width.
                    self.local_get(hi);
                    self.normalize(w.hi());
                    self.local_get(hi);
                    self.op(MirTag::I64Ne);
                } else if w.signed {
                    // add: ((x ^ r) & (y ^ r)) < 0; sub: ((x ^ y) & (x ^ r)) < 0 (high limbs)
                    self.push_limb(x[1]);
                    if add {
                        self.local_get(hi);
                    } else {
                        self.push_limb(y[1]);
                    }
                    self.op(MirTag::I64Xor);
                    if add {
                        self.push_limb(y[1]);
                    } else {
                        self.push_limb(x[1]);
                    }
                    self.local_get(hi);
                    self.op(MirTag::I64Xor);
                    self.op(MirTag::I64And);
                    self.i64_const(0);
                    self.op(MirTag::I64LtS);
                } else {
                    // Unsigned: add overflows iff r < x; sub iff x < y (128-bit compares).
                    let r = [Limb::Local(lo), Limb::Local(hi)];
                    if add {
                        self.cmp128(CmpLt, false, r, x);
                    } else {
                        self.cmp128(CmpLt, false, x, y);
                    }
                }
                self.local_set(ovf);
                self.free_limbs(y);
                self.free_limbs(x);
                Ok((lo, hi, ovf))
            }
            MulWithOverflow | MulSat => {
                let out = self.wide_helper(
                    "__wabe_mulo128",
                    &[a, b],
                    &[w.signed as i32, w.bits as i32],
                    32,
                )?;
                let (lo, hi) = (self.new_i64(), self.new_i64());
                self.load_scalar(TypeId::U64, out)?;
                self.local_set(lo);
                self.load_scalar(TypeId::U64, out.plus(8))?;
                self.local_set(hi);
                self.load_scalar(TypeId::U8, out.plus(16))?;
                self.local_set(ovf);
                Ok((lo, hi, ovf))
            }
            ShlWithOverflow | ShlSat => {
                let x = self.limbs(a)?;
                let s = self.wide_shift_amount(b)?;
                let (lo, hi) = self.shl128(x, s);
                self.local_get(hi);
                self.normalize(w.hi());
                self.local_set(hi);
                let back = self.shr128([Limb::Local(lo), Limb::Local(hi)], s, w.signed);
                self.cmp128(CmpNeq, false, [Limb::Local(back.0), Limb::Local(back.1)], x);
                self.local_set(ovf);
                self.free_local(back.0);
                self.free_local(back.1);
                self.free_local(s);
                self.free_limbs(x);
                Ok((lo, hi, ovf))
            }
            _ => Err(self.unsupported(format!(
                "`{}` on `{}`",
                tag.name(),
                self.ty_name(self.type_of(a))
            ))),
        }
    }

    pub(crate) fn wide_with_overflow(
        &mut self,
        tag: Tag,
        ty: TypeId,
        a: Ref,
        b: Ref,
    ) -> Result<WValue, Error> {
        let w = self.wide(self.type_of(a), tag.name())?;
        let (lo, hi, ovf) = self.overflow_core(tag, w, a, b)?;
        let v = self.wide_store(w, lo, hi)?;
        let r = self.overflow_result(ty, v, ovf)?;
        self.free_local(ovf);
        Ok(r)
    }

    pub(crate) fn wide_unary(&mut self, tag: Tag, a: Ref) -> Result<WValue, Error> {
        let oty = self.type_of(a);
        let w = self.wide(oty, tag.name())?;
        let x = self.limbs(a)?;
        let (lo, hi) = (self.new_i64(), self.new_i64());
        let hbits = w.bits - 64;
        let hmask = if hbits >= 64 {
            -1i64
        } else {
            ((1u64 << hbits) - 1) as i64
        };
        // The high limb without its sign extension.
        let push_hi_masked = |g: &mut Self| {
            g.push_limb(x[1]);
            if hbits < 64 {
                g.i64_const(hmask);
                g.op(MirTag::I64And);
            }
        };
        match tag {
            Tag::Not => {
                for (k, l) in [lo, hi].into_iter().enumerate() {
                    self.push_limb(x[k]);
                    self.i64_const(-1);
                    self.op(MirTag::I64Xor);
                    self.local_set(l);
                }
            }
            Tag::Clz => {
                let unused = (128 - w.bits) as i64;
                push_hi_masked(self);
                self.op(MirTag::I64Clz);
                self.i64_const(unused);
                self.op(MirTag::I64Sub);
                self.push_limb(x[0]);
                self.op(MirTag::I64Clz);
                self.i64_const(64 - unused);
                self.op(MirTag::I64Add);
                push_hi_masked(self);
                self.op(MirTag::I64Eqz);
                self.op(MirTag::I32Eqz);
                self.op(MirTag::Select);
                self.local_set(lo);
                self.i64_const(0);
                self.local_set(hi);
            }
            Tag::Ctz => {
                self.push_limb(x[0]);
                self.op(MirTag::I64Ctz);
                self.push_limb(x[1]);
                if hbits < 64 {
                    self.i64_const(1i64 << hbits);
                    self.op(MirTag::I64Or);
                }
                self.op(MirTag::I64Ctz);
                self.i64_const(64);
                self.op(MirTag::I64Add);
                self.push_limb(x[0]);
                self.op(MirTag::I64Eqz);
                self.op(MirTag::I32Eqz);
                self.op(MirTag::Select);
                self.local_set(lo);
                self.i64_const(0);
                self.local_set(hi);
            }
            Tag::Popcount => {
                self.push_limb(x[0]);
                self.op(MirTag::I64Popcnt);
                push_hi_masked(self);
                self.op(MirTag::I64Popcnt);
                self.op(MirTag::I64Add);
                self.local_set(lo);
                self.i64_const(0);
                self.local_set(hi);
            }
            Tag::ByteSwap | Tag::BitReverse => {
                if tag == Tag::ByteSwap && w.bits % 8 != 0 {
                    return Err(self.err(format!(
                        "`byte_swap` needs a whole number of bytes, not `{}`",
                        self.ty_name(oty)
                    )));
                }
                // Reverse all 128 bits (swapping the limbs), then shift the value down.
                push_hi_masked(self);
                if tag == Tag::ByteSwap {
                    self.emit_bswap(true)
                } else {
                    self.emit_bit_reverse(true)
                }
                self.local_set(lo);
                self.push_limb(x[0]);
                if tag == Tag::ByteSwap {
                    self.emit_bswap(true)
                } else {
                    self.emit_bit_reverse(true)
                }
                self.local_set(hi);
                let k = (128 - w.bits) as i64;
                if k > 0 {
                    // lo = (lo >> k) | (hi << (64 - k)); hi >>= k
                    self.local_get(lo);
                    self.i64_const(k);
                    self.op(MirTag::I64ShrU);
                    self.local_get(hi);
                    self.i64_const(64 - k);
                    self.op(MirTag::I64Shl);
                    self.op(MirTag::I64Or);
                    self.local_set(lo);
                    self.local_get(hi);
                    self.i64_const(k);
                    self.op(MirTag::I64ShrU);
                    self.local_set(hi);
                }
            }
            _ => {
                self.free_local(lo);
                self.free_local(hi);
                return Err(self.unsupported(format!(
                    "`{}` on `{}`",
                    tag.name(),
                    self.ty_name(oty)
                )));
            }
        }
        self.free_limbs(x);
        self.wide_store(w, lo, hi)
    }

    /// Casts where the source or the result is a wide integer.
    pub(crate) fn wide_cast(&mut self, tag: Tag, ty: TypeId, a: Ref) -> Result<WValue, Error> {
        let from = self.type_of(a);
        let unsupported = |s: &Self| {
            Err(s.unsupported(format!(
                "`{}` from `{}` to `{}`",
                tag.name(),
                s.ty_name(from),
                s.ty_name(ty)
            )))
        };
        let (fw, tw) = (self.is_wide_int(from), self.is_wide_int(ty));
        let (ff, tf) = (self.float_type(from), self.float_type(ty));
        match tag {
            Tag::IntToFloat => {
                let w = self.wide(from, tag.name())?;
                let (name, f16) = match (tf, w.signed) {
                    (Some(FloatType::F32), false) => ("__wabe_u128_to_f32", false),
                    (Some(FloatType::F32), true) => ("__wabe_i128_to_f32", false),
                    (Some(FloatType::F64), false) => ("__wabe_u128_to_f64", false),
                    (Some(FloatType::F64), true) => ("__wabe_i128_to_f64", false),
                    (Some(FloatType::F16), false) => ("__wabe_u128_to_f64", true),
                    (Some(FloatType::F16), true) => ("__wabe_i128_to_f64", true),
                    _ => return unsupported(self),
                };
                let src = self.addr_of(a)?;
                self.push_addr(src);
                self.call_helper(name)?;
                if f16 {
                    self.f16_round_f64()?;
                }
                let vt = if tf == Some(FloatType::F64) {
                    ValType::F64
                } else {
                    ValType::F32
                };
                Ok(self.store_result(vt))
            }
            Tag::FloatToInt => {
                self.wide(ty, tag.name())?;
                let dst = Addr::at(WValue::Frame(self.alloc_frame(16, 16)?));
                self.push_addr(dst);
                self.emit_ref(a)?;
                match ff {
                    Some(FloatType::F64) => {}
                    Some(FloatType::F32 | FloatType::F16) => self.op(MirTag::F64PromoteF32),
                    _ => return unsupported(self),
                }
                self.call_helper("__wabe_f64_to_i128")?;
                Ok(dst.base)
            }
            Tag::Bitcast if ff.is_some() || tf.is_some() => {
                // Between a wide integer and f80/f128: the same bytes.
                if !matches!(ff.or(tf), Some(FloatType::F80 | FloatType::F128)) {
                    return unsupported(self);
                }
                let src = self.addr_of(a)?;
                if tw {
                    let w = self.wide(ty, tag.name())?;
                    return self.renormalize_copy(w, src);
                }
                let dst = self.alloc_value(ty)?;
                self.copy_bytes(dst, src, self.pool.abi_size(ty), 16);
                Ok(dst.base)
            }
            Tag::Intcast | Tag::Trunc | Tag::Bitcast => match (fw, tw) {
                (true, true) => {
                    let w = self.wide(ty, tag.name())?;
                    self.wide(from, tag.name())?;
                    let x = self.limbs(a)?;
                    let (lo, hi) = (self.new_i64(), self.new_i64());
                    self.push_limb(x[0]);
                    self.local_set(lo);
                    self.push_limb(x[1]);
                    self.local_set(hi);
                    self.free_limbs(x);
                    self.wide_store(w, lo, hi)
                }
                (false, true) => {
                    let w = self.wide(ty, tag.name())?;
                    let Some(r) = self.int_repr(from) else {
                        return unsupported(self);
                    };
                    let (lo, hi) = (self.new_i64(), self.new_i64());
                    self.emit_ref(a)?;
                    if !r.is64() {
                        self.op(if r.signed {
                            MirTag::I64ExtendI32S
                        } else {
                            MirTag::I64ExtendI32U
                        });
                    }
                    self.local_tee(lo);
                    if r.signed {
                        self.i64_const(63);
                        self.op(MirTag::I64ShrS);
                    } else {
                        self.op(MirTag::Drop);
                        self.i64_const(0);
                    }
                    self.local_set(hi);
                    self.wide_store(w, lo, hi)
                }
                (true, false) => {
                    self.wide(from, tag.name())?;
                    let Some(r) = self.int_repr(ty) else {
                        return unsupported(self);
                    };
                    let src = self.addr_of(a)?;
                    self.load_scalar(TypeId::U64, src)?;
                    if !r.is64() {
                        self.op(MirTag::I32WrapI64);
                    }
                    self.normalize(r);
                    Ok(self.store_result(r.vt))
                }
                (false, false) => unsupported(self),
            },
            _ => unsupported(self),
        }
    }

    fn renormalize_copy(&mut self, w: Wide, src: Addr) -> Result<WValue, Error> {
        let (lo, hi) = (self.new_i64(), self.new_i64());
        self.load_scalar(TypeId::U64, src)?;
        self.local_set(lo);
        self.load_scalar(TypeId::U64, src.plus(8))?;
        self.local_set(hi);
        self.wide_store(w, lo, hi)
    }

    /// `switch_br` on a wide integer: a compare chain.
    pub(crate) fn wide_switch(&mut self, inst: u32) -> Result<(), Error> {
        let operand = Ref(self.air.data[inst as usize].a);
        let oty = self.type_of(operand);
        let w = self.wide(oty, "switch_br")?;
        let x = self.limbs(operand)?;
        let sw = self.air.switch_br(inst);
        let konst = |g: &Self, raw: u32| -> Limbs {
            let v = match g.const_value(Ref(raw)) {
                Some(Value::Int(i)) => i.to_u128_wrapping(),
                _ => 0,
            };
            [
                Limb::Const(v as u64 as i64),
                Limb::Const((v >> 64) as u64 as i64),
            ]
        };
        let mut opened = 0;
        for c in &sw.cases {
            let mut first = true;
            for &i in c.items {
                let k = konst(self, i);
                self.cmp128(Tag::CmpEq, w.signed, x, k);
                if !first {
                    self.op(MirTag::I32Or);
                }
                first = false;
            }
            for pair in c.ranges.chunks(2) {
                let (lo, hi) = (
                    konst(self, pair[0]),
                    konst(self, pair.get(1).copied().unwrap_or(pair[0])),
                );
                self.cmp128(Tag::CmpGte, w.signed, x, lo);
                self.cmp128(Tag::CmpLte, w.signed, x, hi);
                self.op(MirTag::I32And);
                if !first {
                    self.op(MirTag::I32Or);
                }
                first = false;
            }
            if first {
                self.i32_const(0);
            }
            self.op_a(MirTag::If, 0x40);
            self.depth += 1;
            opened += 1;
            self.gen_body(c.body)?;
            self.op(MirTag::Else);
        }
        self.free_limbs(x);
        match sw.else_body {
            Some(b) => self.gen_body(b)?,
            None => self.op(MirTag::Unreachable),
        }
        for _ in 0..opened {
            self.op(MirTag::End);
            self.depth -= 1;
        }
        Ok(())
    }
}
