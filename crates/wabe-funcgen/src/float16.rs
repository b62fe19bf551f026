//! `f16`: a value is carried as the `f32` holding exactly its value (IR.md 3.2). Memory holds
//! the 16-bit pattern: loads widen it (exactly), stores narrow it (the value is already an
//! `f16`, so this is exact too). Arithmetic runs in `f32` and rounds back to `f16` after every
//! operation that can produce a value `f16` cannot hold (add, sub, mul, div, sqrt): with
//! 24 significand bits against 11, `f32` is wide enough that this double rounding is correctly
//! rounded. Conversions from `f64` and from integers round once, from `f64`.

use crate::codegen::FuncGen;
use crate::Error;
use wabe_mir::MirTag;

impl FuncGen<'_> {
    /// `[i32 bits] -> [f32]`.
    pub(crate) fn f16_bits_to_f32(&mut self) -> Result<(), Error> {
        self.call_helper("__wabe_f16_to_f32")
    }

    /// `[f32] -> [i32 bits]` (exact for a value `f16` holds, NaN payloads included; rounding
    /// otherwise).
    pub(crate) fn f32_to_f16_bits(&mut self) -> Result<(), Error> {
        self.call_helper("__wabe_f32_to_f16")
    }

    /// `[f32] -> [f32]`: rounds to the nearest `f16` (a NaN becomes a quiet NaN of its sign,
    /// as the reference interpreter's arithmetic does).
    pub(crate) fn f16_round_f32(&mut self) -> Result<(), Error> {
        self.op(MirTag::F64PromoteF32);
        self.call_helper("__wabe_f64_to_f16")?;
        self.f16_bits_to_f32()
    }

    /// `[f64] -> [f32]`: rounds to the nearest `f16`, once.
    pub(crate) fn f16_round_f64(&mut self) -> Result<(), Error> {
        self.call_helper("__wabe_f64_to_f16")?;
        self.f16_bits_to_f32()
    }
}
