//! # wabe-fuzzgen
//!
//! A generator of random, well-typed, terminating wabe IR programs, driven by
//! [`arbitrary::Unstructured`] so that the same generator serves `proptest`-style tests (random
//! bytes from a seeded generator) and cargo-fuzz (bytes from libFuzzer).
//!
//! A program is written as `.air` text: a few functions `f1`, `f2`, ... and an exported `main`
//! taking scalar arguments (given with the program) and returning a scalar. Functions call only
//! functions declared after them, and every loop counts a stack slot up to a small bound, so
//! every program terminates. Values are observed through the `print_*` imports of `wabe run`
//! and through `main`'s result.
//!
//! What is generated: integers of every width up to 128 bits (and wider with
//! [`Config::huge_ints`]), `bool`, `usize`/`isize`, `f16`, `f32`, `f64`; arithmetic (wrapping,
//! saturating, checked, with overflow bit), division, bit operations, shifts, comparisons and
//! casts; `block`/`cond_br`, `loop` with counters and accumulators in stack slots, `switch_br`
//! with items and ranges, calls, `var` globals (printed at the end of `main`, so their final
//! values are compared). Composite types come from a small table of named types made at the
//! start of each program (`type T3 = ...`, see `comp.rs`): structs (auto and `extern`), arrays,
//! slices of stack arrays and of global arrays, optionals (pointer-like ones included), error
//! unions over one error set, tagged unions, single-item pointers and function pointers. They
//! are built (`aggregate_init`, `wrap_*`, `union_init`, `array_to_slice`, constants), taken
//! apart (field, element and payload reads guarded by `is_null`/`is_err`/tag switches, indices
//! reduced with `rem` by the length), kept in stack slots (`struct_field_ptr`, `ptr_elem_ptr`,
//! `memcpy`, `memset`, the `_ptr` forms of optionals and error unions), passed to and returned
//! from functions of the `auto` and `c` conventions, stored in `const`/`var` data with pointers
//! to other globals and to their elements (`@g3[2]`, `@g1.f0`, `@g2[1..3]`), and called through
//! (function pointers from a table in a local array). Each kind has a [`Config`] switch.
//!
//! Pointers to stack slots never reach a global or a function result (values that may hold one
//! are tracked as *local*), so every pointer a program follows is valid, and no address is ever
//! printed. Programs may still hit illegal behaviour (an `add` that overflows, an `intcast`
//! that does not fit): the differential harness asks the reference interpreter and discards
//! those, rather than making every operation safe and the programs dull.
//!
//! # Example
//!
//! ```
//! use arbitrary::Unstructured;
//! use wabe_fuzzgen::{generate, Config};
//!
//! let bytes: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
//! let program = generate(&mut Unstructured::new(&bytes), &Config::default()).unwrap();
//! assert!(program.text.contains("export fn main("));
//! assert_eq!(program.entry, "main");
//! ```

#![deny(missing_docs)]

mod comp;

use arbitrary::{Result, Unstructured};
use comp::Comp;
use std::collections::HashSet;
use std::fmt::Write;

/// What the generator may use. New kinds of values are switched on as the compiler learns
/// them; the defaults are what the compiler supports today (everything but
/// [`Config::huge_ints`]).
#[derive(Clone, Debug)]
pub struct Config {
    /// The most functions besides `main`.
    pub max_functions: usize,
    /// The most statements in one body.
    pub max_statements: usize,
    /// The deepest nesting of blocks, loops and switches.
    pub max_depth: usize,
    /// The most iterations of one loop.
    pub max_loop_iterations: u32,
    /// Integers of 65 to 128 bits (`u128`, `i128`, `u100`, ...).
    pub wide_ints: bool,
    /// Integers of 129 to 256 bits (the compiler only loads, stores and passes those).
    pub huge_ints: bool,
    /// `f16` values.
    pub f16: bool,
    /// `var` declarations, loaded and stored through `@name`, printed at the end of `main`
    /// (so that their final values are compared).
    pub globals: bool,
    /// Structs (auto and `extern` layout) and arrays: values, stack slots, field and element
    /// pointers, `memcpy` and `memset`.
    pub aggregates: bool,
    /// Slices of stack arrays and of global arrays.
    pub slices: bool,
    /// Optionals, pointer-like ones (`?*T` of stack slots and globals) included.
    pub optionals: bool,
    /// Error unions over one error set, and functions returning them.
    pub error_unions: bool,
    /// Tagged unions (`union(enum)`), switched on by their tag.
    pub unions: bool,
    /// Function pointers: constants `@f`, tables of them in local arrays and in data, calls
    /// through them.
    pub fn_pointers: bool,
    /// Composite parameters and results (by reference), and functions of the C convention.
    pub by_ref_calls: bool,
    /// Single-item pointers as values, and pointers to globals and their elements in data
    /// (needs [`Config::globals`]).
    pub pointers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_functions: 3,
            max_statements: 10,
            max_depth: 3,
            max_loop_iterations: 5,
            wide_ints: true,
            huge_ints: false,
            f16: true,
            globals: true,
            aggregates: true,
            slices: true,
            optionals: true,
            error_unions: true,
            unions: true,
            fn_pointers: true,
            by_ref_calls: true,
            pointers: true,
        }
    }
}

impl Config {
    /// Everything switched on (for the interpreter alone, which knows all of IR.md).
    pub fn all() -> Self {
        Config {
            huge_ints: true,
            ..Config::default()
        }
    }

