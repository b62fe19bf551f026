//! Reading `ar` archives (the common System V / GNU format that `zig ar`, `llvm-ar` and GNU
//! `ar` write): the members, named through the `//` long-name table when needed. The symbol
//! index (`/`) is not needed: the linker reads each member's own symbol table.

use super::ObjectError;

/// The members of an archive as `(name, bytes)`, skipping the symbol index and the long-name
/// table.
pub(crate) fn members(file: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ObjectError> {
    let bad = |offset: usize, message: &str| ObjectError::Malformed {
        file: file.into(),
        offset: offset as u64,
        message: message.into(),
    };
    if !bytes.starts_with(b"!<arch>\n") {
        return Err(bad(0, "not an archive (no `!<arch>` magic)"));
    }
    let mut out = Vec::new();
    let mut long_names: &[u8] = &[];
    let mut at = 8;
    while at < bytes.len() {
        if bytes.len() - at < 60 {
            return Err(bad(at, "truncated member header"));
        }
        let header = &bytes[at..at + 60];
        if &header[58..60] != b"`\n" {
            return Err(bad(at + 58, "bad member header terminator"));
        }
        let field = |r: std::ops::Range<usize>| {
            std::str::from_utf8(&header[r])
                .map(str::trim_end)
                .unwrap_or("")
        };
        let size: usize = field(48..58)
            .parse()
            .map_err(|_| bad(at + 48, "bad member size"))?;
        let start = at + 60;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad(at + 48, "member extends past the end of the archive"))?;
        let data = &bytes[start..end];
        let raw = field(0..16);
        if raw == "/" || raw == "/SYM64/" || raw == "__.SYMDEF" || raw == "__.SYMDEF SORTED" {
            // symbol index
        } else if raw == "//" {
            long_names = data;
        } else {
            let name = if let Some(offset) = raw.strip_prefix('/') {
                let offset: usize = offset
                    .parse()
                    .map_err(|_| bad(at, "bad long-name reference"))?;
                let rest = long_names
                    .get(offset..)
                    .ok_or_else(|| bad(at, "long-name reference out of range"))?;
                let len = rest
                    .iter()
                    .position(|&b| b == b'\n' || b == 0)
                    .unwrap_or(rest.len());
                String::from_utf8_lossy(&rest[..len])
                    .trim_end_matches('/')
                    .to_string()
            } else {
                raw.trim_end_matches('/').to_string()
            };
            out.push((format!("{file}({name})"), data.to_vec()));
        }
        at = end + (end & 1);
    }
    Ok(out)
}
