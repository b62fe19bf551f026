//! Memory: addresses, frame slots, loads and stores of every type, and copies.
//!
//! A by-reference value (IR.md 3.2) is an address; its [`WValue`] is a frame slot, a data
//! symbol, or a local holding the address. AIR values are immutable, so a value never changes
//! once made: `load` of a by-ref type copies the bytes into a fresh frame slot, `store` copies
//! them out, and projections (`struct_field_val` of a by-ref field) are plain address offsets.
//!
//! Copies of a known size are unrolled up to [`UNROLL_LIMIT`] bytes, use `memory.copy` above
//! that when `bulk-memory` is on, and a loop otherwise.

use crate::codegen::{FuncGen, WValue};
use crate::Error;
use wabe_air::Ref;
use wabe_mir::{MirData, MirTag, ValType};
use wabe_types::{FloatType, TypeId, TypeKey, Value};

/// Copies of at most this many bytes are unrolled.
const UNROLL_LIMIT: u64 = 64;

/// A memory address: a base (frame slot, data symbol, local or immediate) plus a constant
/// byte offset.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Addr {
    pub base: WValue,
    pub off: u64,
}

impl Addr {
    pub fn at(base: WValue) -> Addr {
        Addr { base, off: 0 }
    }

    pub fn plus(self, d: u64) -> Addr {
        Addr {
            base: self.base,
            off: self.off.wrapping_add(d),
        }
    }
}

/// The load instruction for `size` bytes into an i32/i64 container, zero-extending.
fn load_tag(size: u64, wide: bool) -> (MirTag, MirTag) {
    // (load, store)
    match (size, wide) {
        (1, false) => (MirTag::I32Load8U, MirTag::I32Store8),
        (2, false) => (MirTag::I32Load16U, MirTag::I32Store16),
        (4, false) => (MirTag::I32Load, MirTag::I32Store),
        (1, true) => (MirTag::I64Load8U, MirTag::I64Store8),
        (2, true) => (MirTag::I64Load16U, MirTag::I64Store16),
        (4, true) => (MirTag::I64Load32U, MirTag::I64Store32),
        _ => (MirTag::I64Load, MirTag::I64Store),
    }
}