    /// Scalars only: integers up to 64 bits, `bool`, `f32`, `f64`, scalar globals (the
    /// generator of the first differential sessions).
    pub fn scalars() -> Self {
        Config {
            wide_ints: false,
            f16: false,
            aggregates: false,
            slices: false,
            optionals: false,
            error_unions: false,
            unions: false,
            fn_pointers: false,
            by_ref_calls: false,
            pointers: false,
            ..Config::default()
        }
    }
}

/// A generated program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The `.air` text.
    pub text: String,
    /// The exported function to call.
    pub entry: String,
    /// Its arguments, as `wabe run` takes them.
    pub args: Vec<String>,
}

impl Program {
    /// The program as a file ready for `tests/programs/`: a `// run:` line with the entry and
    /// arguments, then the text. (Expected output lines are the caller's to add.)
    pub fn to_file(&self, header: &str, expect: &[String]) -> String {
        let mut s = String::new();
        for l in header.lines() {
            let _ = writeln!(s, "// {l}");
        }
        let _ = writeln!(s, "// run: {} {}", self.entry, self.args.join(" "));
        for e in expect {
            let _ = writeln!(s, "// {e}");
        }
        s.push('\n');
        s.push_str(&self.text);
        s
    }
}

/// Generates a program from unstructured bytes. Running out of bytes gives smaller programs
/// (every choice falls back to its first option), never an error.
pub fn generate(u: &mut Unstructured<'_>, cfg: &Config) -> Result<Program> {
    let mut g = Gen {
        u,
        cfg,
        funcs: Vec::new(),
        out: String::new(),
        header: String::new(),
        indent: 0,
        vals: Vec::new(),
        local: HashSet::new(),
        slots: Vec::new(),
        next: 0,
        globals: Vec::new(),
        comps: Vec::new(),
        cur: 0,
        loops: 0,
        budget: 0,
        print_budget: 0,
        nest: 0,
    };
    g.program()
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum Ty {
    Bool,
    Int {
        signed: bool,
        bits: u16,
    },
    Usize,
    Isize,
    F16,
    F32,
    F64,
    /// A composite type: an index into `Gen::comps`, named `T{index}`.
    C(u16),
}

impl Ty {
    fn name(self) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::Int { signed, bits } => format!("{}{bits}", if signed { 'i' } else { 'u' }),
            Ty::Usize => "usize".into(),
            Ty::Isize => "isize".into(),
            Ty::F16 => "f16".into(),
            Ty::F32 => "f32".into(),
            Ty::F64 => "f64".into(),
            Ty::C(i) => format!("T{i}"),
        }
    }
    /// `(signed, bits)` of integer types (wasm32 `usize`).
    fn int(self) -> Option<(bool, u16)> {
        match self {
            Ty::Int { signed, bits } => Some((signed, bits)),
            Ty::Usize => Some((false, 32)),
            Ty::Isize => Some((true, 32)),
            _ => None,
        }
    }
    fn is_float(self) -> bool {
        matches!(self, Ty::F16 | Ty::F32 | Ty::F64)
    }
    fn is_scalar(self) -> bool {
        !matches!(self, Ty::C(_))
    }
    fn float_bits(self) -> u16 {
        match self {
            Ty::F16 => 16,
            Ty::F32 => 32,
            _ => 64,
        }
    }
}

const fn int(signed: bool, bits: u16) -> Ty {
    Ty::Int { signed, bits }
}

const USIZE: Ty = Ty::Usize;

struct Func {
    name: String,
    params: Vec<Ty>,
    ret: Ty,
    /// `callconv(c)`.
    c: bool,
}

/// A `const` or `var` declaration.
#[derive(Clone)]
struct Global {
    name: String,
    ty: Ty,
    var: bool,
}

struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    cfg: &'a Config,
    funcs: Vec<Func>,
    out: String,
    /// Type declarations, written before everything else.
    header: String,
    indent: usize,
    /// Values in scope: name and type.
    vals: Vec<(String, Ty)>,
    /// Values that may hold (or be) a pointer into the stack: they never reach a global or a
    /// function result.
    local: HashSet<String>,
    /// Stack slots in scope (`*T`): name and pointee.
    slots: Vec<(String, Ty)>,
    next: u32,
    /// `const`/`var` declarations.
    globals: Vec<Global>,
    /// The composite types `T0`, `T1`, ...
    comps: Vec<Comp>,
    cur: usize,
    loops: usize,
    budget: usize,
    /// Scalars a function may still print when printing composite values.
    print_budget: usize,
    /// How deeply composite values are being built inside each other (bounded, since
    /// exhausted input makes every `ratio` true).
    nest: usize,
}

impl Gen<'_, '_> {
    fn line(&mut self, s: impl AsRef<str>) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    fn fresh(&mut self) -> String {
        self.next += 1;
        format!("%v{}", self.next)
    }

    /// Records a value in scope; `local` says whether it may hold a stack address.
    fn push_val(&mut self, v: String, t: Ty, local: bool) {
        if local && self.has_ptr(t) {
            self.local.insert(v.clone());
        }
        self.vals.push((v, t));
    }

    fn is_local(&self, v: &str) -> bool {
        self.local.contains(v)
    }

    fn scalar_ty(&mut self) -> Result<Ty> {
        let mut choices = vec![
            Ty::Bool,
            int(false, 32),
            int(true, 32),
            int(false, 64),
            int(true, 64),
            int(false, 8),
            int(true, 8),
            int(false, 16),
            int(true, 16),
            Ty::Usize,
            Ty::Isize,
            Ty::F32,
            Ty::F64,
        ];
        if self.cfg.f16 {
            choices.push(Ty::F16);
        }
        if self.cfg.wide_ints {
            choices.push(int(false, 128));
            choices.push(int(true, 128));
        }
        let odd = self.u.ratio(1, 5)?;
        if odd {
            let signed = self.u.arbitrary()?;
            let max = if self.cfg.huge_ints {
                256
            } else if self.cfg.wide_ints {
                128
            } else {
                64
            };
            let bits = self.u.int_in_range(1..=max)?;
            return Ok(int(signed, bits));
        }
        Ok(*self.u.choose(&choices)?)
    }

