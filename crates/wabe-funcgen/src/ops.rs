//! Lowering of arithmetic, bit, comparison and cast instructions, and of `switch_br`.

use crate::codegen::{FuncGen, IntRepr, WValue};
use crate::Error;
use wabe_air::{Data, Ref, Tag};
use wabe_mir::{MirData, MirTag, ValType};
use wabe_types::{FloatType, Int, TypeId, TypeKey, Value};

/// The single values and inclusive ranges of one switch case.
type CaseValues = (Vec<i64>, Vec<(i64, i64)>);

/// The i32 and i64 variants of an integer instruction.
fn pick(r: IntRepr, a: MirTag, b: MirTag) -> MirTag {
    if r.is64() {
        b
    } else {
        a
    }
}

impl FuncGen<'_> {
    /// Brings the value on top of the stack (in `r`'s container) back to the canonical form of
    /// `r.bits`: zero-extended when unsigned, sign-extended when signed.
    pub(crate) fn normalize(&mut self, r: IntRepr) {
        let cb = r.container_bits();
        if r.bits >= cb {
            return;
        }
        if r.signed {
            if self.opts.sign_ext {
                let t = match (r.is64(), r.bits) {
                    (false, 8) => Some(MirTag::I32Extend8S),
                    (false, 16) => Some(MirTag::I32Extend16S),
                    (true, 8) => Some(MirTag::I64Extend8S),
                    (true, 16) => Some(MirTag::I64Extend16S),
                    (true, 32) => Some(MirTag::I64Extend32S),
                    _ => None,
                };
                if let Some(t) = t {
                    self.op(t);
                    return;
                }
            }
            let sh = (cb - r.bits) as i64;
            self.int_const(r, sh);
            self.op(pick(r, MirTag::I32Shl, MirTag::I64Shl));
            self.int_const(r, sh);
            self.op(pick(r, MirTag::I32ShrS, MirTag::I64ShrS));
        } else {
            let mask = if r.bits == 0 {
                0
            } else {
                (u64::MAX >> (64 - r.bits)) as i64
            };
            self.int_const(r, mask);
            self.op(pick(r, MirTag::I32And, MirTag::I64And));
        }
    }

    /// The largest value of `r`, as the container's bits.
    pub(crate) fn int_max(r: IntRepr) -> i64 {
        if r.bits == 0 {
            return 0;
        }
        if r.signed {
            ((1u64 << (r.bits - 1)) - 1) as i64
        } else {
            (u64::MAX >> (64 - r.bits)) as i64
        }
    }

    /// The smallest value of `r`, sign-extended.
    pub(crate) fn int_min(r: IntRepr) -> i64 {
        if r.signed && r.bits > 0 {
            -(1i128 << (r.bits - 1)) as i64
        } else {
            0
        }
    }

    /// Puts the value of `x` into a local (re-using the one it has, if any).
    pub(crate) fn local_of(&mut self, x: Ref, vt: ValType) -> Result<(u32, bool), Error> {
        match self.resolve(x)? {
            WValue::Local(l) => Ok((l, false)),
            w => {
                match w {
                    // A zero-bit value (`u0`) reads as zero.
                    WValue::None => match vt {
                        ValType::I32 => self.i32_const(0),
                        ValType::I64 => self.i64_const(0),
                        ValType::F32 => self.emit_value(WValue::F32(0)),
                        ValType::F64 => self.emit_value(WValue::F64(0)),
                    },
                    w => self.emit_value(w),
                }
                let l = self.alloc_local(vt);
                self.local_set(l);
                Ok((l, true))
            }
        }
    }

    pub(crate) fn release(&mut self, (l, owned): (u32, bool)) {
        if owned {
            self.free_local(l);
        }
    }

    /// Pushes a shift amount converted to the container of `r`.
    pub(crate) fn emit_shift_amount(&mut self, r: IntRepr, amount: Ref) -> Result<(), Error> {
        let aty = self.type_of(amount);
        if self.is_wide_int(aty) {
            // Only the low bits matter (the amount is below the width).
            let a = self.addr_of(amount)?;
            self.load_scalar(TypeId::U64, a)?;
            if !r.is64() {
                self.op(MirTag::I32WrapI64);
            }
            return Ok(());
        }
        if !self.pool.has_runtime_bits(aty) {
            // A `u0` amount (the log2 type of `u1`) is always zero.
            self.int_const(r, 0);
            return Ok(());
        }
        let Some(ar) = self.int_repr(aty) else {
            return Err(self.err("shift amount must be an integer"));
        };
        self.emit_ref(amount)?;
        match (r.is64(), ar.is64()) {
            (true, false) => self.op(MirTag::I64ExtendI32U),
            (false, true) => self.op(MirTag::I32WrapI64),
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn gen_op(
        &mut self,
        inst: u32,
        tag: Tag,
        data: Data,
        ty: TypeId,
    ) -> Result<WValue, Error> {
        let (a, b) = (Ref(data.a), Ref(data.b));
        use Tag::*;
        match tag {
            Add | Sub | Mul | AddWrap | SubWrap | MulWrap | DivTrunc | DivExact | DivFloor
            | DivFloat | Rem | Mod | Min | Max | BitAnd | BitOr | Xor | BoolAnd | BoolOr | Shl
            | Shr | ShlExact | ShrExact | AddSat | SubSat | MulSat | ShlSat => {
                self.gen_binary(tag, ty, a, b)
            }
            CmpEq | CmpNeq | CmpLt | CmpLte | CmpGt | CmpGte => self.gen_cmp(tag, a, b),
            Not | Neg | Sqrt | Floor | Ceil | TruncFloat | Round | Fabs | Clz | Ctz | Popcount
            | ByteSwap | BitReverse => self.gen_unary(tag, ty, a),
            Intcast | Trunc | Fpext | Fptrunc | IntToFloat | FloatToInt | Bitcast | PtrToInt
            | IntToPtr | BoolToInt => self.gen_cast(inst, tag, ty, a),
            WasmMemorySize => {
                if data.a != 0 {
                    return Err(self.unsupported("memories other than memory 0"));
                }
                self.op(MirTag::MemorySize);
                let vt = self.pool.ptr_valtype();
                Ok(self.store_result(vt))
            }
            WasmMemoryGrow => {
                if data.a != 0 {
                    return Err(self.unsupported("memories other than memory 0"));
                }
                self.emit_ref(b)?;
                self.op(MirTag::MemoryGrow);
                let vt = self.pool.ptr_valtype();
                Ok(self.store_result(vt))
            }
            AddWithOverflow | SubWithOverflow | MulWithOverflow | ShlWithOverflow => {
                self.gen_with_overflow(tag, ty, a, b)
            }
            _ => self.gen_aggregate(inst, tag, data, ty),
        }
    }

    fn gen_binary(&mut self, tag: Tag, ty: TypeId, a: Ref, b: Ref) -> Result<WValue, Error> {
        let oty = self.type_of(a);
        if let Some(f) = self.float_type(oty) {
            return self.gen_float_binary(tag, f, oty, a, b);
        }
        if self.is_wide_int(oty) {
            return self.wide_binary(tag, a, b);
        }
        let Some(r) = self.int_repr(oty) else {
            return Err(self.unsupported(format!("`{}` on `{}`", tag.name(), self.ty_name(oty))));
        };
        let _ = ty;
        use Tag::*;
        let s = r.signed;
        let simple = |t32: MirTag, t64: MirTag| pick(r, t32, t64);
        let (op, wrap) = match tag {
            Add => (simple(MirTag::I32Add, MirTag::I64Add), false),
            Sub => (simple(MirTag::I32Sub, MirTag::I64Sub), false),
            Mul => (simple(MirTag::I32Mul, MirTag::I64Mul), false),
            AddWrap => (simple(MirTag::I32Add, MirTag::I64Add), true),
            SubWrap => (simple(MirTag::I32Sub, MirTag::I64Sub), true),
            MulWrap => (simple(MirTag::I32Mul, MirTag::I64Mul), true),
            DivTrunc | DivExact => (
                if s {
                    simple(MirTag::I32DivS, MirTag::I64DivS)
                } else {
                    simple(MirTag::I32DivU, MirTag::I64DivU)
                },
                false,
            ),
            Rem => (
                if s {
                    simple(MirTag::I32RemS, MirTag::I64RemS)
                } else {
                    simple(MirTag::I32RemU, MirTag::I64RemU)
                },
                false,
            ),
            DivFloor if !s => (simple(MirTag::I32DivU, MirTag::I64DivU), false),
            Mod if !s => (simple(MirTag::I32RemU, MirTag::I64RemU), false),
            BitAnd | BoolAnd => (simple(MirTag::I32And, MirTag::I64And), false),
            BitOr | BoolOr => (simple(MirTag::I32Or, MirTag::I64Or), false),
            Xor => (simple(MirTag::I32Xor, MirTag::I64Xor), false),
            Shl | ShlExact | Shr | ShrExact => {
                self.emit_ref(a)?;
                self.emit_shift_amount(r, b)?;
                let op = match tag {
                    Shl | ShlExact => simple(MirTag::I32Shl, MirTag::I64Shl),
                    _ if s => simple(MirTag::I32ShrS, MirTag::I64ShrS),
                    _ => simple(MirTag::I32ShrU, MirTag::I64ShrU),
                };
                self.op(op);
                if tag == Shl {
                    self.normalize(r);
                }
                return Ok(self.store_result(r.vt));
            }
            DivFloor => return self.gen_div_floor(r, a, b),
            Mod => return self.gen_mod(r, a, b),
            Min | Max => return self.gen_int_minmax(tag == Min, r, a, b),
            AddSat | SubSat => return self.gen_add_sub_sat(tag == AddSat, r, a, b),
            MulSat => return self.gen_mul_sat(r, a, b),
            ShlSat => return self.gen_shl_sat(r, a, b),
            _ => {
                return Err(self.unsupported(format!(
                    "`{}` on `{}`",
                    tag.name(),
                    self.ty_name(oty)
                )))
            }
        };
        self.emit_ref(a)?;
        self.emit_ref(b)?;
        self.op(op);
        if wrap {
            self.normalize(r);
        }
        Ok(self.store_result(r.vt))
    }

    fn gen_float_binary(
        &mut self,
        tag: Tag,
        f: FloatType,
        ty: TypeId,
        a: Ref,
        b: Ref,
    ) -> Result<WValue, Error> {
        let d = match f {
            FloatType::F32 | FloatType::F16 => false,
            FloatType::F64 => true,
            _ => {
                return Err(self.unsupported(format!("`{}` on `{}`", tag.name(), self.ty_name(ty))))
            }
        };
        let half = f == FloatType::F16;
        let vt = if d { ValType::F64 } else { ValType::F32 };
        let p = |t32: MirTag, t64: MirTag| if d { t64 } else { t32 };
        let op = match tag {
            Tag::Add => p(MirTag::F32Add, MirTag::F64Add),
            Tag::Sub => p(MirTag::F32Sub, MirTag::F64Sub),
            Tag::Mul => p(MirTag::F32Mul, MirTag::F64Mul),
            Tag::DivFloat => p(MirTag::F32Div, MirTag::F64Div),
            Tag::DivTrunc | Tag::DivFloor => {
                self.emit_ref(a)?;
                self.emit_ref(b)?;
                self.op(p(MirTag::F32Div, MirTag::F64Div));
                if half {
                    self.f16_round_f32()?;
                }
                self.op(if tag == Tag::DivTrunc {
                    p(MirTag::F32Trunc, MirTag::F64Trunc)
                } else {
                    p(MirTag::F32Floor, MirTag::F64Floor)
                });
                return Ok(self.store_result(vt));
            }
            Tag::Min | Tag::Max => {
                // Zig semantics: a NaN operand yields the other operand.
                let la = self.local_of(a, vt)?;
                let lb = self.local_of(b, vt)?;
                let (eq, minmax) = (
                    p(MirTag::F32Ne, MirTag::F64Ne),
                    if tag == Tag::Min {
                        p(MirTag::F32Min, MirTag::F64Min)
                    } else {
                        p(MirTag::F32Max, MirTag::F64Max)
                    },
                );
                // select(b, select(a, minmax(a,b), b is NaN), a is NaN)
                self.local_get(lb.0);
                self.local_get(la.0);
                self.local_get(la.0);
                self.local_get(lb.0);
                self.op(minmax);
                self.local_get(lb.0);
                self.local_get(lb.0);
                self.op(eq);
                self.op(MirTag::Select);
                self.local_get(la.0);
                self.local_get(la.0);
                self.op(eq);
                self.op(MirTag::Select);
                self.release(lb);
                self.release(la);
                return Ok(self.store_result(vt));
            }
            _ => {
                return Err(self.unsupported(format!("`{}` on `{}`", tag.name(), self.ty_name(ty))))
            }
        };
        self.emit_ref(a)?;
        self.emit_ref(b)?;
        self.op(op);
        if half {
            self.f16_round_f32()?;
        }
        Ok(self.store_result(vt))
    }

    fn gen_div_floor(&mut self, r: IntRepr, a: Ref, b: Ref) -> Result<WValue, Error> {
        // q = a / b; if (a % b != 0 && (a ^ b) < 0) q -= 1
        let la = self.local_of(a, r.vt)?;
        let lb = self.local_of(b, r.vt)?;
        self.local_get(la.0);
        self.local_get(lb.0);
        self.op(pick(r, MirTag::I32DivS, MirTag::I64DivS));
        self.local_get(la.0);
        self.local_get(lb.0);
        self.op(pick(r, MirTag::I32RemS, MirTag::I64RemS));
        self.int_const(r, 0);
        self.op(pick(r, MirTag::I32Ne, MirTag::I64Ne));
        self.local_get(la.0);
        self.local_get(lb.0);
        self.op(pick(r, MirTag::I32Xor, MirTag::I64Xor));
        self.int_const(r, 0);
        self.op(pick(r, MirTag::I32LtS, MirTag::I64LtS));
        self.op(MirTag::I32And);
        if r.is64() {
            self.op(MirTag::I64ExtendI32U);
        }
        self.op(pick(r, MirTag::I32Sub, MirTag::I64Sub));
        self.release(lb);
        self.release(la);
        Ok(self.store_result(r.vt))
    }

    fn gen_mod(&mut self, r: IntRepr, a: Ref, b: Ref) -> Result<WValue, Error> {
        // m = a % b; if (m != 0 && (m ^ b) < 0) m += b
        let lb = self.local_of(b, r.vt)?;
        self.emit_ref(a)?;
        self.local_get(lb.0);
        self.op(pick(r, MirTag::I32RemS, MirTag::I64RemS));
        let m = self.alloc_local(r.vt);
        self.local_tee(m);
        self.local_get(lb.0);
        self.op(pick(r, MirTag::I32Add, MirTag::I64Add));
        self.local_get(m);
        self.local_get(m);
        self.int_const(r, 0);
        self.op(pick(r, MirTag::I32Ne, MirTag::I64Ne));
        self.local_get(m);
        self.local_get(lb.0);
        self.op(pick(r, MirTag::I32Xor, MirTag::I64Xor));
        self.int_const(r, 0);
        self.op(pick(r, MirTag::I32LtS, MirTag::I64LtS));
        self.op(MirTag::I32And);
        self.op(MirTag::Select);
        self.free_local(m);
        self.release(lb);
        Ok(self.store_result(r.vt))
    }

    fn gen_int_minmax(&mut self, min: bool, r: IntRepr, a: Ref, b: Ref) -> Result<WValue, Error> {
        let la = self.local_of(a, r.vt)?;
        let lb = self.local_of(b, r.vt)?;
        self.local_get(la.0);
        self.local_get(lb.0);
        self.local_get(la.0);
        self.local_get(lb.0);
        let cmp = match (min, r.signed) {
            (true, true) => pick(r, MirTag::I32LtS, MirTag::I64LtS),
            (true, false) => pick(r, MirTag::I32LtU, MirTag::I64LtU),
            (false, true) => pick(r, MirTag::I32GtS, MirTag::I64GtS),
            (false, false) => pick(r, MirTag::I32GtU, MirTag::I64GtU),
        };
        self.op(cmp);
        self.op(MirTag::Select);
        self.release(lb);
        self.release(la);
        Ok(self.store_result(r.vt))
    }

    /// Clamps the value in local `v` (exact, in the container) to the range of `r`.
    pub(crate) fn clamp_local(&mut self, r: IntRepr, v: u32) {
        let (max, min) = (Self::int_max(r), Self::int_min(r));
        let (gt, lt) = if r.signed {
            (
                pick(r, MirTag::I32GtS, MirTag::I64GtS),
                pick(r, MirTag::I32LtS, MirTag::I64LtS),
            )
        } else {
            (
                pick(r, MirTag::I32GtU, MirTag::I64GtU),
                pick(r, MirTag::I32LtU, MirTag::I64LtU),
            )
        };
        // v = v > max ? max : v
        self.int_const(r, max);
        self.local_get(v);
        self.local_get(v);
        self.int_const(r, max);
        self.op(gt);
        self.op(MirTag::Select);
        self.local_set(v);
        if r.signed {
            self.int_const(r, min);
            self.local_get(v);
            self.local_get(v);
            self.int_const(r, min);
            self.op(lt);
            self.op(MirTag::Select);
            self.local_set(v);
        }
    }

    fn gen_add_sub_sat(&mut self, add: bool, r: IntRepr, a: Ref, b: Ref) -> Result<WValue, Error> {
        let la = self.local_of(a, r.vt)?;
        let lb = self.local_of(b, r.vt)?;
        let res = self.alloc_local(r.vt);
        let opt = if add {
            pick(r, MirTag::I32Add, MirTag::I64Add)
        } else {
            pick(r, MirTag::I32Sub, MirTag::I64Sub)
        };
        self.local_get(la.0);
        self.local_get(lb.0);
        self.op(opt);
        self.local_set(res);
        let full = r.bits == r.container_bits();
        if !r.signed {
            if add {
                // Overflow: (full width) res < a, (narrow) res > max.
                if full {
                    self.int_const(r, -1);
                    self.local_get(res);
                    self.local_get(res);
                    self.local_get(la.0);
                    self.op(pick(r, MirTag::I32LtU, MirTag::I64LtU));
                    self.op(MirTag::Select);
                    self.local_set(res);
                } else {
                    self.clamp_local(r, res);
                }
            } else {
                // a < b → 0
                self.int_const(r, 0);
                self.local_get(res);
                self.local_get(la.0);
                self.local_get(lb.0);
                self.op(pick(r, MirTag::I32LtU, MirTag::I64LtU));
                self.op(MirTag::Select);
                self.local_set(res);
            }
        } else if !full {
            self.clamp_local(r, res);
        } else {
            // sat = (a >> (N-1)) ^ max; overflow = add ? ((a^res)&(b^res)) < 0 : ((a^b)&(a^res)) < 0
            let n = r.container_bits() as i64;
            self.local_get(la.0);
            self.int_const(r, n - 1);
            self.op(pick(r, MirTag::I32ShrS, MirTag::I64ShrS));
            self.int_const(r, Self::int_max(r));
            self.op(pick(r, MirTag::I32Xor, MirTag::I64Xor));
            self.local_get(res);
            let xor = pick(r, MirTag::I32Xor, MirTag::I64Xor);
            if add {
                self.local_get(la.0);
                self.local_get(res);
                self.op(xor);
                self.local_get(lb.0);
                self.local_get(res);
                self.op(xor);
            } else {
                self.local_get(la.0);
                self.local_get(lb.0);
                self.op(xor);
                self.local_get(la.0);
                self.local_get(res);
                self.op(xor);
            }
            self.op(pick(r, MirTag::I32And, MirTag::I64And));
            self.int_const(r, 0);
            self.op(pick(r, MirTag::I32LtS, MirTag::I64LtS));
            self.op(MirTag::Select);
            self.local_set(res);
        }
        self.release(lb);
        self.release(la);
        Ok(WValue::Local(res))
    }

    fn gen_mul_sat(&mut self, r: IntRepr, a: Ref, b: Ref) -> Result<WValue, Error> {
        if !r.is64() {
            // Exact product in i64, clamped, wrapped back.
            let ext = if r.signed {
                MirTag::I64ExtendI32S
            } else {
                MirTag::I64ExtendI32U
            };
            self.emit_ref(a)?;
            self.op(ext);
            self.emit_ref(b)?;
            self.op(ext);
            self.op(MirTag::I64Mul);
            let wide = IntRepr {
                signed: r.signed,
                bits: r.bits,
                vt: ValType::I64,
            };
            let t = self.alloc_local(ValType::I64);
            self.local_set(t);
            if r.signed || r.bits < 64 {
                self.clamp_local(wide, t);
            }
            self.local_get(t);
            self.free_local(t);
            self.op(MirTag::I32WrapI64);
            return Ok(self.store_result(ValType::I32));
        }
        // 64-bit container: detect 64-bit overflow by division, then clamp to the width.
        let la = self.local_of(a, ValType::I64)?;
        let lb = self.local_of(b, ValType::I64)?;
        let p = self.alloc_local(ValType::I64);
        let ovf = self.alloc_local(ValType::I32);
        self.local_get(la.0);
        self.local_get(lb.0);
        self.op(MirTag::I64Mul);
        self.local_set(p);
        if r.signed {
            // d = (a == 0 || a == -1) ? 1 : a; ovf = (a == -1 && b == MIN) || (a not in {0,-1} && p / d != b)
            let d = self.alloc_local(ValType::I64);
            self.i64_const(1);
            self.local_get(la.0);
            self.local_get(la.0);
            self.i64_const(1);
            self.op(MirTag::I64Add);
            self.i64_const(1);
            self.op(MirTag::I64LeU); // a+1 <= 1  <=> a in {-1, 0}
            self.op(MirTag::Select);
            self.local_set(d);
            self.local_get(la.0);
            self.i64_const(-1);
            self.op(MirTag::I64Eq);
            self.local_get(lb.0);
            self.i64_const(i64::MIN);
            self.op(MirTag::I64Eq);
            self.op(MirTag::I32And);
            self.local_get(p);
            self.local_get(d);
            self.op(MirTag::I64DivS);
            self.local_get(lb.0);
            self.op(MirTag::I64Ne);
            self.local_get(la.0);
            self.i64_const(1);
            self.op(MirTag::I64Add);
            self.i64_const(1);
            self.op(MirTag::I64GtU); // a not in {-1, 0}
            self.op(MirTag::I32And);
            self.op(MirTag::I32Or);
            self.local_set(ovf);
            self.free_local(d);
            if r.bits < 64 {
                self.clamp_local(r, p);
            }
            // sat = ((a ^ b) < 0) ? MIN : MAX
            self.int_const(r, Self::int_min(r));
            self.int_const(r, Self::int_max(r));
            self.local_get(la.0);
            self.local_get(lb.0);
            self.op(MirTag::I64Xor);
            self.i64_const(0);
            self.op(MirTag::I64LtS);
            self.op(MirTag::Select);
        } else {
            // ovf = a != 0 && p / a != b
            let d = self.alloc_local(ValType::I64);
            self.i64_const(1);
            self.local_get(la.0);
            self.local_get(la.0);
            self.op(MirTag::I64Eqz);
            self.op(MirTag::Select);
            self.local_set(d);
            self.local_get(p);
            self.local_get(d);
            self.op(MirTag::I64DivU);
            self.local_get(lb.0);
            self.op(MirTag::I64Ne);
            self.local_get(la.0);
            self.op(MirTag::I64Eqz);
            self.op(MirTag::I32Eqz);
            self.op(MirTag::I32And);
            self.local_set(ovf);
            self.free_local(d);
            if r.bits < 64 {
                self.clamp_local(r, p);
            }
            self.int_const(r, Self::int_max(r));
        }
        // select(sat, p, ovf)
        self.local_get(p);
        self.local_get(ovf);
        self.op(MirTag::Select);
        self.free_local(ovf);
        self.free_local(p);
        self.release(lb);
        self.release(la);
        Ok(self.store_result(ValType::I64))
    }

    fn gen_shl_sat(&mut self, r: IntRepr, a: Ref, b: Ref) -> Result<WValue, Error> {
        // w = normalize(a << s); overflow = (w >> s) != a; result = overflow ? sat : w
        let la = self.local_of(a, r.vt)?;
        let s = self.alloc_local(r.vt);
        self.emit_shift_amount(r, b)?;
        self.local_set(s);
        let w = self.alloc_local(r.vt);
        self.local_get(la.0);
        self.local_get(s);
        self.op(pick(r, MirTag::I32Shl, MirTag::I64Shl));
        self.normalize(r);
        self.local_set(w);
        if r.signed {
            // sat = a < 0 ? MIN : MAX
            self.int_const(r, Self::int_min(r));
            self.int_const(r, Self::int_max(r));
            self.local_get(la.0);
            self.int_const(r, 0);
            self.op(pick(r, MirTag::I32LtS, MirTag::I64LtS));
            self.op(MirTag::Select);
        } else {
            self.int_const(r, Self::int_max(r));
        }
        self.local_get(w);
        self.local_get(w);
        self.local_get(s);
        self.op(if r.signed {
            pick(r, MirTag::I32ShrS, MirTag::I64ShrS)
        } else {
            pick(r, MirTag::I32ShrU, MirTag::I64ShrU)
        });
        self.local_get(la.0);
        self.op(pick(r, MirTag::I32Ne, MirTag::I64Ne));
        self.op(MirTag::Select);
        self.free_local(w);
        self.free_local(s);
        self.release(la);
        Ok(self.store_result(r.vt))
    }

    fn gen_cmp(&mut self, tag: Tag, a: Ref, b: Ref) -> Result<WValue, Error> {
        let ty = self.type_of(a);
        use MirTag as M;
        if self.is_wide_int(ty) {
            return self.wide_cmp(tag, a, b);
        }
        let op = if let Some(f) = self.float_type(ty) {
            let d = match f {
                FloatType::F32 | FloatType::F16 => false,
                FloatType::F64 => true,
                _ => {
                    return Err(self.unsupported(format!(
                        "`{}` on `{}`",
                        tag.name(),
                        self.ty_name(ty)
                    )))
                }
            };
            let p = |x: MirTag, y: MirTag| if d { y } else { x };
            match tag {
                Tag::CmpEq => p(M::F32Eq, M::F64Eq),
                Tag::CmpNeq => p(M::F32Ne, M::F64Ne),
                Tag::CmpLt => p(M::F32Lt, M::F64Lt),
                Tag::CmpLte => p(M::F32Le, M::F64Le),
                Tag::CmpGt => p(M::F32Gt, M::F64Gt),
                _ => p(M::F32Ge, M::F64Ge),
            }
        } else {
            let Some(r) = self.int_repr(ty) else {
                return Err(self.unsupported(format!(
                    "`{}` on `{}`",
                    tag.name(),
                    self.ty_name(ty)
                )));
            };
            let s = r.signed;
            let p = |x: MirTag, y: MirTag| pick(r, x, y);
            match tag {
                Tag::CmpEq => p(M::I32Eq, M::I64Eq),
                Tag::CmpNeq => p(M::I32Ne, M::I64Ne),
                Tag::CmpLt if s => p(M::I32LtS, M::I64LtS),
                Tag::CmpLt => p(M::I32LtU, M::I64LtU),
                Tag::CmpLte if s => p(M::I32LeS, M::I64LeS),
                Tag::CmpLte => p(M::I32LeU, M::I64LeU),
                Tag::CmpGt if s => p(M::I32GtS, M::I64GtS),
                Tag::CmpGt => p(M::I32GtU, M::I64GtU),
                Tag::CmpGte if s => p(M::I32GeS, M::I64GeS),
                _ => p(M::I32GeU, M::I64GeU),
            }
        };
        self.emit_ref(a)?;
        self.emit_ref(b)?;
        self.op(op);
        Ok(self.store_result(ValType::I32))
    }

    fn gen_unary(&mut self, tag: Tag, _ty: TypeId, a: Ref) -> Result<WValue, Error> {
        let oty = self.type_of(a);
        use MirTag as M;
        if self.is_wide_int(oty) {
            return self.wide_unary(tag, a);
        }
        if let Some(f) = self.float_type(oty) {
            let d = match f {
                FloatType::F32 | FloatType::F16 => false,
                FloatType::F64 => true,
                _ => {
                    return Err(self.unsupported(format!(
                        "`{}` on `{}`",
                        tag.name(),
                        self.ty_name(oty)
                    )))
                }
            };
            let vt = if d { ValType::F64 } else { ValType::F32 };
            let p = |x: MirTag, y: MirTag| if d { y } else { x };
            let op = match tag {
                Tag::Neg => p(M::F32Neg, M::F64Neg),
                Tag::Sqrt => p(M::F32Sqrt, M::F64Sqrt),
                Tag::Floor => p(M::F32Floor, M::F64Floor),
                Tag::Ceil => p(M::F32Ceil, M::F64Ceil),
                Tag::TruncFloat => p(M::F32Trunc, M::F64Trunc),
                Tag::Fabs => p(M::F32Abs, M::F64Abs),
                Tag::Round => {
                    // Half away from zero: t = trunc(x); t + (|x - t| >= 0.5 ? copysign(1, x) : 0)
                    let lx = self.local_of(a, vt)?;
                    let t = self.alloc_local(vt);
                    self.local_get(lx.0);
                    self.op(p(M::F32Trunc, M::F64Trunc));
                    self.local_tee(t);
                    self.emit_fconst(d, 1.0);
                    self.local_get(lx.0);
                    self.op(p(M::F32Copysign, M::F64Copysign));
                    // A signed zero keeps the sign of -0.0 and of -0.3 rounded.
                    self.emit_fconst(d, 0.0);
                    self.local_get(lx.0);
                    self.op(p(M::F32Copysign, M::F64Copysign));
                    self.local_get(lx.0);
                    self.local_get(t);
                    self.op(p(M::F32Sub, M::F64Sub));
                    self.op(p(M::F32Abs, M::F64Abs));
                    self.emit_fconst(d, 0.5);
                    self.op(p(M::F32Ge, M::F64Ge));
                    self.op(M::Select);
                    self.op(p(M::F32Add, M::F64Add));
                    self.free_local(t);
                    self.release(lx);
                    return Ok(self.store_result(vt));
                }
                _ => {
                    return Err(self.unsupported(format!(
                        "`{}` on `{}`",
                        tag.name(),
                        self.ty_name(oty)
                    )))
                }
            };
            self.emit_ref(a)?;
            self.op(op);
            if f == FloatType::F16 && tag == Tag::Sqrt {
                self.f16_round_f32()?;
            }
            return Ok(self.store_result(vt));
        }
        let Some(r) = self.int_repr(oty) else {
            return Err(self.unsupported(format!("`{}` on `{}`", tag.name(), self.ty_name(oty))));
        };
        let p = |x: MirTag, y: MirTag| pick(r, x, y);
        let cb = r.container_bits();
        match tag {
            Tag::Not => {
                self.emit_ref(a)?;
                if matches!(self.pool.key(oty), TypeKey::Bool) {
                    self.op(M::I32Eqz);
                } else {
                    self.int_const(r, -1);
                    self.op(p(M::I32Xor, M::I64Xor));
                    self.normalize(r);
                }
            }
            Tag::Clz => {
                // clz of the value's bits: mask to width, clz, minus the unused high bits.
                self.emit_ref(a)?;
                self.mask_to_width(r);
                self.op(p(M::I32Clz, M::I64Clz));
                if cb > r.bits {
                    self.int_const(r, (cb - r.bits) as i64);
                    self.op(p(M::I32Sub, M::I64Sub));
                }
            }
            Tag::Ctz => {
                self.emit_ref(a)?;
                if cb > r.bits {
                    // A stop bit at position `bits` makes ctz(0) = bits.
                    self.int_const(r, (1u64 << r.bits) as i64);
                    self.op(p(M::I32Or, M::I64Or));
                }
                self.op(p(M::I32Ctz, M::I64Ctz));
            }
            Tag::Popcount => {
                self.emit_ref(a)?;
                self.mask_to_width(r);
                self.op(p(M::I32Popcnt, M::I64Popcnt));
            }
            Tag::ByteSwap => {
                if r.bits % 8 != 0 {
                    return Err(self.err(format!(
                        "`byte_swap` needs a whole number of bytes, not `{}`",
                        self.ty_name(oty)
                    )));
                }
                self.emit_ref(a)?;
                self.mask_to_width(r);
                self.emit_bswap(r.is64());
                if cb > r.bits {
                    self.int_const(r, (cb - r.bits) as i64);
                    self.op(p(M::I32ShrU, M::I64ShrU));
                }
                self.normalize(r);
            }
            Tag::BitReverse => {
                self.emit_ref(a)?;
                self.mask_to_width(r);
                self.emit_bit_reverse(r.is64());
                if cb > r.bits {
                    self.int_const(r, (cb - r.bits) as i64);
                    self.op(p(M::I32ShrU, M::I64ShrU));
                }
                self.normalize(r);
            }
            _ => {
                return Err(self.unsupported(format!(
                    "`{}` on `{}`",
                    tag.name(),
                    self.ty_name(oty)
                )))
            }
        }
        // A count has the operand's type and may not fit its positive range: clz of the `i1` 0
        // is 1, which is -1 as an `i1` (only `i1` and `i2`: from `i3` on, `bits` fits), so it
        // is held sign-extended like every value of the type.
        if r.signed && r.bits <= 2 && matches!(tag, Tag::Clz | Tag::Ctz | Tag::Popcount) {
            self.normalize(r);
        }
        Ok(self.store_result(r.vt))
    }

    pub(crate) fn emit_fconst(&mut self, d: bool, v: f64) {
        if d {
            let b = v.to_bits();
            self.mir.push(
                MirTag::F64Const,
                MirData {
                    a: b as u32,
                    b: (b >> 32) as u32,
                },
            );
        } else {
            self.op_a(MirTag::F32Const, (v as f32).to_bits());
        }
    }

    /// Clears the bits above the width (signed values are sign-extended in the container).
    fn mask_to_width(&mut self, r: IntRepr) {
        if r.signed && r.bits < r.container_bits() {
            self.normalize(IntRepr { signed: false, ..r });
        }
    }

    /// Reverses the bytes of the container on top of the stack.
    pub(crate) fn emit_bswap(&mut self, wide: bool) {
        let t = self.alloc_local(if wide { ValType::I64 } else { ValType::I32 });
        self.local_set(t);
        if !wide {
            // rotl(x & 0x00ff00ff, 24) | rotl(x & 0xff00ff00, 8)
            self.local_get(t);
            self.i32_const(0x00ff00ff);
            self.op(MirTag::I32And);
            self.i32_const(24);
            self.op(MirTag::I32Rotl);
            self.local_get(t);
            self.i32_const(0xff00ff00u32 as i32);
            self.op(MirTag::I32And);
            self.i32_const(8);
            self.op(MirTag::I32Rotl);
            self.op(MirTag::I32Or);
        } else {
            // Swap adjacent bytes, then 16-bit halves, then 32-bit halves.
            let steps: [(i64, i64); 3] = [
                (0x00ff00ff00ff00ff, 8),
                (0x0000ffff0000ffff, 16),
                (0x00000000ffffffff, 32),
            ];
            for (mask, sh) in steps {
                self.local_get(t);
                self.i64_const(sh);
                self.op(MirTag::I64ShrU);
                self.i64_const(mask);
                self.op(MirTag::I64And);
                self.local_get(t);
                self.i64_const(mask);
                self.op(MirTag::I64And);
                self.i64_const(sh);
                self.op(MirTag::I64Shl);
                self.op(MirTag::I64Or);
                self.local_set(t);
            }
            self.local_get(t);
        }
        self.free_local(t);
    }

    /// Reverses the bits of the container on top of the stack.
    pub(crate) fn emit_bit_reverse(&mut self, wide: bool) {
        let vt = if wide { ValType::I64 } else { ValType::I32 };
        let t = self.alloc_local(vt);
        self.local_set(t);
        let steps: [(u64, u32); 3] = [
            (0x5555555555555555, 1),
            (0x3333333333333333, 2),
            (0x0f0f0f0f0f0f0f0f, 4),
        ];
        for (mask, sh) in steps {
            let r = IntRepr {
                signed: false,
                bits: if wide { 64 } else { 32 },
                vt,
            };
            let p = |x: MirTag, y: MirTag| pick(r, x, y);
            self.local_get(t);
            self.int_const(r, sh as i64);
            self.op(p(MirTag::I32ShrU, MirTag::I64ShrU));
            self.int_const(r, mask as i64);
            self.op(p(MirTag::I32And, MirTag::I64And));
            self.local_get(t);
            self.int_const(r, mask as i64);
            self.op(p(MirTag::I32And, MirTag::I64And));
            self.int_const(r, sh as i64);
            self.op(p(MirTag::I32Shl, MirTag::I64Shl));
            self.op(p(MirTag::I32Or, MirTag::I64Or));
            self.local_set(t);
        }
        self.local_get(t);
        self.free_local(t);
        self.emit_bswap(wide);
    }

    fn gen_cast(&mut self, inst: u32, tag: Tag, ty: TypeId, a: Ref) -> Result<WValue, Error> {
        let from = self.type_of(a);
        use MirTag as M;
        let (ff, tf) = (self.float_type(from), self.float_type(ty));
        let unsupported = |s: &Self| {
            Err(s.unsupported(format!(
                "`{}` from `{}` to `{}`",
                tag.name(),
                s.ty_name(from),
                s.ty_name(ty)
            )))
        };
        if !self.pool.has_runtime_bits(ty) {
            return Ok(WValue::None);
        }
        if self.is_wide_int(from) || self.is_wide_int(ty) {
            return self.wide_cast(tag, ty, a);
        }
        if matches!(ff, Some(FloatType::F80 | FloatType::F128))
            || matches!(tf, Some(FloatType::F80 | FloatType::F128))
        {
            return unsupported(self);
        }
        // f16 values are f32s holding an f16 value.
        let to_half = tf == Some(FloatType::F16);
        let (ff, tf) = (
            ff.map(|f| {
                if f == FloatType::F16 {
                    FloatType::F32
                } else {
                    f
                }
            }),
            tf,
        );
        match tag {
            Tag::Fpext | Tag::Fptrunc => {
                self.emit_ref(a)?;
                match (ff, tf) {
                    (Some(FloatType::F32), Some(FloatType::F64)) => self.op(M::F64PromoteF32),
                    (Some(FloatType::F64), Some(FloatType::F32)) => self.op(M::F32DemoteF64),
                    (Some(FloatType::F64), Some(FloatType::F16)) => self.f16_round_f64()?,
                    (Some(FloatType::F32), Some(FloatType::F16)) => {
                        if self.float_type(from) != Some(FloatType::F16) {
                            self.f16_round_f32()?
                        }
                    }
                    (Some(x), Some(y)) if x == y => {}
                    _ => return unsupported(self),
                }
                let vt = self.pool.valtype(ty).expect("float");
                return Ok(self.store_result(vt));
            }
            Tag::IntToFloat => {
                let (Some(r), Some(t)) = (self.int_repr(from), tf) else {
                    return unsupported(self);
                };
                self.emit_ref(a)?;
                let t = if to_half { FloatType::F64 } else { t };
                let op = match (t, r.is64(), r.signed) {
                    (FloatType::F32, false, true) => M::F32ConvertI32S,
                    (FloatType::F32, false, false) => M::F32ConvertI32U,
                    (FloatType::F32, true, true) => M::F32ConvertI64S,
                    (FloatType::F32, true, false) => M::F32ConvertI64U,
                    (_, false, true) => M::F64ConvertI32S,
                    (_, false, false) => M::F64ConvertI32U,
                    (_, true, true) => M::F64ConvertI64S,
                    (_, true, false) => M::F64ConvertI64U,
                };
                self.op(op);
                if to_half {
                    self.f16_round_f64()?;
                }
                let vt = self.pool.valtype(ty).expect("float");
                return Ok(self.store_result(vt));
            }
            Tag::FloatToInt => {
                let (Some(f), Some(r)) = (ff, self.int_repr(ty)) else {
                    return unsupported(self);
                };
                self.emit_ref(a)?;
                let op = match (f, r.is64(), r.signed) {
                    (FloatType::F32, false, true) => M::I32TruncF32S,
                    (FloatType::F32, false, false) => M::I32TruncF32U,
                    (FloatType::F32, true, true) => M::I64TruncF32S,
                    (FloatType::F32, true, false) => M::I64TruncF32U,
                    (_, false, true) => M::I32TruncF64S,
                    (_, false, false) => M::I32TruncF64U,
                    (_, true, true) => M::I64TruncF64S,
                    (_, true, false) => M::I64TruncF64U,
                };
                self.op(op);
                return Ok(self.store_result(r.vt));
            }
            Tag::Bitcast if ff.is_some() || tf.is_some() => {
                self.emit_ref(a)?;
                let half_from = self.float_type(from) == Some(FloatType::F16);
                match (ff, tf) {
                    (Some(FloatType::F32), None) if half_from => self.f32_to_f16_bits()?,
                    (None, Some(FloatType::F16)) => self.f16_bits_to_f32()?,
                    (Some(_), Some(FloatType::F16)) => {}
                    (Some(FloatType::F32), None) => self.op(M::I32ReinterpretF32),
                    (Some(FloatType::F64), None) => self.op(M::I64ReinterpretF64),
                    (None, Some(FloatType::F32)) => self.op(M::F32ReinterpretI32),
                    (None, Some(FloatType::F64)) => self.op(M::F64ReinterpretI64),
                    (Some(x), Some(y)) if x == y => {}
                    _ => return unsupported(self),
                }
                if let (true, Some(r)) = (half_from, self.int_repr(ty)) {
                    self.normalize(r);
                }
                let vt = self.pool.valtype(ty).expect("has bits");
                return Ok(self.store_result(vt));
            }
            _ => {}
        }
        // Integer-like to integer-like.
        let (Some(rf), Some(rt)) = (self.int_repr(from), self.int_repr(ty)) else {
            return unsupported(self);
        };
        // The same bits in the same container (a pointer bitcast, `ptrtoint`, a widening
        // `intcast`, ...): the result is the operand's place.
        let keeps_bits = !matches!(tag, Tag::Trunc | Tag::Bitcast)
            || rt.bits >= rt.container_bits()
            || (rf.signed == rt.signed && rf.bits <= rt.bits);
        if rf.is64() == rt.is64() && keeps_bits {
            if let Some(w) = self.reuse_operand(inst, a)? {
                return Ok(w);
            }
        }
        self.emit_ref(a)?;
        match (rf.is64(), rt.is64()) {
            (false, true) => self.op(if rf.signed {
                M::I64ExtendI32S
            } else {
                M::I64ExtendI32U
            }),
            (true, false) => self.op(M::I32WrapI64),
            _ => {}
        }
        // Values that fit need no change (intcast); others keep their low bits (trunc, bitcast).
        if matches!(tag, Tag::Trunc | Tag::Bitcast) {
            self.normalize(rt);
        }
        Ok(self.store_result(rt.vt))
    }

    // ---- switch_br --------------------------------------------------------------------------

    fn case_value(&self, raw: u32) -> Result<i64, Error> {
        let Some(c) = self.air.constant(Ref(raw)) else {
            return Err(self.err("switch case values must be constants"));
        };
        let v = match &c.value {
            Value::Int(i) => i.clone(),
            Value::Bool(b) => Int::from_i128(*b as i128),
            Value::EnumLiteral(n) => match self.pool.key(c.ty) {
                TypeKey::Enum { fields, .. } => match fields.iter().find(|f| f.name == *n) {
                    Some(f) => f.value.clone(),
                    None => return Err(self.err("unknown enum value in switch case")),
                },
                _ => return Err(self.err("enum literal case on a non-enum")),
            },
            Value::Error(n) => {
                let n = *n;
                Int::from_i128(
                    self.pool
                        .error_names()
                        .position(|e| e == n)
                        .map(|p| p as i128 + 1)
                        .unwrap_or(0),
                )
            }
            _ => return Err(self.err("unsupported switch case value")),
        };
        // Values compare in the container: wrap to 64 bits (signed interpretation is kept by
        // the normalized form).
        Ok(v.to_u64_wrapping() as i64)
    }

    pub(crate) fn gen_switch(&mut self, inst: u32) -> Result<(), Error> {
        let operand = Ref(self.air.data[inst as usize].a);
        let oty = self.type_of(operand);
        if self.is_wide_int(oty) {
            return self.wide_switch(inst);
        }
        if !self.pool.has_runtime_bits(oty) {
            // The one value is 0: the case naming it runs.
            let sw = self.air.switch_br(inst);
            for c in &sw.cases {
                let mut hit = false;
                for &i in c.items {
                    hit |= self.case_value(i)? == 0;
                }
                for pair in c.ranges.chunks(2) {
                    hit |= self.case_value(pair[0])? <= 0
                        && self.case_value(pair[pair.len() - 1])? >= 0;
                }
                if hit {
                    return self.gen_body(c.body);
                }
            }
            return match sw.else_body {
                Some(b) => self.gen_body(b),
                None => {
                    self.op(MirTag::Unreachable);
                    Ok(())
                }
            };
        }
        let Some(r) = self.int_repr(oty) else {
            return Err(self.unsupported(format!("`switch_br` on `{}`", self.ty_name(oty))));
        };
        let sw = self.air.switch_br(inst);
        // Gather the values of each case.
        let mut cases: Vec<CaseValues> = Vec::with_capacity(sw.cases.len());
        for c in &sw.cases {
            let mut items = Vec::with_capacity(c.items.len());
            for &i in c.items {
                items.push(self.case_value(i)?);
            }
            let mut ranges = Vec::new();
            for pair in c.ranges.chunks(2) {
                ranges.push((self.case_value(pair[0])?, self.case_value(pair[1])?));
            }
            cases.push((items, ranges));
        }
        let lo_hi = |v: i64| {
            if r.signed {
                v as i128
            } else {
                (v as u64) as i128
            }
        };
        let mut min = i128::MAX;
        let mut max = i128::MIN;
        let mut count: i128 = 0;
        for (items, ranges) in &cases {
            for &v in items {
                min = min.min(lo_hi(v));
                max = max.max(lo_hi(v));
                count += 1;
            }
            for &(a, b) in ranges {
                min = min.min(lo_hi(a));
                max = max.max(lo_hi(b));
                count += lo_hi(b) - lo_hi(a) + 1;
            }
        }
        let span = if count == 0 { 0 } else { max - min + 1 };
        let dense = count > 0 && cases.len() >= 3 && span <= 1024 && span <= 4 * count;
        let x = self.local_of(operand, r.vt)?;
        let else_body = sw.else_body;
        let bodies: Vec<&[u32]> = sw.cases.iter().map(|c| c.body).collect();
        if dense {
            let n = bodies.len() as u32;
            // Blocks: else (outermost), case n-1, ..., case 0 (innermost).
            for _ in 0..=n {
                self.op_a(MirTag::Block, 0x40);
                self.depth += 1;
            }
            // Table: for each value in [min, max], the case index (relative depth) or else (n).
            let mut table = vec![n; span as usize];
            for (ci, (items, ranges)) in cases.iter().enumerate() {
                for &v in items {
                    let slot = (lo_hi(v) - min) as usize;
                    if table[slot] == n {
                        table[slot] = ci as u32;
                    }
                }
                for &(a, b) in ranges {
                    for v in lo_hi(a)..=lo_hi(b) {
                        let slot = (v - min) as usize;
                        if table[slot] == n {
                            table[slot] = ci as u32;
                        }
                    }
                }
            }
            self.local_get(x.0);
            if min != 0 {
                self.int_const(r, min as i64);
                self.op(pick(r, MirTag::I32Sub, MirTag::I64Sub));
            }
            if r.is64() {
                let t = self.alloc_local(ValType::I64);
                self.local_tee(t);
                self.i64_const((span - 1) as i64);
                self.op(MirTag::I64GtU);
                self.op_a(MirTag::BrIf, n);
                self.local_get(t);
                self.op(MirTag::I32WrapI64);
                self.free_local(t);
            }
            let at = self.mir.extra.len() as u32;
            self.mir.extra.push(table.len() as u32);
            self.mir.extra.extend_from_slice(&table);
            self.mir.extra.push(n);
            self.op_a(MirTag::BrTable, at);
            self.release(x);
            for body in bodies {
                self.op(MirTag::End);
                self.depth -= 1;
                self.gen_body(body)?;
            }
            self.op(MirTag::End);
            self.depth -= 1;
            match else_body {
                Some(b) => self.gen_body(b)?,
                None => self.op(MirTag::Unreachable),
            }
            return Ok(());
        }
        // Compare chain: if (case 0) { body } else if (case 1) ... else { else body }
        let (eq, le, ge) = if r.signed {
            (
                pick(r, MirTag::I32Eq, MirTag::I64Eq),
                pick(r, MirTag::I32LeS, MirTag::I64LeS),
                pick(r, MirTag::I32GeS, MirTag::I64GeS),
            )
        } else {
            (
                pick(r, MirTag::I32Eq, MirTag::I64Eq),
                pick(r, MirTag::I32LeU, MirTag::I64LeU),
                pick(r, MirTag::I32GeU, MirTag::I64GeU),
            )
        };
        let mut opened = 0;
        for (ci, (items, ranges)) in cases.iter().enumerate() {
            let mut first = true;
            for &v in items {
                self.local_get(x.0);
                self.int_const(r, v);
                self.op(eq);
                if !first {
                    self.op(MirTag::I32Or);
                }
                first = false;
            }
            for &(a, b) in ranges {
                self.local_get(x.0);
                self.int_const(r, a);
                self.op(ge);
                self.local_get(x.0);
                self.int_const(r, b);
                self.op(le);
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
            self.gen_body(bodies[ci])?;
            self.op(MirTag::Else);
        }
        self.release(x);
        match else_body {
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
