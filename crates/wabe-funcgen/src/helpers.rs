//! Helper functions wabe synthesizes instead of linking compiler-rt: 128-bit multiplication,
//! division and conversions, and `f16` rounding.
//!
//! The helpers are written in wabe's own IR ([`HELPERS`]), parsed and verified once per target,
//! and compiled by this crate like any other function when a module first needs one. A helper
//! is added to the module through [`Context::helper_function`] under its name (`__wabe_*`), so
//! each is emitted at most once per module. Helpers use 128-bit integers with the inline
//! operations of `wide.rs` (add, compare, shift, ...), never the operations that call helpers
//! themselves, except `__wabe_mul128` and the conversions built on `__wabe_udivmod128`.

use crate::codegen::FuncGen;
use crate::{Context, Error, Options};
use std::sync::OnceLock;
use wabe_air::{DeclIndex, Module};
use wabe_mir::{MirTag, SymbolIndex, ValType};
use wabe_types::{Target, Value};

/// The helpers' source, in the text form of IR.md.
const HELPERS: &str = r#"
fn __wabe_umulh(%a: u64, %b: u64) u64 {
  %a0 = bit_and %a, 0xffffffff:u64
  %a1 = shr %a, 32:u64
  %b0 = bit_and %b, 0xffffffff:u64
  %b1 = shr %b, 32:u64
  %p00 = mul_wrap %a0, %b0
  %p01 = mul_wrap %a0, %b1
  %p10 = mul_wrap %a1, %b0
  %p11 = mul_wrap %a1, %b1
  %t0 = shr %p00, 32:u64
  %t1 = bit_and %p01, 0xffffffff:u64
  %t2 = bit_and %p10, 0xffffffff:u64
  %m0 = add_wrap %t0, %t1
  %mid = add_wrap %m0, %t2
  %h0 = shr %p01, 32:u64
  %h1 = shr %p10, 32:u64
  %h2 = shr %mid, 32:u64
  %s0 = add_wrap %p11, %h0
  %s1 = add_wrap %s0, %h1
  %s2 = add_wrap %s1, %h2
  ret %s2
}

fn __wabe_mul128(%a: u128, %b: u128) u128 {
  %a0 = trunc u64, %a
  %ah = shr %a, 64:u32
  %a1 = trunc u64, %ah
  %b0 = trunc u64, %b
  %bh = shr %b, 64:u32
  %b1 = trunc u64, %bh
  %lo = mul_wrap %a0, %b0
  %h = call @__wabe_umulh(%a0, %b0)
  %x = mul_wrap %a0, %b1
  %y = mul_wrap %a1, %b0
  %h1 = add_wrap %h, %x
  %hi = add_wrap %h1, %y
  %l128 = intcast u128, %lo
  %h128 = intcast u128, %hi
  %hs = shl %h128, 64:u32
  %r = bit_or %hs, %l128
  ret %r
}