    /// A type for a value: mostly a scalar, sometimes a composite type of the program.
    fn ty(&mut self) -> Result<Ty> {
        if !self.comps.is_empty() && self.u.ratio(1, 3)? {
            let i = self.u.choose_index(self.comps.len())?;
            return Ok(Ty::C(i as u16));
        }
        self.scalar_ty()
    }

    fn scalar_ret_ty(&mut self) -> Result<Ty> {
        // Results that `wabe run` can print: up to 64 bits.
        loop {
            let t = self.scalar_ty()?;
            if t.int().is_none_or(|(_, b)| b <= 64) {
                return Ok(t);
            }
        }
    }

    fn program(&mut self) -> Result<Program> {
        self.make_data_types()?;
        let n = self.u.int_in_range(0..=self.cfg.max_functions)?;
        let mut funcs: Vec<Func> = Vec::new();
        for k in 0..=n {
            let name = if k == 0 {
                "main".to_string()
            } else {
                format!("f{k}")
            };
            // Some functions share the signature of an earlier one (for function pointers).
            if k >= 2 && self.cfg.fn_pointers && self.u.ratio(1, 2)? {
                let j = self.u.int_in_range(1..=k - 1)?;
                let (params, ret, c) = (funcs[j].params.clone(), funcs[j].ret, funcs[j].c);
                funcs.push(Func {
                    name,
                    params,
                    ret,
                    c,
                });
                continue;
            }
            let np = self.u.int_in_range(0..=3usize)?;
            let mut params = Vec::new();
            for _ in 0..np {
                params.push(if k == 0 {
                    self.scalar_ret_ty()?
                } else if self.cfg.by_ref_calls {
                    self.ty()?
                } else {
                    self.scalar_ty()?
                });
            }
            let ret = if k == 0 {
                self.scalar_ret_ty()?
            } else if self.cfg.by_ref_calls {
                self.ty()?
            } else {
                self.scalar_ret_ty()?
            };
            let c = k > 0 && self.cfg.by_ref_calls && self.u.ratio(1, 3)?;
            funcs.push(Func {
                name,
                params,
                ret,
                c,
            });
        }
        self.funcs = funcs;
        self.make_fn_types()?;
        let mut args = Vec::new();
        for p in self.funcs[0].params.clone() {
            args.push(self.literal(p)?);
        }
        let mut text = String::new();
        text.push_str("extern fn print_i32(x: i32) void\n");
        text.push_str("extern fn print_u32(x: u32) void\n");
        text.push_str("extern fn print_i64(x: i64) void\n");
        text.push_str("extern fn print_u64(x: u64) void\n");
        text.push_str("extern fn print_f32(x: f32) void\n");
        text.push_str("extern fn print_f64(x: f64) void\n");
        if self.cfg.globals {
            self.make_globals()?;
        }
        for k in 0..self.funcs.len() {
            self.function(k)?;
        }
        text.insert_str(0, &self.header);
        text.push_str(&self.out);
        Ok(Program {
            text,
            entry: "main".into(),
            args,
        })
    }

    /// A few `var`/`const` declarations of any type (the targets of pointers and slices are
    /// made when a constant needs them).
    fn make_globals(&mut self) -> Result<()> {
        let n = self.u.int_in_range(0..=3usize)?;
        for _ in 0..n {
            let t = self.ty()?;
            let var = !self.u.ratio(1, 4)?;
            self.global(t, var)?;
        }
        Ok(())
    }

    fn global(&mut self, t: Ty, var: bool) -> Result<()> {
        let k = self.globals.len();
        self.globals.push(Global {
            name: format!("@g{k}"),
            ty: t,
            var,
        });
        let lit = self.literal(t)?;
        let kw = if var { "var" } else { "const" };
        let _ = writeln!(self.header, "{kw} g{k}: {} = {lit}", t.name());
        Ok(())
    }

    fn function(&mut self, k: usize) -> Result<()> {
        self.cur = k;
        self.next = 0;
        self.vals.clear();
        self.local.clear();
        self.slots.clear();
        self.loops = 0;
        self.budget = self.cfg.max_statements * 4;
        self.print_budget = 40;
        let f = &self.funcs[k];
        let mut head = String::new();
        if k == 0 {
            head.push_str("export ");
        }
        let _ = write!(head, "fn {}(", f.name);
        let params = f.params.clone();
        let ret = f.ret;
        for (i, p) in params.iter().enumerate() {
            let _ = write!(head, "{}%p{i}: {}", if i > 0 { ", " } else { "" }, p.name());
        }
        let _ = write!(head, ") {}", ret.name());
        if f.c {
            head.push_str(" callconv(c)");
        }
        head.push_str(" {");
        self.out.push('\n');
        self.line(head);
        self.indent += 1;
        for (i, p) in params.iter().enumerate() {
            // A caller may pass pointers into its own frame.
            self.push_val(format!("%p{i}"), *p, true);
        }
        self.statements(0)?;
        if k == 0 {
            // The final values of the globals.
            self.print_budget = 200;
            for g in self.globals.clone() {
                if g.var {
                    let v = self.fresh();
                    self.line(format!("{v} = load {}", g.name));
                    self.print(&v, g.ty)?;
                }
            }
        }
        let r = self.ret_operand(ret)?;
        self.line(format!("ret {r}"));
        self.indent -= 1;
        self.line("}");
        Ok(())
    }

