//! Linear memory: one byte array, laid out as the linker lays out an executable (data from
//! address 1024, then the stack growing down from the top of its region).

use crate::Stop;

/// The wasm page size.
pub const PAGE: u64 = 65536;

/// Where data starts (wasm-ld's default `--global-base`).
pub const GLOBAL_BASE: u64 = 1024;

/// The stack size (wasm-ld's default, 1 MiB).
pub const STACK_SIZE: u64 = 1 << 20;

/// The most memory the interpreter will hold, in pages; `wasm_memory_grow` beyond it fails
/// (returns -1) as a real engine may.
pub const MAX_PAGES: u64 = 1 << 14;

/// A byte-addressed linear memory.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// The bytes; always a whole number of pages.
    pub bytes: Vec<u8>,
}

impl Memory {
    fn range(&self, addr: u64, len: u64) -> Result<std::ops::Range<usize>, Stop> {
        let end = addr.checked_add(len);
        match end {
            Some(e) if e <= self.bytes.len() as u64 => Ok(addr as usize..e as usize),
            _ => Err(Stop::Trap(format!(
                "out of bounds memory access: {len} byte(s) at address {addr:#x}"
            ))),
        }
    }

    /// Reads `len` bytes at `addr`.
    pub fn read(&self, addr: u64, len: u64) -> Result<&[u8], Stop> {
        let r = self.range(addr, len)?;
        Ok(&self.bytes[r])
    }

    /// Writes bytes at `addr`.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Stop> {
        let r = self.range(addr, data.len() as u64)?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    /// Fills `len` bytes at `addr` with `byte`.
    pub fn fill(&mut self, addr: u64, len: u64, byte: u8) -> Result<(), Stop> {
        let r = self.range(addr, len)?;
        self.bytes[r].fill(byte);
        Ok(())
    }

    /// The size in pages.
    pub fn pages(&self) -> u64 {
        self.bytes.len() as u64 / PAGE
    }

    /// Grows by `delta` pages; the previous size, or `None` when it cannot.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > MAX_PAGES {
            return None;
        }
        self.bytes.resize((new * PAGE) as usize, 0);
        Some(old)
    }
}
