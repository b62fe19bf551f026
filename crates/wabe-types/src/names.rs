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

/// A string interner: one [`NameId`] per distinct string.
#[derive(Default, Clone, Debug)]
pub struct Interner {
    set: IndexSet<Box<str>>,
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