    /// An operand for `ret`: never a value that may hold a stack address.
    fn ret_operand(&mut self, t: Ty) -> Result<String> {
        self.global_operand(t)
    }

    fn statements(&mut self, depth: usize) -> Result<()> {
        let n = self.u.int_in_range(1..=self.cfg.max_statements)?;
        for _ in 0..n {
            if self.budget == 0 || self.u.is_empty() {
                break;
            }
            self.budget -= 1;
            self.statement(depth)?;
        }
        Ok(())
    }

    fn statement(&mut self, depth: usize) -> Result<()> {
        let nested = depth < self.cfg.max_depth;
        match self.u.int_in_range(0..=109u32)? {
            0..=39 => {
                let t = self.ty()?;
                let v = self.expr(t)?;
                let local = self.is_local(&v);
                self.push_val(v, t, local);
            }
            40..=54 => {
                if let Some((v, t)) = self.pick_any()? {
                    self.print(&v, t)?;
                }
            }
            55..=64 => self.call()?,
            65..=74 if nested => self.if_else(depth)?,
            75..=84 if nested && self.loops < 2 => self.counted_loop(depth)?,
            85..=91 if nested => self.switch(depth)?,
            92..=101 if !self.comps.is_empty() => self.comp_statement(depth)?,
            _ => self.slot_op()?,
        }
        Ok(())
    }

    fn pick_any(&mut self) -> Result<Option<(String, Ty)>> {
        if self.vals.is_empty() {
            return Ok(None);
        }
        let i = self.u.choose_index(self.vals.len())?;
        Ok(Some(self.vals[i].clone()))
    }

    fn pick(&mut self, t: Ty) -> Result<Option<String>> {
        self.pick_where(t, false)
    }

    fn pick_where(&mut self, t: Ty, nonlocal: bool) -> Result<Option<String>> {
        let found: Vec<usize> = (0..self.vals.len())
            .filter(|&i| self.vals[i].1 == t && !(nonlocal && self.is_local(&self.vals[i].0)))
            .collect();
        if found.is_empty() {
            return Ok(None);
        }
        let i = *self.u.choose(&found)?;
        Ok(Some(self.vals[i].0.clone()))
    }

    /// An operand of type `t`: a value in scope or a constant.
    fn operand(&mut self, t: Ty) -> Result<String> {
        if self.u.ratio(3, 4)? {
            if let Some(v) = self.pick(t)? {
                return Ok(v);
            }
        }
        if !t.is_scalar() && self.nest < 3 && self.u.ratio(1, 2)? {
            return self.expr(t);
        }
        Ok(format!("{}:{}", self.literal(t)?, t.name()))
    }

    /// An operand that may be stored in a global or returned: no stack addresses.
    fn global_operand(&mut self, t: Ty) -> Result<String> {
        if self.u.ratio(3, 4)? {
            if let Some(v) = self.pick_where(t, true)? {
                return Ok(v);
            }
        }
        Ok(format!("{}:{}", self.literal(t)?, t.name()))
    }

    /// An operand that is an instruction result (not a constant), for operations whose
    /// operands must not all be constants to be interesting.
    fn value(&mut self, t: Ty) -> Result<String> {
        if let Some(v) = self.pick(t)? {
            if self.u.ratio(2, 3)? {
                return Ok(v);
            }
        }
        if !self.comps.is_empty() && self.nest < 3 && self.u.ratio(1, 4)? {
            if let Some(v) = self.project(t)? {
                return Ok(v);
            }
        }
        let lit = self.literal(t)?;
        // Through a stack slot, so that the constant is not folded away.
        let s = self.fresh();
        self.line(format!("{s} = alloc {}", t.name()));
        self.line(format!("store {s}, {lit}:{}", t.name()));
        let v = self.fresh();
        self.line(format!("{v} = load {s}"));
        self.push_val(v.clone(), t, false);
        Ok(v)
    }

    fn literal(&mut self, t: Ty) -> Result<String> {
        Ok(match t {
            Ty::C(_) => return self.comp_literal(t),
            Ty::Bool => if self.u.arbitrary()? { "true" } else { "false" }.into(),
            Ty::F16 => {
                let vals = [
                    "0.0",
                    "-0.0",
                    "1.0",
                    "-1.5",
                    "0.5",
                    "65504.0",
                    "-65504.0",
                    "inf",
                    "-inf",
                    "nan",
                    "0.0999755859375",
                    "3.140625",
                    "6.103515625e-5",
                    "5.960464477539063e-8",
                    "1024.0",
                    "-7.0",
                ];
                (*self.u.choose(&vals)?).into()
            }
            Ty::F32 | Ty::F64 => {
                let special = [
                    "0.0",
                    "-0.0",
                    "1.0",
                    "-1.0",
                    "0.5",
                    "2.5",
                    "-3.75",
                    "0.1",
                    "1e10",
                    "-1e-5",
                    "inf",
                    "-inf",
                    "nan",
                    "1e-40",
                    "16777217.0",
                    "4294967296.0",
                    "-2147483649.0",
                ];
                if self.u.ratio(1, 2)? {
                    (*self.u.choose(&special)?).into()
                } else if t == Ty::F32 {
                    let x = f32::from_bits(self.u.arbitrary()?);
                    float_text(x as f64)
                } else {
                    let x = f64::from_bits(self.u.arbitrary()?);
                    float_text(x)
                }
            }
            _ => {
                let (signed, bits) = t.int().unwrap_or((false, 32));
                int_literal(self.u, signed, bits)?
            }
        })
    }