// Wrapped product and overflow of `a * b` for integers of `bits` bits (sign-extended to 128
// when `signed`): `.v` is the product modulo 2^128 (the caller truncates it), `.o` whether the
// exact product does not fit `bits` bits.
fn __wabe_mulo128(%a: u128, %b: u128, %signed: bool, %bits: u32) struct { v: u128, o: bool } {
  %v = call @__wabe_mul128(%a, %b)
  %ahs = shr %a, 127:u32
  %bhs = shr %b, 127:u32
  %as = cmp_neq %ahs, 0:u128
  %bs = cmp_neq %bhs, 0:u128
  %an = bool_and %signed, %as
  %bn = bool_and %signed, %bs
  %na = sub_wrap 0:u128, %a
  %nb = sub_wrap 0:u128, %b
  %ma = block u128 {
    cond_br %an {
      br %ma, %na
    } else {
      br %ma, %a
    }
  }
  %mb = block u128 {
    cond_br %bn {
      br %mb, %nb
    } else {
      br %mb, %b
    }
  }
  %a0 = trunc u64, %ma
  %mah = shr %ma, 64:u32
  %a1 = trunc u64, %mah
  %b0 = trunc u64, %mb
  %mbh = shr %mb, 64:u32
  %b1 = trunc u64, %mbh
  %a1nz = cmp_neq %a1, 0:u64
  %b1nz = cmp_neq %b1, 0:u64
  %both = bool_and %a1nz, %b1nz
  %x = block u64 {
    cond_br %a1nz {
      br %x, %a1
    } else {
      br %x, %b1
    }
  }
  %y = block u64 {
    cond_br %a1nz {
      br %y, %b0
    } else {
      br %y, %a0
    }
  }
  %ch = call @__wabe_umulh(%x, %y)
  %cl = mul_wrap %x, %y
  %h0 = call @__wabe_umulh(%a0, %b0)
  %mid = add_wrap %cl, %h0
  %carry = cmp_lt %mid, %cl
  %chnz = cmp_neq %ch, 0:u64
  %o1 = bool_or %both, %chnz
  %o128 = bool_or %o1, %carry
  %lo = mul_wrap %a0, %b0
  %l128 = intcast u128, %lo
  %m128 = intcast u128, %mid
  %ms = shl %m128, 64:u32
  %p = bit_or %ms, %l128
  %neg = xor %an, %bn
  %o = block bool {
    cond_br %signed {
      // |p| may be at most 2^(bits-1) - 1, or 2^(bits-1) when the product is negative.
      %bm1 = sub %bits, 1:u32
      %lim = shl 1:u128, %bm1
      %negi = bool_to_int %neg
      %neg128 = intcast u128, %negi
      %lim1 = sub_wrap %lim, 1:u128
      %limit = add_wrap %lim1, %neg128
      %big = cmp_gt %p, %limit
      %o2 = bool_or %o128, %big
      br %o, %o2
    } else {
      %full = cmp_eq %bits, 128:u32
      cond_br %full {
        br %o, %o128
      } else {
        %top = shr %p, %bits
        %big2 = cmp_neq %top, 0:u128
        %o3 = bool_or %o128, %big2
        br %o, %o3
      }
    }
  }
  %r = aggregate_init struct { v: u128, o: bool }, %v, %o
  ret %r
}

// Unsigned 128-bit division: `[quotient, remainder]`. Division by zero traps.
fn __wabe_udivmod128(%n: u128, %d: u128) [2]u128 {
  %dz = cmp_eq %d, 0:u128
  cond_br %dz {
    %z = trunc u32, %d
    %t = div_trunc 1:u32, %z
    unreach
  } else {
    %nh = shr %n, 64:u32
    %dh = shr %d, 64:u32
    %hh = bit_or %nh, %dh
    %small = cmp_eq %hh, 0:u128
    cond_br %small {
      %n64 = trunc u64, %n
      %d64 = trunc u64, %d
      %q64 = div_trunc %n64, %d64
      %r64 = rem %n64, %d64
      %q1 = intcast u128, %q64
      %r1 = intcast u128, %r64
      %res1 = aggregate_init [2]u128, %q1, %r1
      ret %res1
    } else {
      %q = alloc u128
      store %q, 0:u128
      %r = alloc u128
      store %r, 0:u128
      %i = alloc u32
      store %i, 128:u32
      %done = block void {
        loop {
          %iv = load %i
          %fin = cmp_eq %iv, 0:u32
          cond_br %fin {
            br %done
          } else {
            %i1 = sub %iv, 1:u32
            store %i, %i1
            %nb = shr %n, %i1
            %bit = bit_and %nb, 1:u128
            %rv = load %r
            %top = shr %rv, 127:u32
            %rs = shl %rv, 1:u32
            %r2 = bit_or %rs, %bit
            %ge = cmp_gte %r2, %d
            %tb = cmp_neq %top, 0:u128
            %take = bool_or %ge, %tb
            cond_br %take {
              %r3 = sub_wrap %r2, %d
              store %r, %r3
              %qv = load %q
              %m = shl 1:u128, %i1
              %q2 = bit_or %qv, %m
              store %q, %q2
              repeat
            } else {
              store %r, %r2
              repeat
            }
          }
        }
      }
      %qf = load %q
      %rf = load %r
      %res = aggregate_init [2]u128, %qf, %rf
      ret %res
    }
  }
}