impl FuncGen<'_> {
    pub(crate) fn wide_ptr(&self) -> bool {
        self.pool.ptr_valtype() == ValType::I64
    }

    /// Pushes a `usize`-typed constant.
    pub(crate) fn ptr_const(&mut self, v: i64) {
        if self.wide_ptr() {
            self.i64_const(v)
        } else {
            self.i32_const(v as i32)
        }
    }

    /// The i32 or i64 variant of a pointer-sized operation.
    pub(crate) fn ptr_op(&self, t32: MirTag, t64: MirTag) -> MirTag {
        if self.wide_ptr() {
            t64
        } else {
            t32
        }
    }

    /// Reserves `size` bytes aligned to `align` in the stack frame; returns their offset from
    /// the frame pointer.
    pub(crate) fn alloc_frame(&mut self, size: u64, align: u64) -> Result<u32, Error> {
        let align = align.max(1);
        self.ensure_frame();
        let off = (self.frame_size + align - 1) & !(align - 1);
        self.frame_size = off + size;
        self.frame_align = self.frame_align.max(align);
        if self.frame_size > u32::MAX as u64 / 2 {
            return Err(self.err("the stack frame is too large"));
        }
        Ok(off as u32)
    }

    /// A fresh frame slot for a value of `ty`.
    pub(crate) fn alloc_value(&mut self, ty: TypeId) -> Result<Addr, Error> {
        let (size, align) = (self.pool.abi_size(ty), self.pool.abi_align(ty));
        Ok(Addr::at(WValue::Frame(self.alloc_frame(size, align)?)))
    }

    /// Pushes the base of `a` and returns the offset a load or store must add (its memarg).
    pub(crate) fn push_base(&mut self, a: Addr) -> u32 {
        let total = match a.base {
            WValue::Frame(o) => {
                let fp = self.fp.expect("frame values exist only after a frame slot");
                self.local_get(fp);
                (o as u64).wrapping_add(a.off)
            }
            WValue::Data(sym, add) => {
                let sum = (add as i64).wrapping_add(a.off as i64);
                if let Ok(s) = i32::try_from(sum) {
                    self.mir.push(
                        MirTag::MemAddr,
                        MirData {
                            a: sym.0,
                            b: s as u32,
                        },
                    );
                    0
                } else {
                    self.mir.push(
                        MirTag::MemAddr,
                        MirData {
                            a: sym.0,
                            b: add as u32,
                        },
                    );
                    a.off
                }
            }
            WValue::I32(v) => {
                self.ptr_const(v as i64);
                a.off
            }
            WValue::I64(v) => {
                self.ptr_const(v as i64);
                a.off
            }
            w => {
                self.emit_value(w);
                a.off
            }
        };
        match u32::try_from(total) {
            Ok(t) => t,
            Err(_) => {
                self.ptr_const(total as i64);
                self.op(self.ptr_op(MirTag::I32Add, MirTag::I64Add));
                0
            }
        }
    }

    /// Pushes the full address `a`.
    pub(crate) fn push_addr(&mut self, a: Addr) {
        let off = self.push_base(a);
        if off != 0 {
            self.ptr_const(off as i64);
            self.op(self.ptr_op(MirTag::I32Add, MirTag::I64Add));
        }
    }

    /// The address `a` as a value of its own (never sharing a local with another value).
    pub(crate) fn addr_value(&mut self, a: Addr) -> WValue {
        match a.base {
            WValue::Frame(o)
                if (o as u64)
                    .checked_add(a.off)
                    .is_some_and(|t| t <= u32::MAX as u64 / 2) =>
            {
                WValue::Frame(o + a.off as u32)
            }
            WValue::Data(sym, add)
                if i32::try_from((add as i64).wrapping_add(a.off as i64)).is_ok() =>
            {
                WValue::Data(sym, (add as i64).wrapping_add(a.off as i64) as i32)
            }
            _ => {
                self.push_addr(a);
                let vt = self.pool.ptr_valtype();
                self.store_result(vt)
            }
        }
    }

    /// The address an operand (a pointer, or a by-ref value) holds.
    pub(crate) fn addr_of(&mut self, r: Ref) -> Result<Addr, Error> {
        Ok(Addr::at(self.resolve(r)?))
    }

    /// The load of a by-value type from memory: the instruction and the wasm type it yields.
    fn scalar_load(&self, ty: TypeId) -> Result<(MirTag, ValType), Error> {
        if let Some(f) = self.float_type(ty) {
            return match f {
                FloatType::F32 => Ok((MirTag::F32Load, ValType::F32)),
                FloatType::F64 => Ok((MirTag::F64Load, ValType::F64)),
                FloatType::F16 => Ok((MirTag::I32Load16U, ValType::F32)),
                _ => Err(self.unsupported(format!("`load` of `{}`", self.ty_name(ty)))),
            };
        }
        let Some(r) = self.int_repr(ty) else {
            return Err(self.unsupported(format!("`load` of `{}`", self.ty_name(ty))));
        };
        let s = r.signed;
        Ok(match (r.vt, self.pool.abi_size(ty)) {
            (ValType::I32, 1) => (
                if s {
                    MirTag::I32Load8S
                } else {
                    MirTag::I32Load8U
                },
                ValType::I32,
            ),
            (ValType::I32, 2) => (
                if s {
                    MirTag::I32Load16S
                } else {
                    MirTag::I32Load16U
                },
                ValType::I32,
            ),
            (ValType::I32, _) => (MirTag::I32Load, ValType::I32),
            (_, _) => (MirTag::I64Load, ValType::I64),
        })
    }

    fn scalar_store(&self, ty: TypeId) -> Result<MirTag, Error> {
        if let Some(f) = self.float_type(ty) {
            return match f {
                FloatType::F32 => Ok(MirTag::F32Store),
                FloatType::F64 => Ok(MirTag::F64Store),
                FloatType::F16 => Ok(MirTag::I32Store16),
                _ => Err(self.unsupported(format!("`store` of `{}`", self.ty_name(ty)))),
            };
        }
        let Some(r) = self.int_repr(ty) else {
            return Err(self.unsupported(format!("`store` of `{}`", self.ty_name(ty))));
        };
        Ok(match (r.vt, self.pool.abi_size(ty)) {
            (ValType::I32, 1) => MirTag::I32Store8,
            (ValType::I32, 2) => MirTag::I32Store16,
            (ValType::I32, _) => MirTag::I32Store,
            (_, _) => MirTag::I64Store,
        })
    }

    fn memarg(&self, ty: TypeId, off: u32) -> MirData {
        let align = self.pool.abi_align(ty).min(8).trailing_zeros();
        MirData { a: off, b: align }
    }

    /// Pushes the by-value `ty` stored at `a`; returns its wasm type.
    pub(crate) fn load_scalar(&mut self, ty: TypeId, a: Addr) -> Result<ValType, Error> {
        let (tag, vt) = self.scalar_load(ty)?;
        let off = self.push_base(a);
        let d = self.memarg(ty, off);
        self.mir.push(tag, d);
        if self.float_type(ty) == Some(FloatType::F16) {
            self.f16_bits_to_f32()?;
        }
        Ok(vt)
    }

    /// The value of type `ty` stored at `a`: a by-value type is loaded into a local; a by-ref
    /// type is copied into a fresh frame slot (the memory at `a` may change later).
    pub(crate) fn load_value(&mut self, ty: TypeId, a: Addr) -> Result<WValue, Error> {
        if !self.pool.has_runtime_bits(ty) {
            return Ok(WValue::None);
        }
        if self.pool.is_by_ref(ty) {
            let dst = self.alloc_value(ty)?;
            self.copy_bytes(dst, a, self.pool.abi_size(ty), self.pool.abi_align(ty));
            return Ok(dst.base);
        }
        let vt = self.load_scalar(ty, a)?;
        Ok(self.store_result(vt))
    }

    /// Like [`load_value`](Self::load_value), but a by-ref type is not copied: the result is
    /// the address itself (for memory that does not change, such as an immutable aggregate).
    pub(crate) fn project(&mut self, ty: TypeId, a: Addr) -> Result<WValue, Error> {
        if !self.pool.has_runtime_bits(ty) {
            return Ok(WValue::None);
        }
        if self.pool.is_by_ref(ty) {
            return Ok(self.addr_value(a));
        }
        let vt = self.load_scalar(ty, a)?;
        Ok(self.store_result(vt))
    }

    /// Stores the by-value `v` of type `ty` at `a`.
    pub(crate) fn store_scalar(&mut self, ty: TypeId, a: Addr, v: WValue) -> Result<(), Error> {
        let tag = self.scalar_store(ty)?;
        let off = self.push_base(a);
        self.emit_value(v);
        if self.float_type(ty) == Some(FloatType::F16) {
            self.f32_to_f16_bits()?;
        }
        let d = self.memarg(ty, off);
        self.mir.push(tag, d);
        Ok(())
    }

    /// Stores the value `v` (of any type) at `a`: by-value types with one store, by-ref types
    /// by copying their bytes. Storing `undef` writes nothing.
    pub(crate) fn store_wvalue(&mut self, ty: TypeId, a: Addr, v: WValue) -> Result<(), Error> {
        if !self.pool.has_runtime_bits(ty) || v == WValue::None {
            return Ok(());
        }
        if self.pool.is_by_ref(ty) {
            if Addr::at(v) != a {
                self.copy_bytes(
                    a,
                    Addr::at(v),
                    self.pool.abi_size(ty),
                    self.pool.abi_align(ty),
                );
            }
            return Ok(());
        }
        self.store_scalar(ty, a, v)
    }

    /// Stores operand `r` at `a`.
    pub(crate) fn store_ref(&mut self, a: Addr, r: Ref) -> Result<(), Error> {
        let ty = self.type_of(r);
        if !self.pool.has_runtime_bits(ty) {
            return Ok(());
        }
        if let Some(c) = self.air.constant(r) {
            if c.value == Value::Undef {
                return Ok(());
            }
        }
        let v = self.resolve(r)?;
        self.store_wvalue(ty, a, v)
    }

    /// Writes constant bytes at `a` (8 bytes at a time where aligned).
    pub(crate) fn store_bytes(&mut self, a: Addr, bytes: &[u8]) {
        let mut pos = 0usize;
        while pos < bytes.len() {
            let rest = bytes.len() - pos;
            let c = [8usize, 4, 2, 1]
                .into_iter()
                .find(|&c| c <= rest && pos.is_multiple_of(c))
                .unwrap_or(1);
            let mut v = [0u8; 8];
            v[..c].copy_from_slice(&bytes[pos..pos + c]);
            let v = u64::from_le_bytes(v);
            let off = self.push_base(a.plus(pos as u64));
            let (_, store) = load_tag(c as u64, c == 8);
            if c == 8 {
                self.i64_const(v as i64);
            } else {
                self.i32_const(v as i32);
            }
            self.mir.push(
                store,
                MirData {
                    a: off,
                    b: (c as u32).trailing_zeros(),
                },
            );
            pos += c;
        }
    }

    /// Copies `size` bytes from `src` to `dst`, both aligned to `align`.
    pub(crate) fn copy_bytes(&mut self, dst: Addr, src: Addr, size: u64, align: u64) {
        if size == 0 {
            return;
        }
        let max = align.clamp(1, 8);
        if size <= UNROLL_LIMIT {
            // Wasm loads and stores need no alignment: copy in the widest pieces, with the
            // alignment the addresses are known to have as the hint.
            let mut pos = 0;
            while pos < size {
                let c = [8u64, 4, 2, 1]
                    .into_iter()
                    .find(|&c| c <= size - pos)
                    .unwrap_or(1);
                let (load, store) = load_tag(c, c == 8);
                let doff = self.push_base(dst.plus(pos));
                let soff = self.push_base(src.plus(pos));
                let known = max.min(1 << pos.trailing_zeros().min(3));
                let lg = c.min(known).trailing_zeros();
                self.mir.push(load, MirData { a: soff, b: lg });
                self.mir.push(store, MirData { a: doff, b: lg });
                pos += c;
            }
            return;
        }
        if self.opts.bulk_memory {
            self.push_addr(dst);
            self.push_addr(src);
            self.ptr_const(size as i64);
            self.op(MirTag::MemoryCopy);
            return;
        }
        let c = [8u64, 4, 2, 1]
            .into_iter()
            .find(|&c| c <= max && size.is_multiple_of(c))
            .unwrap_or(1);
        let pv = self.pool.ptr_valtype();
        let (d, s, i) = (
            self.alloc_local(pv),
            self.alloc_local(pv),
            self.alloc_local(pv),
        );
        self.push_addr(dst);
        self.local_set(d);
        self.push_addr(src);
        self.local_set(s);
        self.ptr_const(0);
        self.local_set(i);
        let add = self.ptr_op(MirTag::I32Add, MirTag::I64Add);
        let (load, store) = load_tag(c, c == 8);
        self.op_a(MirTag::Loop, 0x40);
        self.local_get(d);
        self.local_get(i);
        self.op(add);
        self.local_get(s);
        self.local_get(i);
        self.op(add);
        self.mir.push(
            load,
            MirData {
                a: 0,
                b: c.trailing_zeros(),
            },
        );
        self.mir.push(
            store,
            MirData {
                a: 0,
                b: c.trailing_zeros(),
            },
        );
        self.local_get(i);
        self.ptr_const(c as i64);
        self.op(add);
        self.local_tee(i);
        self.ptr_const(size as i64);
        self.op(self.ptr_op(MirTag::I32LtU, MirTag::I64LtU));
        self.op_a(MirTag::BrIf, 0);
        self.op(MirTag::End);
        self.free_local(i);
        self.free_local(s);
        self.free_local(d);
    }

    /// `memset %dst, %byte, %len` and `memcpy %dst, %src, %len` (IR.md 5.1).
    pub(crate) fn gen_mem(&mut self, inst: u32, set: bool) -> Result<WValue, Error> {
        let [dst, mid, len] = self.air.ternary(inst);
        if self.opts.bulk_memory {
            self.emit_ref(dst)?;
            self.emit_ref(mid)?;
            self.emit_ref(len)?;
            self.op(if set {
                MirTag::MemoryFill
            } else {
                MirTag::MemoryCopy
            });
            return Ok(WValue::None);
        }
        // A byte loop: while (n != 0) { *d = b (or *s); d += 1; s += 1; n -= 1; }
        let pv = self.pool.ptr_valtype();
        let (d, n) = (self.alloc_local(pv), self.alloc_local(pv));
        let m = self.alloc_local(if set { ValType::I32 } else { pv });
        self.emit_ref(dst)?;
        self.local_set(d);
        self.emit_ref(mid)?;
        self.local_set(m);
        self.emit_ref(len)?;
        self.local_set(n);
        let add = self.ptr_op(MirTag::I32Add, MirTag::I64Add);
        self.op_a(MirTag::Block, 0x40);
        self.op_a(MirTag::Loop, 0x40);
        self.local_get(n);
        self.op(self.ptr_op(MirTag::I32Eqz, MirTag::I64Eqz));
        self.op_a(MirTag::BrIf, 1);
        self.local_get(d);
        self.local_get(m);
        if !set {
            self.mir.push(MirTag::I32Load8U, MirData { a: 0, b: 0 });
            self.local_get(m);
            self.ptr_const(1);
            self.op(add);
            self.local_set(m);
        }
        self.mir.push(MirTag::I32Store8, MirData { a: 0, b: 0 });
        self.local_get(d);
        self.ptr_const(1);
        self.op(add);
        self.local_set(d);
        self.local_get(n);
        self.ptr_const(1);
        self.op(self.ptr_op(MirTag::I32Sub, MirTag::I64Sub));
        self.local_set(n);
        self.op_a(MirTag::Br, 0);
        self.op(MirTag::End);
        self.op(MirTag::End);
        self.free_local(m);
        self.free_local(n);
        self.free_local(d);
        Ok(WValue::None)
    }

    /// A by-ref constant that needs no data symbol: `undef` (a frame slot left as it is) and
    /// wide integers and floats (their bytes stored into a frame slot, as an immediate).
    pub(crate) fn materialize_const(
        &mut self,
        ty: TypeId,
        value: &Value,
    ) -> Result<Option<WValue>, Error> {
        let size = self.pool.abi_size(ty) as usize;
        let bytes = match (value, self.pool.key(ty)) {
            (Value::Undef, _) => return Ok(Some(self.alloc_value(ty)?.base)),
            (Value::Int(i), TypeKey::Int { .. } | TypeKey::Enum { .. }) => {
                let mut b = vec![0u8; size];
                i.write_le_bytes(&mut b);
                b
            }
            (Value::Float(bits), TypeKey::Float(_)) => {
                let all = bits.to_le_bytes();
                let mut b = vec![0u8; size];
                let n = size.min(16);
                b[..n].copy_from_slice(&all[..n]);
                b
            }
            _ => return Ok(None),
        };
        let a = self.alloc_value(ty)?;
        self.store_bytes(a, &bytes);
        Ok(Some(a.base))
    }
}