    fn expr(&mut self, t: Ty) -> Result<String> {
        match t {
            Ty::Bool => self.bool_expr(),
            Ty::C(_) => self.comp_expr(t),
            _ if t.is_float() => self.float_expr(t),
            _ => self.int_expr(t),
        }
    }

    fn bool_expr(&mut self) -> Result<String> {
        let r = self.fresh();
        match self.u.int_in_range(0..=5u32)? {
            0..=2 => {
                let t = self.scalar_ty()?;
                let ops = [
                    "cmp_eq", "cmp_neq", "cmp_lt", "cmp_lte", "cmp_gt", "cmp_gte",
                ];
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                let b = self.operand(t)?;
                self.line(format!("{r} = {op} {a}, {b}"));
            }
            3 => {
                let a = self.value(Ty::Bool)?;
                self.line(format!("{r} = not {a}"));
            }
            4 if !self.comps.is_empty() => {
                if let Some(b) = self.comp_bool()? {
                    return Ok(b);
                }
                let a = self.value(Ty::Bool)?;
                self.line(format!("{r} = not {a}"));
            }
            _ => {
                let ops = [
                    "bool_and", "bool_or", "xor", "bit_and", "bit_or", "cmp_eq", "cmp_neq",
                ];
                let op = *self.u.choose(&ops)?;
                let a = self.value(Ty::Bool)?;
                let b = self.operand(Ty::Bool)?;
                self.line(format!("{r} = {op} {a}, {b}"));
            }
        }
        Ok(r)
    }

    fn float_expr(&mut self, t: Ty) -> Result<String> {
        let r = self.fresh();
        let n = t.name();
        match self.u.int_in_range(0..=9u32)? {
            0..=3 => {
                let ops = ["add", "sub", "mul", "div_float", "min", "max"];
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                let b = self.operand(t)?;
                self.line(format!("{r} = {op} {a}, {b}"));
            }
            4 | 5 => {
                let ops = [
                    "neg",
                    "sqrt",
                    "floor",
                    "ceil",
                    "trunc_float",
                    "round",
                    "fabs",
                ];
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                self.line(format!("{r} = {op} {a}"));
            }
            6 => {
                let from = self.int_ty()?;
                let a = self.value(from)?;
                self.line(format!("{r} = int_to_float {n}, {a}"));
            }
            7 => {
                let mut floats = vec![Ty::F32, Ty::F64];
                if self.cfg.f16 {
                    floats.push(Ty::F16);
                }
                let from = *self.u.choose(&floats)?;
                let a = self.value(from)?;
                let op = match from.float_bits().cmp(&t.float_bits()) {
                    std::cmp::Ordering::Less => "fpext",
                    std::cmp::Ordering::Greater => "fptrunc",
                    std::cmp::Ordering::Equal => {
                        self.line(format!("{r} = add {a}, -0.0:{n}"));
                        return Ok(r);
                    }
                };
                self.line(format!("{r} = {op} {n}, {a}"));
            }
            8 => {
                let from = int(self.u.arbitrary()?, t.float_bits());
                let a = self.value(from)?;
                self.line(format!("{r} = bitcast {n}, {a}"));
            }
            _ => {
                let a = self.value(t)?;
                let b = self.operand(t)?;
                let c = self.value(Ty::Bool)?;
                // A select through a block.
                self.line(format!("{r} = block {n} {{"));
                self.indent += 1;
                self.line(format!("cond_br {c} {{"));
                self.line(format!("  br {r}, {a}"));
                self.line("} else {");
                self.line(format!("  br {r}, {b}"));
                self.line("}");
                self.indent -= 1;
                self.line("}");
            }
        }
        Ok(r)
    }

    fn int_ty(&mut self) -> Result<Ty> {
        loop {
            let t = self.scalar_ty()?;
            if t.int().is_some() {
                return Ok(t);
            }
        }
    }