// Signed 128-bit division: `[quotient, remainder]` truncating, or `[floor quotient, modulus]`
// when `floor`.
fn __wabe_sdivmod128(%a: u128, %b: u128, %floor: bool) [2]u128 {
  %ahs = shr %a, 127:u32
  %bhs = shr %b, 127:u32
  %an = cmp_neq %ahs, 0:u128
  %bn = cmp_neq %bhs, 0:u128
  %na = sub_wrap 0:u128, %a
  %nb = sub_wrap 0:u128, %b
  %ma = block u128 {
    cond_br %an {
      br %ma, %na
    } else {
      br %ma, %a
    }
  }
  %mb = block u128 {
    cond_br %bn {
      br %mb, %nb
    } else {
      br %mb, %b
    }
  }
  %qr = call @__wabe_udivmod128(%ma, %mb)
  %uq = array_elem_val %qr, 0:usize
  %ur = array_elem_val %qr, 1:usize
  %diff = xor %an, %bn
  %nq = sub_wrap 0:u128, %uq
  %nr = sub_wrap 0:u128, %ur
  %q = block u128 {
    cond_br %diff {
      br %q, %nq
    } else {
      br %q, %uq
    }
  }
  %r = block u128 {
    cond_br %an {
      br %r, %nr
    } else {
      br %r, %ur
    }
  }
  %rnz = cmp_neq %r, 0:u128
  %adj0 = bool_and %floor, %rnz
  %adj = bool_and %adj0, %diff
  cond_br %adj {
    %q2 = sub_wrap %q, 1:u128
    %r2 = add_wrap %r, %b
    %res2 = aggregate_init [2]u128, %q2, %r2
    ret %res2
  } else {
    %res = aggregate_init [2]u128, %q, %r
    ret %res
  }
}

// u128 to f64 and f32, correctly rounded: the bits below the top 64 are folded into a sticky
// bit, the 64-bit conversion rounds once, and the scaling by 2^n is exact.
fn __wabe_u128_to_f64(%x: u128) f64 {
  %h = shr %x, 64:u32
  %hi = trunc u64, %h
  %small = cmp_eq %hi, 0:u64
  cond_br %small {
    %lo = trunc u64, %x
    %f = int_to_float f64, %lo
    ret %f
  } else {
    %lz = clz %hi
    %n = sub 64:u64, %lz
    %n32 = trunc u32, %n
    %v0 = shr %x, %n32
    %v1 = trunc u64, %v0
    %one = shl 1:u128, %n32
    %mask = sub %one, 1:u128
    %low = bit_and %x, %mask
    %lnz = cmp_neq %low, 0:u128
    %st = bool_to_int %lnz
    %st64 = intcast u64, %st
    %v = bit_or %v1, %st64
    %f2 = int_to_float f64, %v
    %e = add %n, 1023:u64
    %eb = shl %e, 52:u64
    %scale = bitcast f64, %eb
    %r = mul %f2, %scale
    ret %r
  }
}

fn __wabe_u128_to_f32(%x: u128) f32 {
  %h = shr %x, 64:u32
  %hi = trunc u64, %h
  %small = cmp_eq %hi, 0:u64
  cond_br %small {
    %lo = trunc u64, %x
    %f = int_to_float f32, %lo
    ret %f
  } else {
    %lz = clz %hi
    %n = sub 64:u64, %lz
    %n32 = trunc u32, %n
    %v0 = shr %x, %n32
    %v1 = trunc u64, %v0
    %one = shl 1:u128, %n32
    %mask = sub %one, 1:u128
    %low = bit_and %x, %mask
    %lnz = cmp_neq %low, 0:u128
    %st = bool_to_int %lnz
    %st64 = intcast u64, %st
    %v = bit_or %v1, %st64
    %f2 = int_to_float f32, %v
    %e = add %n32, 127:u32
    %eb = shl %e, 23:u32
    %scale = bitcast f32, %eb
    %r = mul %f2, %scale
    ret %r
  }
}

fn __wabe_i128_to_f64(%x: u128) f64 {
  %s = shr %x, 127:u32
  %neg = cmp_neq %s, 0:u128
  cond_br %neg {
    %m = sub_wrap 0:u128, %x
    %f = call @__wabe_u128_to_f64(%m)
    %r = neg %f
    ret %r
  } else {
    %f2 = call @__wabe_u128_to_f64(%x)
    ret %f2
  }
}

fn __wabe_i128_to_f32(%x: u128) f32 {
  %s = shr %x, 127:u32
  %neg = cmp_neq %s, 0:u128
  cond_br %neg {
    %m = sub_wrap 0:u128, %x
    %f = call @__wabe_u128_to_f32(%m)
    %r = neg %f
    ret %r
  } else {
    %f2 = call @__wabe_u128_to_f32(%x)
    ret %f2
  }
}

// f64 (finite, |x| < 2^128) to a 128-bit integer, toward zero.
fn __wabe_f64_to_i128(%x: f64) u128 {
  %ax = fabs %x
  %small = cmp_lt %ax, 18446744073709551616.0:f64
  %m = block u128 {
    cond_br %small {
      %u = float_to_int u64, %ax
      %u128 = intcast u128, %u
      br %m, %u128
    } else {
      %bits = bitcast u64, %ax
      %e0 = shr %bits, 52:u64
      %e = sub %e0, 1075:u64
      %man0 = bit_and %bits, 0xfffffffffffff:u64
      %man = bit_or %man0, 0x10000000000000:u64
      %w = intcast u128, %man
      %sh = shl %w, %e
      br %m, %sh
    }
  }
  %neg = cmp_lt %x, 0.0:f64
  cond_br %neg {
    %n = sub_wrap 0:u128, %m
    ret %n
  } else {
    ret %m
  }
}

