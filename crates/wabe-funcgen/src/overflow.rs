//! `add_with_overflow`, `sub_with_overflow`, `mul_with_overflow`, `shl_with_overflow` on
//! integers of up to 64 bits: the result is a `struct { T, u1 }` in a frame slot holding the
//! wrapped value and the overflow bit. (Wider integers are in `wide.rs`.)

use crate::codegen::{FuncGen, IntRepr, WValue};
use crate::memory::Addr;
use crate::Error;
use wabe_air::{Ref, Tag};
use wabe_mir::{MirTag, ValType};
use wabe_types::TypeId;

fn pick(r: IntRepr, a: MirTag, b: MirTag) -> MirTag {
    if r.is64() {
        b
    } else {
        a
    }
}

impl FuncGen<'_> {
    /// Stores `value` and the overflow bit (an i32 local) into a fresh `struct { T, u1 }`.
    pub(crate) fn overflow_result(
        &mut self,
        ty: TypeId,
        value: WValue,
        bit: u32,
    ) -> Result<WValue, Error> {
        let dst = self.alloc_value(ty)?;
        let t = self.pool.field_type(ty, 0).unwrap_or(TypeId::VOID);
        let (o0, o1) = (self.pool.field_offset(ty, 0), self.pool.field_offset(ty, 1));
        self.store_wvalue(t, dst.plus(o0), value)?;
        self.store_scalar(TypeId::U1, dst.plus(o1), WValue::Local(bit))?;
        Ok(dst.base)
    }

    pub(crate) fn gen_with_overflow(
        &mut self,
        tag: Tag,
        ty: TypeId,
        a: Ref,
        b: Ref,
    ) -> Result<WValue, Error> {
        let oty = self.type_of(a);
        if self.is_wide_int(oty) {
            return self.wide_with_overflow(tag, ty, a, b);
        }
        let Some(r) = self.int_repr(oty) else {
            return Err(self.unsupported(format!("`{}` on `{}`", tag.name(), self.ty_name(oty))));
        };
        let la = self.local_of(a, r.vt)?;
        // A shift amount has its own type (any integer), hence its own container.
        let bvt = match tag {
            Tag::ShlWithOverflow => self.pool.valtype(self.type_of(b)).unwrap_or(r.vt),
            _ => r.vt,
        };
        let lb = self.local_of(b, bvt)?;
        let res = self.alloc_local(r.vt);
        let ovf = self.alloc_local(ValType::I32);
        let full = r.bits == r.container_bits();
        let xor = pick(r, MirTag::I32Xor, MirTag::I64Xor);
        match tag {
            Tag::AddWithOverflow | Tag::SubWithOverflow => {
                let add = tag == Tag::AddWithOverflow;
                self.local_get(la.0);
                self.local_get(lb.0);
                self.op(if add {
                    pick(r, MirTag::I32Add, MirTag::I64Add)
                } else {
                    pick(r, MirTag::I32Sub, MirTag::I64Sub)
                });
                self.local_set(res);
                if !full {
                    // No overflow of the container: overflow iff the result leaves the width.
                    self.narrow_overflow(r, res, ovf);
                } else if !r.signed {
                    if add {
                        self.local_get(res);
                        self.local_get(la.0);
                    } else {
                        self.local_get(la.0);
                        self.local_get(lb.0);
                    }
                    self.op(pick(r, MirTag::I32LtU, MirTag::I64LtU));
                    self.local_set(ovf);
                } else {
                    self.local_get(la.0);
                    self.local_get(res);
                    self.op(xor);
                    if add {
                        self.local_get(lb.0);
                        self.local_get(res);
                    } else {
                        self.local_get(la.0);
                        self.local_get(lb.0);
                    }
                    self.op(xor);
                    self.op(pick(r, MirTag::I32And, MirTag::I64And));
                    self.int_const(r, 0);
                    self.op(pick(r, MirTag::I32LtS, MirTag::I64LtS));
                    self.local_set(ovf);
                }
            }
            Tag::MulWithOverflow if !r.is64() => {
                // The exact product fits an i64.
                let ext = if r.signed {
                    MirTag::I64ExtendI32S
                } else {
                    MirTag::I64ExtendI32U
                };
                let p = self.alloc_local(ValType::I64);
                self.local_get(la.0);
                self.op(ext);
                self.local_get(lb.0);
                self.op(ext);
                self.op(MirTag::I64Mul);
                self.local_tee(p);
                self.local_get(p);
                self.normalize(IntRepr {
                    vt: ValType::I64,
                    ..r
                });
                self.op(MirTag::I64Ne);
                self.local_set(ovf);
                self.local_get(p);
                self.op(MirTag::I32WrapI64);
                self.local_set(res);
                self.free_local(p);
            }
            Tag::MulWithOverflow => {
                // Through the 128-bit helper, on the operands extended to 128 bits.
                let slot = self.alloc_frame(64, 16)?;
                let (sa, sb) = (
                    Addr::at(WValue::Frame(slot)),
                    Addr::at(WValue::Frame(slot + 16)),
                );
                for (l, s) in [(la.0, sa), (lb.0, sb)] {
                    self.store_scalar(TypeId::U64, s, WValue::Local(l))?;
                    if r.signed {
                        self.local_get(l);
                        self.i64_const(63);
                        self.op(MirTag::I64ShrS);
                        let hi = self.alloc_local(ValType::I64);
                        self.local_set(hi);
                        self.store_scalar(TypeId::U64, s.plus(8), WValue::Local(hi))?;
                        self.free_local(hi);
                    } else {
                        self.store_scalar(TypeId::U64, s.plus(8), WValue::I64(0))?;
                    }
                }
                let out = Addr::at(WValue::Frame(slot + 32));
                self.push_addr(out);
                self.push_addr(sa);
                self.push_addr(sb);
                self.i32_const(r.signed as i32);
                self.i32_const(r.bits as i32);
                self.call_helper("__wabe_mulo128")?;
                self.load_scalar(TypeId::U64, out)?;
                self.normalize(r);
                self.local_set(res);
                self.load_scalar(TypeId::U8, out.plus(16))?;
                self.local_set(ovf);
            }
            Tag::ShlWithOverflow => {
                // r = normalize(a << s); overflow iff (r >> s) != a.
                let s = self.alloc_local(r.vt);
                self.emit_shift_amount(r, b)?;
                self.local_set(s);
                self.local_get(la.0);
                self.local_get(s);
                self.op(pick(r, MirTag::I32Shl, MirTag::I64Shl));
                self.normalize(r);
                self.local_tee(res);
                self.local_get(s);
                self.op(if r.signed {
                    pick(r, MirTag::I32ShrS, MirTag::I64ShrS)
                } else {
                    pick(r, MirTag::I32ShrU, MirTag::I64ShrU)
                });
                self.local_get(la.0);
                self.op(pick(r, MirTag::I32Ne, MirTag::I64Ne));
                self.local_set(ovf);
                self.free_local(s);
            }
            _ => {
                return Err(self.unsupported(format!(
                    "`{}` on `{}`",
                    tag.name(),
                    self.ty_name(oty)
                )))
            }
        }
        if !full && tag != Tag::ShlWithOverflow {
            self.local_get(res);
            self.normalize(r);
            self.local_set(res);
        }
        let w = self.overflow_result(ty, WValue::Local(res), ovf)?;
        self.free_local(ovf);
        self.free_local(res);
        self.release(lb);
        self.release(la);
        Ok(w)
    }

    /// `ovf = normalize(res) != res`, for a result computed exactly in its container.
    fn narrow_overflow(&mut self, r: IntRepr, res: u32, ovf: u32) {
        self.local_get(res);
        self.normalize(r);
        self.local_get(res);
        self.op(pick(r, MirTag::I32Ne, MirTag::I64Ne));
        self.local_set(ovf);
    }
}