    fn int_expr(&mut self, t: Ty) -> Result<String> {
        let (signed, bits) = t.int().unwrap_or((false, 32));
        let n = t.name();
        let r = self.fresh();
        match self.u.int_in_range(0..=16u32)? {
            0..=4 => {
                let ops = [
                    "add_wrap", "sub_wrap", "mul_wrap", "add_sat", "sub_sat", "mul_sat", "bit_and",
                    "bit_or", "xor", "min", "max", "add", "sub", "mul",
                ];
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                let b = self.operand(t)?;
                self.line(format!("{r} = {op} {a}, {b}"));
            }
            5 => {
                let ops = ["div_trunc", "div_floor", "rem", "mod", "div_exact"];
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                let b = self.operand(t)?;
                // Mostly a nonzero divisor; sometimes a possible trap.
                if self.u.ratio(9, 10)? {
                    let nz = self.fresh();
                    let one = if signed && bits == 1 { "-1" } else { "1" };
                    self.line(format!("{nz} = bit_or {b}, {one}:{n}"));
                    self.line(format!("{r} = {op} {a}, {nz}"));
                } else {
                    self.line(format!("{r} = {op} {a}, {b}"));
                }
            }
            6 | 7 => {
                let ops = [
                    "shl",
                    "shr",
                    "shl_sat",
                    "shl_exact",
                    "shr_exact",
                    "shl",
                    "shr",
                ];
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                let amt = self.shift_amount(bits)?;
                self.line(format!("{r} = {op} {a}, {amt}"));
            }
            8 => {
                let mut ops = vec!["not", "clz", "ctz", "popcount", "bit_reverse"];
                if bits % 8 == 0 {
                    ops.push("byte_swap");
                }
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                self.line(format!("{r} = {op} {a}"));
            }
            9 | 10 => {
                // From another integer type: widen with intcast, narrow with trunc.
                let from = self.int_ty()?;
                let (fs, fb) = from.int().unwrap_or((false, 32));
                let a = self.value(from)?;
                let widening = fb < bits && (fs == signed || !fs) || (fb == bits && fs == signed);
                if from == t {
                    self.line(format!("{r} = add_wrap {a}, 0:{n}"));
                } else if widening || self.u.ratio(1, 8)? {
                    self.line(format!("{r} = intcast {n}, {a}"));
                } else if fb >= bits {
                    self.line(format!("{r} = trunc {n}, {a}"));
                } else {
                    // Narrower source of the other signedness: widen first, then truncate
                    // (or reinterpret, where one more bit would be wider than 128).
                    let w = self.fresh();
                    if bits >= 128 && !self.cfg.huge_ints {
                        let same = int(fs, bits);
                        self.line(format!("{w} = intcast {}, {a}", same.name()));
                        self.line(format!("{r} = bitcast {n}, {w}"));
                    } else {
                        let wide = int(fs, bits.max(fb) + 1);
                        self.line(format!("{w} = intcast {}, {a}", wide.name()));
                        self.line(format!("{r} = trunc {n}, {w}"));
                    }
                }
            }
            11 => {
                let ops = [
                    "add_with_overflow",
                    "sub_with_overflow",
                    "mul_with_overflow",
                    "shl_with_overflow",
                ];
                let op = *self.u.choose(&ops)?;
                let a = self.value(t)?;
                let b = if op == "shl_with_overflow" {
                    self.shift_amount(bits)?
                } else {
                    self.operand(t)?
                };
                let pair = self.fresh();
                self.line(format!("{pair} = {op} {a}, {b}"));
                let bit = self.fresh();
                self.line(format!("{r} = struct_field_val {pair}, 0"));
                self.line(format!("{bit} = struct_field_val {pair}, 1"));
                self.push_val(bit, int(false, 1), false);
            }
            12 => {
                let mut floats = vec![Ty::F32, Ty::F64];
                if self.cfg.f16 {
                    floats.push(Ty::F16);
                }
                let from = *self.u.choose(&floats)?;
                let a = self.value(from)?;
                if self.u.ratio(1, 3)? {
                    self.line(format!("{r} = float_to_int {n}, {a}"));
                } else {
                    // Clamp into a range every integer type of 8 or more bits holds.
                    let t1 = self.fresh();
                    let t2 = self.fresh();
                    let t3 = self.fresh();
                    let fname = from.name();
                    self.line(format!("{t1} = min {a}, 100.0:{fname}"));
                    self.line(format!("{t2} = max {t1}, 0.0:{fname}"));
                    if bits >= 8 {
                        self.line(format!("{r} = float_to_int {n}, {t2}"));
                    } else {
                        self.line(format!("{t3} = float_to_int u8, {t2}"));
                        self.line(format!("{r} = trunc {n}, {t3}"));
                    }
                }
            }
            13 if matches!(bits, 16 | 32 | 64) => {
                let f = match bits {
                    16 if self.cfg.f16 => Ty::F16,
                    32 => Ty::F32,
                    64 => Ty::F64,
                    _ => {
                        let a = self.value(t)?;
                        let k = int_literal(self.u, signed, bits)?;
                        self.line(format!("{r} = xor {a}, {k}:{n}"));
                        return Ok(r);
                    }
                };
                let mut a = self.value(f)?;
                if f == Ty::F16 {
                    // The sign and payload of an `f16` NaN made by arithmetic differ between
                    // engines (`f16` arithmetic runs in `f32`): observe NaNs as one NaN.
                    let c = self.fresh();
                    let b = self.fresh();
                    self.line(format!("{c} = cmp_neq {a}, {a}"));
                    self.line(format!("{b} = block f16 {{"));
                    self.line(format!("  cond_br {c} {{"));
                    self.line(format!("    br {b}, nan:f16"));
                    self.line("  } else {");
                    self.line(format!("    br {b}, {a}"));
                    self.line("  }");
                    self.line("}");
                    a = b;
                }
                self.line(format!("{r} = bitcast {n}, {a}"));
            }
            14 if bits == 1 && !signed => {
                let b = self.value(Ty::Bool)?;
                self.line(format!("{r} = bool_to_int {b}"));
            }
            15 => {
                // A load from a fresh stack slot.
                let s = self.fresh();
                let a = self.operand(t)?;
                self.line(format!("{s} = alloc {n}"));
                self.line(format!("store {s}, {a}"));
                self.line(format!("{r} = load {s}"));
            }
            _ => {
                let a = self.value(t)?;
                let b = self.operand(t)?;
                self.line(format!("{r} = sub_wrap {a}, {b}"));
            }
        }
        Ok(r)
    }

    /// A shift amount below `bits` (mostly): a constant, or a value masked by its log2 type.
    fn shift_amount(&mut self, bits: u16) -> Result<String> {
        if bits.is_power_of_two() && bits >= 2 && self.u.ratio(1, 2)? {
            let k = bits.trailing_zeros() as u16;
            let from = int(false, 32.max(k));
            let v = self.value(from)?;
            let r = self.fresh();
            self.line(format!("{r} = trunc u{k}, {v}"));
            return Ok(r);
        }
        let max = if self.u.ratio(1, 30)? {
            bits
        } else {
            bits.saturating_sub(1)
        };
        let amt = self.u.int_in_range(0..=max)?;
        let amt_ty = *self.u.choose(&["u32", "u8", "u16", "i32", "u64"])?;
        let amt_ty = if amt > 127 { "u32" } else { amt_ty };
        Ok(format!("{amt}:{amt_ty}"))
    }

