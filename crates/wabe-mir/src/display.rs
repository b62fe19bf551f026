//! A WAT-like text form of MIR, one instruction per line, for snapshot tests and debugging.
//!
//! Structured instructions (`block`, `loop`, `if`) indent their bodies by two spaces; `else` and
//! `end` line up with the instruction that opened the block. Symbols print as `@sym3`. The
//! pseudo-instructions print as `mem_addr @sym3+8` (a data address plus addend) and
//! `table_index @sym5` (a function's table slot), since their width depends on the target.

use std::fmt::Write;

use crate::{Imm, MirFunction, MirTag, SymbolIndex};

impl std::fmt::Display for SymbolIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@sym{}", self.0)
    }
}

impl MirFunction {
    /// The function as text: a `(local ...)` line if it declares locals, then one line per
    /// instruction (without the implicit final `end`).
    ///
    /// ```
    /// use wabe_mir::{MirData, MirFunction, MirTag, ValType};
    ///
    /// let mut f = MirFunction::default();
    /// f.locals.push(ValType::I32);
    /// f.push(MirTag::Block, MirData::a(0x40));
    /// f.push(MirTag::Call, MirData::a(3));
    /// f.push(MirTag::End, MirData::default());
    /// assert_eq!(f.display(), "(local i32)\nblock\n  call @sym3\nend\n");
    /// ```
    pub fn display(&self) -> String {
        let mut s = String::new();
        if !self.locals.is_empty() {
            s.push_str("(local");
            for t in &self.locals {
                s.push(' ');
                s.push_str(t.name());
            }
            s.push_str(")\n");
        }
        let mut depth = 0usize;
        for (tag, data) in self.tags.iter().zip(&self.data) {
            let (tag, data) = (*tag, *data);
            let line_depth = match tag {
                MirTag::End | MirTag::Else => depth.saturating_sub(1),
                _ => depth,
            };
            for _ in 0..line_depth {
                s.push_str("  ");
            }
            match tag {
                MirTag::MemAddr => s.push_str("mem_addr"),
                MirTag::TableIndex => s.push_str("table_index"),
                _ => s.push_str(tag.name()),
            }
            // Writing to a String cannot fail.
            let _ = match tag.immediate() {
                Imm::None | Imm::Memory | Imm::MemoryCopy => Ok(()),
                Imm::BlockType => match data.a {
                    0x40 => Ok(()),
                    0x7f => write!(s, " (result i32)"),
                    0x7e => write!(s, " (result i64)"),
                    0x7d => write!(s, " (result f32)"),
                    0x7c => write!(s, " (result f64)"),
                    other => write!(s, " (blocktype {other:#x})"),
                },
                Imm::Label | Imm::Local => write!(s, " {}", data.a),
                Imm::BrTable => {
                    let at = data.a as usize;
                    let labels = self
                        .extra
                        .get(at)
                        .and_then(|&count| self.extra.get(at + 1..at + 2 + count as usize));
                    match labels {
                        Some(labels) => {
                            for l in labels {
                                let _ = write!(s, " {l}");
                            }
                            Ok(())
                        }
                        None => write!(s, " <bad extra {at}>"),
                    }
                }
                Imm::Func | Imm::Global | Imm::TableIndex => {
                    write!(s, " {}", SymbolIndex(data.a))
                }
                Imm::CallIndirect => write!(s, " (type {})", data.a),
                Imm::MemArg => {
                    if data.a != 0 {
                        let _ = write!(s, " offset={}", data.a);
                    }
                    if tag.natural_alignment() != Some(data.b) {
                        let _ = match 1u64.checked_shl(data.b) {
                            Some(bytes) => write!(s, " align={bytes}"),
                            None => write!(s, " align=2**{}", data.b),
                        };
                    }
                    Ok(())
                }
                Imm::I32 => write!(s, " {}", data.a as i32),
                Imm::I64 => write!(s, " {}", data.wide() as i64),
                Imm::F32 => {
                    let v = f32::from_bits(data.a);
                    s.push(' ');
                    write_float(
                        &mut s,
                        v.is_nan(),
                        v.is_sign_negative(),
                        || format!("{v:?}"),
                        u64::from(data.a & 0x7f_ffff),
                        0x40_0000,
                    )
                }
                Imm::F64 => {
                    let v = f64::from_bits(data.wide());
                    s.push(' ');
                    write_float(
                        &mut s,
                        v.is_nan(),
                        v.is_sign_negative(),
                        || format!("{v:?}"),
                        data.wide() & 0xf_ffff_ffff_ffff,
                        0x8_0000_0000_0000,
                    )
                }
                Imm::MemAddr => {
                    let addend = data.b as i32;
                    let sym = SymbolIndex(data.a);
                    match addend {
                        0 => write!(s, " {sym}"),
                        a if a > 0 => write!(s, " {sym}+{a}"),
                        a => write!(s, " {sym}{a}"),
                    }
                }
            };
            s.push('\n');
            match tag {
                MirTag::Block | MirTag::Loop | MirTag::If => depth += 1,
                MirTag::End => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        s
    }
}

/// Writes a float as WAT does: `inf`, `-inf`, `nan`, `nan:0x...` for a non-canonical payload,
/// else the shortest decimal that reads back the same.
fn write_float(
    s: &mut String,
    nan: bool,
    negative: bool,
    finite: impl FnOnce() -> String,
    payload: u64,
    canonical: u64,
) -> std::fmt::Result {
    if nan {
        if negative {
            s.push('-');
        }
        if payload == canonical {
            s.push_str("nan");
            Ok(())
        } else {
            write!(s, "nan:{payload:#x}")
        }
    } else {
        let text = finite();
        s.push_str(&text);
        Ok(())
    }
}
