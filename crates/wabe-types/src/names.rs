//! Interned names: every identifier (type, field, declaration, error name) is stored once and
//! referred to by a [`NameId`].

use indexmap::IndexSet;
use std::fmt;

/// An interned name. Compare names by comparing ids.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct NameId(pub u32);

impl fmt::Display for NameId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "name{}", self.0)
    }
}

/// A small, fast, non-cryptographic hasher for interned names (the multiply-rotate scheme of
/// rustc's FxHasher). Names come from the compiler's own input, so hash flooding is not a
/// concern, and SipHash would dominate parsing time.
#[derive(Default, Clone, Copy, Debug)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(SEED);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(SEED);
    }

    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(SEED);
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(SEED);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `BuildHasher` for [`FastHasher`].
pub type FastBuildHasher = std::hash::BuildHasherDefault<FastHasher>;

/// A string interner: one [`NameId`] per distinct string.
#[derive(Default, Clone, Debug)]
pub struct Interner {
    set: IndexSet<Box<str>, FastBuildHasher>,
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns `s`, returning its id (the same id for the same string).
    pub fn intern(&mut self, s: &str) -> NameId {
        if let Some(i) = self.set.get_index_of(s) {
            return NameId(i as u32);
        }
        let (i, _) = self.set.insert_full(s.into());
        NameId(i as u32)
    }

    /// The id of `s`, if it was interned.
    pub fn get(&self, s: &str) -> Option<NameId> {
        self.set.get_index_of(s).map(|i| NameId(i as u32))
    }

    /// The string of an id. Ids come from this interner; an unknown id yields `"?"`.
    pub fn resolve(&self, id: NameId) -> &str {
        self.set
            .get_index(id.0 as usize)
            .map(|s| &**s)
            .unwrap_or("?")
    }

    /// How many names are interned.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether no name is interned.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}