    fn print(&mut self, v: &str, t: Ty) -> Result<()> {
        if self.print_budget == 0 {
            return Ok(());
        }
        self.print_budget -= 1;
        match t {
            Ty::C(_) => self.print_comp(v, t)?,
            Ty::Bool => {
                let a = self.fresh();
                let b = self.fresh();
                self.line(format!("{a} = bool_to_int {v}"));
                self.line(format!("{b} = intcast u32, {a}"));
                self.line(format!("call @print_u32({b})"));
            }
            Ty::F16 => {
                let a = self.fresh();
                self.line(format!("{a} = fpext f32, {v}"));
                self.line(format!("call @print_f32({a})"));
            }
            Ty::F32 => self.line(format!("call @print_f32({v})")),
            Ty::F64 => self.line(format!("call @print_f64({v})")),
            _ => {
                let (signed, bits) = t.int().unwrap_or((false, 32));
                let (target, f) = match (signed, bits) {
                    (true, 0..=32) => ("i32", "print_i32"),
                    (false, 0..=32) => ("u32", "print_u32"),
                    (true, 33..=64) => ("i64", "print_i64"),
                    (false, 33..=64) => ("u64", "print_u64"),
                    _ => ("u64", "print_u64"),
                };
                if t.name() == target {
                    self.line(format!("call @{f}({v})"));
                } else if bits > 64 {
                    let lo = self.fresh();
                    let sh = self.fresh();
                    let hi = self.fresh();
                    self.line(format!("{lo} = trunc u64, {v}"));
                    self.line(format!("call @print_u64({lo})"));
                    self.line(format!("{sh} = shr {v}, 64:u32"));
                    self.line(format!("{hi} = trunc u64, {sh}"));
                    self.line(format!("call @print_u64({hi})"));
                } else {
                    let a = self.fresh();
                    self.line(format!("{a} = intcast {target}, {v}"));
                    self.line(format!("call @{f}({a})"));
                }
            }
        }
        Ok(())
    }

    fn call(&mut self) -> Result<()> {
        if self.cur + 1 >= self.funcs.len() {
            return Ok(());
        }
        // Calls inside loops multiply work; keep them rarer there.
        if self.loops > 0 && !self.u.ratio(1, 3)? {
            return Ok(());
        }
        let k = self.u.int_in_range(self.cur + 1..=self.funcs.len() - 1)?;
        let params = self.funcs[k].params.clone();
        let ret = self.funcs[k].ret;
        let name = self.funcs[k].name.clone();
        let mut args = Vec::new();
        for p in params {
            args.push(self.operand(p)?);
        }
        let r = self.fresh();
        self.line(format!("{r} = call @{name}({})", args.join(", ")));
        self.push_val(r, ret, false);
        Ok(())
    }

