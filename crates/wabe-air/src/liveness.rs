//! Liveness: for each instruction, which values are used for the last time there.
//!
//! Values are ordered by a depth-first walk of the bodies (a `cond_br`'s then-body before its
//! else-body), which is a valid order for freeing: code in one branch never reads a value whose
//! last use is in a later branch. A value defined outside a loop and used inside it stays alive
//! until the loop instruction itself is done, since the loop may run its body again.
//! Code generation frees the wasm local of a value after generating its last use.

use crate::air::Air;

/// The last uses of every value in one function.
#[derive(Clone, Debug, Default)]
pub struct Liveness {
    /// `deaths[start[i]..start[i+1]]` are the instructions whose value dies at instruction `i`.
    start: Vec<u32>,
    deaths: Vec<u32>,
    /// Whether each instruction's value is never used.
    unused: Vec<bool>,
}

impl Liveness {
    /// Computes liveness for a verified function.
    pub fn compute(air: &Air) -> Liveness {
        let n = air.len();
        // last[v] = (instruction of the last use of v).
        let mut last = vec![u32::MAX; n];
        // Loop nesting: the loop instruction that encloses each instruction (u32::MAX at top).
        let mut enclosing_loop = vec![u32::MAX; n];
        let mut def_loop = vec![u32::MAX; n];
        let mut parent_loop = vec![u32::MAX; n];
        walk(air, air.main(), u32::MAX, &mut |inst, lp| {
            enclosing_loop[inst as usize] = lp;
            def_loop[inst as usize] = lp;
        });
        // Parent of each loop instruction: the loop enclosing it.
        for i in 0..n {
            if air.tags[i] == crate::Tag::Loop {
                parent_loop[i] = enclosing_loop[i];
            }
        }
        walk(air, air.main(), u32::MAX, &mut |inst, lp| {
            air.for_each_operand(inst, |r| {
                if let Some(v) = r.to_inst() {
                    // A use inside loops that do not enclose the definition happens, for
                    // freeing purposes, at the outermost such loop.
                    let mut at = inst;
                    let mut l = lp;
                    while l != u32::MAX && !loop_encloses(&parent_loop, def_loop[v as usize], l) {
                        at = l;
                        l = parent_loop[l as usize];
                    }
                    last[v as usize] = at;
                }
            });
        });
        let mut unused = vec![false; n];
        let mut counts = vec![0u32; n + 1];
        for (v, &at) in last.iter().enumerate() {
            if at == u32::MAX {
                unused[v] = true;
            } else {
                counts[at as usize] += 1;
            }
        }
        let mut start = Vec::with_capacity(n + 1);
        let mut acc = 0u32;
        for c in counts.iter().take(n) {
            start.push(acc);
            acc += c;
        }
        start.push(acc);
        let mut fill = start.clone();
        let mut deaths = vec![0u32; acc as usize];
        for (v, &at) in last.iter().enumerate() {
            if at != u32::MAX {
                deaths[fill[at as usize] as usize] = v as u32;
                fill[at as usize] += 1;
            }
        }
        Liveness {
            start,
            deaths,
            unused,
        }
    }

    /// The instructions whose values are used for the last time by instruction `inst`.
    pub fn deaths(&self, inst: u32) -> &[u32] {
        let i = inst as usize;
        &self.deaths[self.start[i] as usize..self.start[i + 1] as usize]
    }

    /// Whether the value of `inst` is never used.
    pub fn is_unused(&self, inst: u32) -> bool {
        self.unused[inst as usize]
    }
}

/// Whether loop `outer` (or the top level, `u32::MAX`) encloses loop `inner`.
fn loop_encloses(parent: &[u32], inner: u32, outer: u32) -> bool {
    let mut l = inner;
    loop {
        if l == outer {
            return true;
        }
        if l == u32::MAX {
            return false;
        }
        l = parent[l as usize];
    }
}

/// Visits every instruction in depth-first order with its innermost enclosing loop.
fn walk(air: &Air, body: &[u32], lp: u32, f: &mut dyn FnMut(u32, u32)) {
    for &inst in body {
        f(inst, lp);
        let inner = if air.tags[inst as usize] == crate::Tag::Loop {
            inst
        } else {
            lp
        };
        air.for_each_body(inst, |b| walk(air, b, inner, f));
    }
}
