//! Pointers, slices, structs, unions, optionals and error unions (IR.md 5.1, "Memory and
//! aggregates", "Optionals", "Error unions").
//!
//! Every aggregate with runtime bits is by-ref, so these instructions are address arithmetic
//! with the offsets `wabe-types` computes, loads of the scalar parts, and stores into fresh
//! frame slots for the ones that build a value (`aggregate_init`, `wrap_optional`, ...).

use crate::codegen::{FuncGen, WValue};
use crate::memory::Addr;
use crate::Error;
use wabe_air::{Data, Ref, Tag};
use wabe_mir::{MirTag, ValType};
use wabe_types::{Int, PtrSize, TypeId, TypeKey, Value};

/// How an optional is represented.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Opt {
    /// A nullable pointer (0 is null).
    Ptr,
    /// A zero-bit payload: the value is the flag itself (1 = has a value).
    Flag,
    /// In memory: the payload at 0, the flag byte at this offset.
    Mem(u64),
}

impl FuncGen<'_> {
    fn opt_kind(&self, opt: TypeId) -> Opt {
        if self.pool.is_pointer_like_optional(opt) {
            Opt::Ptr
        } else if self.pool.is_by_ref(opt) {
            Opt::Mem(self.pool.optional_flag_offset(opt))
        } else {
            Opt::Flag
        }
    }

    /// The pointee of a pointer type.
    fn pointee(&self, ptr: TypeId) -> TypeId {
        self.pool.ptr_info(ptr).map_or(TypeId::VOID, |p| p.child)
    }

    /// The element type a `[*]T`, `[*c]T`, `*[N]T` or slice type indexes.
    fn elem_of(&self, ptr: TypeId) -> TypeId {
        match self.pool.ptr_info(ptr) {
            Some(p) if p.size == PtrSize::One => {
                self.pool.child_type(p.child).unwrap_or(TypeId::VOID)
            }
            Some(p) => p.child,
            None => TypeId::VOID,
        }
    }

    /// `base + index * size`, with a temporary local to free when the index is not constant.
    fn elem_addr(
        &mut self,
        base: Addr,
        index: Ref,
        size: u64,
    ) -> Result<(Addr, Option<u32>), Error> {
        if size == 0 {
            return Ok((base, None));
        }
        if let Some(Value::Int(i)) = self.const_value(index) {
            let off = i.to_u64_wrapping().wrapping_mul(size);
            return Ok((base.plus(off), None));
        }
        self.push_addr(base);
        self.emit_ref(index)?;
        if size != 1 {
            self.ptr_const(size as i64);
            self.op(self.ptr_op(MirTag::I32Mul, MirTag::I64Mul));
        }
        self.op(self.ptr_op(MirTag::I32Add, MirTag::I64Add));
        let t = self.alloc_local(self.pool.ptr_valtype());
        self.local_set(t);
        Ok((Addr::at(WValue::Local(t)), Some(t)))
    }

    fn release_temp(&mut self, t: Option<u32>) {
        if let Some(t) = t {
            self.free_local(t);
        }
    }

    /// The address of element `index` of a many-item pointer, array pointer or slice operand.
    fn indexed(
        &mut self,
        operand: Ref,
        index: Ref,
        elem: TypeId,
        slice: bool,
    ) -> Result<(Addr, Option<u32>), Error> {
        let size = self.pool.abi_size(elem);
        let mut a = self.addr_of(operand)?;
        let mut ptr_tmp = None;
        if slice {
            // The slice's pointer.
            let vt = self.load_scalar(TypeId::USIZE, a)?;
            let t = self.alloc_local(vt);
            self.local_set(t);
            a = Addr::at(WValue::Local(t));
            ptr_tmp = Some(t);
        }
        let (e, tmp) = self.elem_addr(a, index, size)?;
        if tmp.is_some() {
            self.release_temp(ptr_tmp);
            return Ok((e, tmp));
        }
        Ok((e, ptr_tmp))
    }

    pub(crate) fn gen_aggregate(
        &mut self,
        inst: u32,
        tag: Tag,
        data: Data,
        ty: TypeId,
    ) -> Result<WValue, Error> {
        let (a, b) = (Ref(data.a), Ref(data.b));
        use Tag::*;
        match tag {
            StructFieldPtr => {
                let container = self.pointee(self.type_of(a));
                let off = self.field_off(container, data.b as usize)?;
                let p = self.addr_of(a)?;
                Ok(self.addr_value(p.plus(off)))
            }
            StructFieldVal => {
                let container = self.type_of(a);
                if !self.pool.has_runtime_bits(container) || !self.pool.has_runtime_bits(ty) {
                    return Ok(WValue::None);
                }
                let off = self.field_off(container, data.b as usize)?;
                let p = self.addr_of(a)?;
                self.project(ty, p.plus(off))
            }
            PtrElemPtr | SliceElemPtr => {
                let elem = self.pointee(ty);
                let (e, tmp) = self.indexed(a, b, elem, tag == SliceElemPtr)?;
                let w = self.addr_value(e);
                self.release_temp(tmp);
                Ok(w)
            }
            PtrElemVal | SliceElemVal => {
                let (e, tmp) = self.indexed(a, b, ty, tag == SliceElemVal)?;
                let w = self.load_value(ty, e)?;
                self.release_temp(tmp);
                Ok(w)
            }
            ArrayElemVal => {
                if !self.pool.has_runtime_bits(ty) {
                    return Ok(WValue::None);
                }
                let (e, tmp) = self.indexed(a, b, ty, false)?;
                let w = self.project(ty, e)?;
                self.release_temp(tmp);
                Ok(w)
            }
            SlicePtr => {
                let s = self.addr_of(a)?;
                self.load_value(ty, s)
            }
            SliceLen => {
                let s = self.addr_of(a)?;
                let ps = self.pool.target().ptr_size();
                self.load_value(ty, s.plus(ps))
            }
            Slice => {
                let dst = self.alloc_value(ty)?;
                self.store_ref(dst, a)?;
                let ps = self.pool.target().ptr_size();
                self.store_ref(dst.plus(ps), b)?;
                Ok(dst.base)
            }
            ArrayToSlice => {
                let arr = self.pointee(self.type_of(a));
                let n = self.pool.array_len(arr).unwrap_or(0);
                let dst = self.alloc_value(ty)?;
                self.store_ref(dst, a)?;
                let ps = self.pool.target().ptr_size();
                let len =
                    self.lower_const(TypeId::USIZE, &Value::Int(Int::from_i128(n as i128)))?;
                self.store_scalar(TypeId::USIZE, dst.plus(ps), len)?;
                Ok(dst.base)
            }
            PtrAdd | PtrSub => {
                let elem = self.elem_of(self.type_of(a));
                let size = self.pool.abi_size(elem);
                let p = self.addr_of(a)?;
                if let Some(Value::Int(i)) = self.const_value(b) {
                    let d = i.to_u64_wrapping().wrapping_mul(size);
                    let d = if tag == PtrSub { d.wrapping_neg() } else { d };
                    return Ok(self.addr_value(p.plus(d)));
                }
                self.push_addr(p);
                self.emit_ref(b)?;
                if size != 1 {
                    self.ptr_const(size as i64);
                    self.op(self.ptr_op(MirTag::I32Mul, MirTag::I64Mul));
                }
                self.op(if tag == PtrAdd {
                    self.ptr_op(MirTag::I32Add, MirTag::I64Add)
                } else {
                    self.ptr_op(MirTag::I32Sub, MirTag::I64Sub)
                });
                Ok(self.store_result(self.pool.ptr_valtype()))
            }
            AggregateInit => {
                if !self.pool.has_runtime_bits(ty) {
                    return Ok(WValue::None);
                }
                let dst = self.alloc_value(ty)?;
                let n = self.air.aggregate_elems(inst).len();
                let elem_size = self
                    .pool
                    .child_type(ty)
                    .map_or(0, |e| self.pool.abi_size(e));
                let is_array = matches!(self.pool.key(ty), TypeKey::Array { .. });
                for i in 0..n {
                    let e = Ref(self.air.aggregate_elems(inst)[i]);
                    let off = if is_array {
                        i as u64 * elem_size
                    } else {
                        self.field_off(ty, i)?
                    };
                    self.store_ref(dst.plus(off), e)?;
                }
                Ok(dst.base)
            }
            UnionInit => {
                if !self.pool.has_runtime_bits(ty) {
                    return Ok(WValue::None);
                }
                let dst = self.alloc_value(ty)?;
                self.store_ref(dst.plus(self.pool.union_payload_offset(ty)), b)?;
                self.store_union_tag(ty, dst, data.a as usize)?;
                Ok(dst.base)
            }
            GetUnionTag => {
                let u = self.type_of(a);
                if !self.pool.has_runtime_bits(ty) || !self.pool.has_runtime_bits(u) {
                    return Ok(WValue::None);
                }
                let p = self.addr_of(a)?;
                self.load_value(ty, p.plus(self.pool.union_tag_offset(u)))
            }
            SetUnionTag => {
                let u = self.pointee(self.type_of(a));
                let p = self.addr_of(a)?;
                self.store_ref(p.plus(self.pool.union_tag_offset(u)), b)?;
                Ok(WValue::None)
            }
            IsNull | IsNonNull => {
                let opt = self.type_of(a);
                match self.opt_kind(opt) {
                    Opt::Ptr => {
                        self.emit_ref(a)?;
                        self.op(self.ptr_op(MirTag::I32Eqz, MirTag::I64Eqz));
                    }
                    Opt::Flag => {
                        self.emit_ref(a)?;
                        self.op(MirTag::I32Eqz);
                    }
                    Opt::Mem(f) => {
                        let p = self.addr_of(a)?;
                        self.load_scalar(TypeId::U8, p.plus(f))?;
                        self.op(MirTag::I32Eqz);
                    }
                }
                if tag == IsNonNull {
                    self.op(MirTag::I32Eqz);
                }
                Ok(self.store_result(ValType::I32))
            }
            IsNullPtr | IsNonNullPtr => {
                let opt = self.pointee(self.type_of(a));
                let p = self.addr_of(a)?;
                match self.opt_kind(opt) {
                    Opt::Ptr => {
                        self.load_scalar(TypeId::USIZE, p)?;
                        self.op(self.ptr_op(MirTag::I32Eqz, MirTag::I64Eqz));
                    }
                    Opt::Flag => {
                        self.load_scalar(TypeId::U8, p)?;
                        self.op(MirTag::I32Eqz);
                    }
                    Opt::Mem(f) => {
                        self.load_scalar(TypeId::U8, p.plus(f))?;
                        self.op(MirTag::I32Eqz);
                    }
                }
                if tag == IsNonNullPtr {
                    self.op(MirTag::I32Eqz);
                }
                Ok(self.store_result(ValType::I32))
            }
            OptionalPayload => match self.opt_kind(self.type_of(a)) {
                Opt::Ptr => {
                    self.emit_ref(a)?;
                    Ok(self.store_result(self.pool.ptr_valtype()))
                }
                Opt::Flag => Ok(WValue::None),
                Opt::Mem(_) => {
                    let p = self.addr_of(a)?;
                    self.project(ty, p)
                }
            },
            OptionalPayloadPtr | OptionalPayloadPtrSet => {
                let opt = self.pointee(self.type_of(a));
                let p = self.addr_of(a)?;
                if tag == OptionalPayloadPtrSet {
                    match self.opt_kind(opt) {
                        Opt::Ptr => {}
                        Opt::Flag => self.store_scalar(TypeId::U8, p, WValue::I32(1))?,
                        Opt::Mem(f) => self.store_scalar(TypeId::U8, p.plus(f), WValue::I32(1))?,
                    }
                }
                Ok(self.addr_value(p))
            }
            WrapOptional => match self.opt_kind(ty) {
                Opt::Ptr => {
                    self.emit_ref(a)?;
                    Ok(self.store_result(self.pool.ptr_valtype()))
                }
                Opt::Flag => Ok(WValue::I32(1)),
                Opt::Mem(f) => {
                    let dst = self.alloc_value(ty)?;
                    self.store_ref(dst, a)?;
                    self.store_scalar(TypeId::U8, dst.plus(f), WValue::I32(1))?;
                    Ok(dst.base)
                }
            },
            IsErr | IsNonErr => {
                let eu = self.type_of(a);
                if self.pool.is_by_ref(eu) {
                    let (eoff, _) = self.pool.error_union_offsets(eu);
                    let p = self.addr_of(a)?;
                    self.load_scalar(TypeId::U16, p.plus(eoff))?;
                } else {
                    self.emit_ref(a)?;
                }
                self.op(MirTag::I32Eqz);
                if tag == IsErr {
                    self.op(MirTag::I32Eqz);
                }
                Ok(self.store_result(ValType::I32))
            }
            IsErrPtr | IsNonErrPtr => {
                let eu = self.pointee(self.type_of(a));
                let (eoff, _) = self.pool.error_union_offsets(eu);
                let p = self.addr_of(a)?;
                self.load_scalar(TypeId::U16, p.plus(eoff))?;
                self.op(MirTag::I32Eqz);
                if tag == IsErrPtr {
                    self.op(MirTag::I32Eqz);
                }
                Ok(self.store_result(ValType::I32))
            }
            UnwrapErrunionPayload => {
                let eu = self.type_of(a);
                if !self.pool.is_by_ref(eu) {
                    return Ok(WValue::None);
                }
                let (_, poff) = self.pool.error_union_offsets(eu);
                let p = self.addr_of(a)?;
                self.project(ty, p.plus(poff))
            }
            UnwrapErrunionErr => {
                let eu = self.type_of(a);
                if self.pool.is_by_ref(eu) {
                    let (eoff, _) = self.pool.error_union_offsets(eu);
                    let p = self.addr_of(a)?;
                    return self.load_value(ty, p.plus(eoff));
                }
                self.emit_ref(a)?;
                Ok(self.store_result(ValType::I32))
            }
            UnwrapErrunionPayloadPtr | ErrunionPayloadPtrSet => {
                let eu = self.pointee(self.type_of(a));
                let (eoff, poff) = self.pool.error_union_offsets(eu);
                let p = self.addr_of(a)?;
                if tag == ErrunionPayloadPtrSet {
                    self.store_scalar(TypeId::U16, p.plus(eoff), WValue::I32(0))?;
                }
                Ok(self.addr_value(p.plus(poff)))
            }
            UnwrapErrunionErrPtr => {
                let eu = self.pointee(self.type_of(a));
                let (eoff, _) = self.pool.error_union_offsets(eu);
                let p = self.addr_of(a)?;
                self.load_value(ty, p.plus(eoff))
            }
            WrapErrunionPayload | WrapErrunionErr => {
                if !self.pool.is_by_ref(ty) {
                    if tag == WrapErrunionPayload {
                        return Ok(WValue::I32(0));
                    }
                    self.emit_ref(a)?;
                    return Ok(self.store_result(ValType::I32));
                }
                let (eoff, poff) = self.pool.error_union_offsets(ty);
                let dst = self.alloc_value(ty)?;
                if tag == WrapErrunionPayload {
                    self.store_ref(dst.plus(poff), a)?;
                    self.store_scalar(TypeId::U16, dst.plus(eoff), WValue::I32(0))?;
                } else {
                    self.store_ref(dst.plus(eoff), a)?;
                }
                Ok(dst.base)
            }
            ErrorName | TagName => self.gen_name(tag, ty, a),
            _ => Err(self.unsupported(format!(
                "`{}` (not implemented by the code generator)",
                tag.name()
            ))),
        }
    }

    fn field_off(&self, container: TypeId, index: usize) -> Result<u64, Error> {
        match self.pool.key(container) {
            TypeKey::Struct { fields, .. } if index < fields.len() => {
                Ok(self.pool.field_offset(container, index))
            }
            TypeKey::Union { fields, .. } if index < fields.len() => {
                Ok(self.pool.union_payload_offset(container))
            }
            _ => Err(self.err(format!(
                "`{}` has no field {index}",
                self.ty_name(container)
            ))),
        }
    }

    /// Writes the tag selecting field `index` of the tagged union `ty` at `dst`.
    fn store_union_tag(&mut self, ty: TypeId, dst: Addr, index: usize) -> Result<(), Error> {
        let Some(tag_ty) = self.pool.union_tag_type(ty) else {
            return Ok(());
        };
        if !self.pool.has_runtime_bits(tag_ty) {
            return Ok(());
        }
        let Some(v) = self.pool.union_field_tag(ty, index).cloned() else {
            return Err(self.err("union field without a tag value"));
        };
        let w = self.lower_const(tag_ty, &Value::Int(v))?;
        self.store_scalar(tag_ty, dst.plus(self.pool.union_tag_offset(ty)), w)
    }

    /// `error_name` and `tag_name`: the address of entry `i` of a name table the linker
    /// synthesizes (`{ ptr, len }` slices): `i` is the error value, or the enum field's index.
    fn gen_name(&mut self, tag: Tag, ty: TypeId, a: Ref) -> Result<WValue, Error> {
        let _ = ty;
        let oty = self.type_of(a);
        let table = if tag == Tag::ErrorName {
            self.ctx.error_name_table()
        } else {
            self.ctx.tag_name_table(oty)
        }
        .map_err(|m| self.unsupported(format!("`{}`: {m}", tag.name())))?;
        let entry = 2 * self.pool.target().ptr_size();
        let base = Addr::at(WValue::Data(table, 0));
        if !self.pool.has_runtime_bits(oty) {
            return Ok(self.addr_value(base));
        }
        let Some(r) = self.int_repr(oty) else {
            return Err(self.unsupported(format!("`{}` of `{}`", tag.name(), self.ty_name(oty))));
        };
        // The entry index as a pointer-sized value.
        let fields = self.pool.enum_fields(oty);
        let identity = tag == Tag::ErrorName
            || fields
                .iter()
                .enumerate()
                .all(|(i, f)| f.value.to_i128() == Some(i as i128));
        if identity {
            self.emit_ref(a)?;
            match (r.is64(), self.wide_ptr()) {
                (false, true) => self.op(MirTag::I64ExtendI32U),
                (true, false) => self.op(MirTag::I32WrapI64),
                _ => {}
            }
        } else {
            // index = select chain over the fields' values.
            let x = self.resolve(a)?;
            self.ptr_const(0);
            for i in 1..fields.len() {
                let v = self.pool.enum_fields(oty)[i].value.to_u64_wrapping() as i64;
                let idx = self.alloc_local(self.pool.ptr_valtype());
                self.local_set(idx);
                self.ptr_const(i as i64);
                self.local_get(idx);
                self.emit_value(x);
                self.int_const(r, v);
                self.op(if r.is64() {
                    MirTag::I64Eq
                } else {
                    MirTag::I32Eq
                });
                self.op(MirTag::Select);
                self.free_local(idx);
            }
        }
        self.ptr_const(entry as i64);
        self.op(self.ptr_op(MirTag::I32Mul, MirTag::I64Mul));
        self.push_addr(base);
        self.op(self.ptr_op(MirTag::I32Add, MirTag::I64Add));
        Ok(self.store_result(self.pool.ptr_valtype()))
    }
}