    fn scoped(
        &mut self,
        depth: usize,
        f: impl FnOnce(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        let (nv, ns) = (self.vals.len(), self.slots.len());
        self.indent += 1;
        let r = f(self, depth + 1);
        self.indent -= 1;
        self.vals.truncate(nv);
        self.slots.truncate(ns);
        r
    }

    fn if_else(&mut self, depth: usize) -> Result<()> {
        let t = self.ty()?;
        let c = self.value(Ty::Bool)?;
        let b = self.fresh();
        self.line(format!("{b} = block {} {{", t.name()));
        self.indent += 1;
        self.line(format!("cond_br {c} {{"));
        self.scoped(depth, |g, d| {
            g.statements(d)?;
            let v = g.operand(t)?;
            g.line(format!("br {b}, {v}"));
            Ok(())
        })?;
        self.line("} else {");
        self.scoped(depth, |g, d| {
            if g.u.ratio(1, 6)? {
                // An early return.
                let ret = g.funcs[g.cur].ret;
                let v = g.ret_operand(ret)?;
                g.line(format!("ret {v}"));
                return Ok(());
            }
            g.statements(d)?;
            let v = g.operand(t)?;
            g.line(format!("br {b}, {v}"));
            Ok(())
        })?;
        self.line("}");
        self.indent -= 1;
        self.line("}");
        self.push_val(b, t, true);
        Ok(())
    }

    fn counted_loop(&mut self, depth: usize) -> Result<()> {
        let iters = self.u.int_in_range(0..=self.cfg.max_loop_iterations)?;
        let cnt = self.fresh();
        let acc_t = self.ty()?;
        let acc = self.fresh();
        let init = self.operand(acc_t)?;
        self.line(format!("{cnt} = alloc u32"));
        self.line(format!("store {cnt}, 0:u32"));
        self.line(format!("{acc} = alloc {}", acc_t.name()));
        self.line(format!("store {acc}, {init}"));
        let lb = self.fresh();
        self.line(format!("{lb} = block void {{"));
        self.indent += 1;
        self.line("loop {");
        self.indent += 1;
        let i = self.fresh();
        let c = self.fresh();
        self.line(format!("{i} = load {cnt}"));
        self.line(format!("{c} = cmp_lt {i}, {iters}:u32"));
        self.line(format!("cond_br {c} {{"));
        self.loops += 1;
        self.slots.push((acc.clone(), acc_t));
        let r = self.scoped(depth, |g, d| {
            g.push_val(i.clone(), int(false, 32), false);
            g.statements(d)?;
            // Fold something into the accumulator.
            let a = g.fresh();
            g.line(format!("{a} = load {acc}"));
            g.push_val(a.clone(), acc_t, true);
            let v = g.expr(acc_t)?;
            g.line(format!("store {acc}, {v}"));
            if g.u.ratio(1, 8)? {
                let e = g.value(Ty::Bool)?;
                g.line(format!("cond_br {e} {{"));
                g.line(format!("  br {lb}"));
                g.line("} else {");
                g.indent += 1;
                g.next_iteration(&i, &cnt);
                g.indent -= 1;
                g.line("}");
            } else {
                g.next_iteration(&i, &cnt);
            }
            Ok(())
        });
        self.loops -= 1;
        self.slots.pop();
        r?;
        self.line("} else {");
        self.line(format!("  br {lb}"));
        self.line("}");
        self.indent -= 1;
        self.line("}");
        self.indent -= 1;
        self.line("}");
        let r = self.fresh();
        self.line(format!("{r} = load {acc}"));
        self.push_val(r, acc_t, true);
        Ok(())
    }

    fn next_iteration(&mut self, i: &str, cnt: &str) {
        let n = self.fresh();
        self.line(format!("{n} = add {i}, 1:u32"));
        self.line(format!("store {cnt}, {n}"));
        self.line("repeat");
    }

    fn switch(&mut self, depth: usize) -> Result<()> {
        let st = self.int_ty()?;
        let (_, bits) = st.int().unwrap_or((false, 32));
        // (The compiler does not lower `switch_br` on integers wider than 128 bits yet.)
        if !(4..=128).contains(&bits) {
            return Ok(());
        }
        let x = self.value(st)?;
        let sx = self.fresh();
        self.line(format!("{sx} = bit_and {x}, 7:{}", st.name()));
        let t = self.ty()?;
        let b = self.fresh();
        self.line(format!("{b} = block {} {{", t.name()));
        self.indent += 1;
        self.line(format!("switch_br {sx} {{"));
        self.indent += 1;
        // Split 0..8 into up to four cases: single items, lists and ranges.
        let mut start = 0u32;
        let mut cases = 0;
        while start < 8 && cases < 4 {
            let len = self.u.int_in_range(1..=3u32)?.min(8 - start);
            let head = match (len, self.u.arbitrary::<bool>()?) {
                (1, _) => format!("{start}"),
                (_, true) => format!("{start}...{}", start + len - 1),
                _ => (start..start + len)
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            self.line(format!("{head} => {{"));
            self.scoped(depth, |g, d| {
                g.statements(d)?;
                let v = g.operand(t)?;
                g.line(format!("br {b}, {v}"));
                Ok(())
            })?;
            self.line("}");
            start += len;
            cases += 1;
        }
        self.line("else => {");
        self.scoped(depth, |g, d| {
            g.statements(d)?;
            let v = g.operand(t)?;
            g.line(format!("br {b}, {v}"));
            Ok(())
        })?;
        self.line("}");
        self.indent -= 1;
        self.line("}");
        self.indent -= 1;
        self.line("}");
        self.push_val(b, t, true);
        Ok(())
    }

    fn slot_op(&mut self) -> Result<()> {
        if !self.globals.is_empty() && self.u.ratio(1, 3)? {
            let i = self.u.choose_index(self.globals.len())?;
            let g = self.globals[i].clone();
            if g.var && self.u.arbitrary()? {
                let v = self.global_operand(g.ty)?;
                self.line(format!("store {}, {v}", g.name));
            } else {
                let r = self.fresh();
                self.line(format!("{r} = load {}", g.name));
                self.push_val(r, g.ty, false);
            }
            return Ok(());
        }
        if self.slots.is_empty() || self.u.ratio(1, 3)? {
            let t = self.ty()?;
            let s = self.fresh();
            let v = self.operand(t)?;
            self.line(format!("{s} = alloc {}", t.name()));
            self.line(format!("store {s}, {v}"));
            self.slots.push((s, t));
            return Ok(());
        }
        let i = self.u.choose_index(self.slots.len())?;
        let (s, t) = self.slots[i].clone();
        if self.u.arbitrary()? {
            let v = self.operand(t)?;
            self.line(format!("store {s}, {v}"));
        } else {
            let r = self.fresh();
            self.line(format!("{r} = load {s}"));
            self.push_val(r, t, true);
        }
        Ok(())
    }
}

/// A float as an IR literal (`nan`, `inf`, `-inf`, or Rust's shortest round-trip form).
fn float_text(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x < 0.0 { "-inf" } else { "inf" }.into()
    } else {
        format!("{x:?}")
    }
}

/// An integer literal of a type: interesting values (0, 1, -1, the bounds) or random ones.
fn int_literal(u: &mut Unstructured<'_>, signed: bool, bits: u16) -> Result<String> {
    if bits == 0 {
        return Ok("0".into());
    }
    // Values for widths up to 128 bits are computed exactly; wider types use 128-bit values.
    let b = bits.min(128) as u32;
    let umax: u128 = if b == 128 {
        u128::MAX
    } else {
        (1u128 << b) - 1
    };
    let (min, max): (i128, u128) = if signed {
        ((1i128 << (b - 1).min(127)).wrapping_neg(), (umax >> 1))
    } else {
        (0, umax)
    };
    Ok(match u.int_in_range(0..=9u32)? {
        0 => "0".into(),
        1 if max >= 1 => "1".into(),
        2 if signed => "-1".into(),
        3 => max.to_string(),
        4 if signed => {
            if b == 128 {
                i128::MIN.to_string()
            } else {
                min.to_string()
            }
        }
        5 => (u.int_in_range(0..=16u32)? as u128).min(max).to_string(),
        _ => {
            let raw: u128 = u.arbitrary()?;
            let v = raw & umax;
            if signed && b > 0 && (v >> (b - 1)) & 1 == 1 {
                // Negative: sign-extend.
                let neg = (v | !umax) as i128;
                neg.to_string()
            } else {
                v.to_string()
            }
        }
    })
}