// f16 bits (in the low 16 bits) to f32, exactly.
fn __wabe_f16_to_f32(%h: u32) f32 {
  %sign = shr %h, 15:u32
  %s31 = shl %sign, 31:u32
  %e0 = shr %h, 10:u32
  %e = bit_and %e0, 31:u32
  %m = bit_and %h, 1023:u32
  %m13 = shl %m, 13:u32
  %special = cmp_eq %e, 31:u32
  cond_br %special {
    %b0 = bit_or %s31, 0x7f800000:u32
    %b1 = bit_or %b0, %m13
    %f = bitcast f32, %b1
    ret %f
  } else {
    %sub = cmp_eq %e, 0:u32
    cond_br %sub {
      %mf = int_to_float f32, %m
      %v = mul %mf, 5.9604644775390625e-8:f32
      %neg = cmp_neq %sign, 0:u32
      cond_br %neg {
        %nv = neg %v
        ret %nv
      } else {
        ret %v
      }
    } else {
      %e2 = add %e, 112:u32
      %e3 = shl %e2, 23:u32
      %b2 = bit_or %s31, %e3
      %b3 = bit_or %b2, %m13
      %f2 = bitcast f32, %b3
      ret %f2
    }
  }
}

// An f32 holding an f16 value to its f16 bits, exactly: the inverse of `__wabe_f16_to_f32`,
// NaN payloads (signaling ones too) included, for stores and bitcasts. (Through `f64`, a
// signaling NaN would be quieted.)
fn __wabe_f32_to_f16(%x: f32) u32 {
  %b = bitcast u32, %x
  %ex0 = shr %b, 23:u32
  %ex = bit_and %ex0, 0xff:u32
  %man = bit_and %b, 0x7fffff:u32
  %e1 = cmp_eq %ex, 0xff:u32
  %m1 = cmp_neq %man, 0:u32
  %nan = bool_and %e1, %m1
  cond_br %nan {
    %sg0 = shr %b, 16:u32
    %s = bit_and %sg0, 0x8000:u32
    %top = shr %man, 13:u32
    %z = cmp_eq %top, 0:u32
    %t2 = block u32 {
      cond_br %z {
        br %t2, 0x200:u32
      } else {
        br %t2, %top
      }
    }
    %r0 = bit_or %s, 0x7c00:u32
    %r = bit_or %r0, %t2
    ret %r
  } else {
    %d = fpext f64, %x
    %r2 = call @__wabe_f64_to_f16(%d)
    ret %r2
  }
}

// f64 to f16 bits, rounding to nearest even (NaN stays a quiet NaN).
fn __wabe_f64_to_f16(%x: f64) u32 {
  %b = bitcast u64, %x
  %sg0 = shr %b, 48:u64
  %sg = bit_and %sg0, 0x8000:u64
  %s = trunc u32, %sg
  %ex0 = shr %b, 52:u64
  %ex = bit_and %ex0, 0x7ff:u64
  %man = bit_and %b, 0xfffffffffffff:u64
  %special = cmp_eq %ex, 0x7ff:u64
  cond_br %special {
    %isnan = cmp_neq %man, 0:u64
    %q = block u32 {
      cond_br %isnan {
        br %q, 0x7e00:u32
      } else {
        br %q, 0x7c00:u32
      }
    }
    %r0 = bit_or %s, %q
    ret %r0
  } else {
    %exi = bitcast i64, %ex
    %e = sub %exi, 1008:i64
    %over = cmp_gte %e, 31:i64
    cond_br %over {
      %inf = bit_or %s, 0x7c00:u32
      ret %inf
    } else {
      %norm = cmp_gt %e, 0:i64
      // (value in units of the last f16 place, before rounding; the shift)
      %m = block u64 {
        cond_br %norm {
          br %m, %man
        } else {
          %withhidden = bit_or %man, 0x10000000000000:u64
          br %m, %withhidden
        }
      }
      %sh = block u64 {
        cond_br %norm {
          br %sh, 42:u64
        } else {
          %tiny = cmp_lt %e, -11:i64
          cond_br %tiny {
            ret %s
          } else {
            %shi = sub 43:i64, %e
            %shu = bitcast u64, %shi
            br %sh, %shu
          }
        }
      }
      %base = block u64 {
        cond_br %norm {
          %eu = bitcast u64, %e
          %e10 = shl %eu, 10:u64
          br %base, %e10
        } else {
          br %base, 0:u64
        }
      }
      %r = shr %m, %sh
      %one = shl 1:u64, %sh
      %mask = sub %one, 1:u64
      %rem = bit_and %m, %mask
      %sh1 = sub %sh, 1:u64
      %half = shl 1:u64, %sh1
      %gt = cmp_gt %rem, %half
      %eq = cmp_eq %rem, %half
      %odd0 = bit_and %r, 1:u64
      %odd = cmp_neq %odd0, 0:u64
      %tie = bool_and %eq, %odd
      %up = bool_or %gt, %tie
      %upi = bool_to_int %up
      %up64 = intcast u64, %upi
      %r1 = add %base, %r
      %r2 = add %r1, %up64
      %r3 = trunc u32, %r2
      %res = bit_or %s, %r3
      ret %res
    }
  }
}
"#;

static HELPERS32: OnceLock<Result<Module, String>> = OnceLock::new();
static HELPERS64: OnceLock<Result<Module, String>> = OnceLock::new();

/// The helper module for a target, parsed and verified once.
fn helper_module(target: Target) -> Result<&'static Module, String> {
    let cell = match target {
        Target::Wasm32 => &HELPERS32,
        Target::Wasm64 => &HELPERS64,
    };
    cell.get_or_init(|| {
        let src = format!("target {}\n{HELPERS}", target.name());
        let mut m = wabe_air::parse(&src).map_err(|e| e.to_string())?;
        wabe_air::verify(&mut m).map_err(|e| e.to_string())?;
        Ok(m)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The context helpers are generated in: calls between helpers become helper functions of
/// the outer context.
struct HelperCtx<'a> {
    outer: &'a mut dyn Context,
    module: &'static Module,
    opts: &'a Options,
}

impl Context for HelperCtx<'_> {
    fn decl_symbol(&mut self, decl: DeclIndex) -> SymbolIndex {
        let name = self.module.name_str(self.module.decl(decl).name);
        helper_symbol(self.outer, self.module, name, self.opts).unwrap_or(SymbolIndex(u32::MAX))
    }

    fn stack_pointer(&mut self) -> SymbolIndex {
        self.outer.stack_pointer()
    }

    fn func_type_index(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        self.outer.func_type_index(params, results)
    }

    fn helper_function(
        &mut self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
        build: &mut dyn FnMut(&mut dyn Context) -> Result<wabe_mir::MirFunction, String>,
    ) -> Result<SymbolIndex, String> {
        self.outer.helper_function(name, params, results, build)
    }
}

fn helper_symbol(
    ctx: &mut dyn Context,
    module: &'static Module,
    name: &str,
    opts: &Options,
) -> Result<SymbolIndex, String> {
    let decl = module
        .types
        .names
        .get(name)
        .and_then(|n| module.decl_by_name(n))
        .ok_or_else(|| format!("no helper `{name}`"))?;
    let sig = module
        .fn_type(decl)
        .and_then(|t| module.types.lower_fn_type(t))
        .ok_or_else(|| format!("helper `{name}` is not a function"))?;
    ctx.helper_function(
        name,
        &sig.params,
        &sig.results,
        &mut |c: &mut dyn Context| {
            let mut hc = HelperCtx {
                outer: c,
                module,
                opts,
            };
            crate::generate(module, decl, &mut hc, opts).map_err(|e| e.to_string())
        },
    )
}

impl FuncGen<'_> {
    /// Emits a call of helper `name`; its arguments are on the stack (by-ref ones as
    /// addresses, the sret slot first).
    pub(crate) fn call_helper(&mut self, name: &str) -> Result<(), Error> {
        let m = helper_module(self.pool.target())
            .map_err(|e| self.err(format!("internal error in wabe's helper functions: {e}")))?;
        let sym = helper_symbol(self.ctx, m, name, self.opts)
            .map_err(|e| self.unsupported(format!("helper function `{name}`: {e}")))?;
        self.op_a(MirTag::Call, sym.0);
        Ok(())
    }

    /// Whether an operand is a known constant; its value.
    pub(crate) fn const_value(&self, r: wabe_air::Ref) -> Option<&Value> {
        self.air.constant(r).map(|c| &c.value)
    }
}
