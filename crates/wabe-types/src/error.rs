//! The error type of this crate.

/// What can go wrong when building types or checking values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeError {
    /// A type is used by value before its definition is complete (or contains itself).
    #[error("type `{0}` is used by value before it is complete (a type cannot contain itself)")]
    Incomplete(String),
    /// A named type was defined twice.
    #[error("type `{0}` is already defined")]
    AlreadyDefined(String),
    /// A type is larger than the target's address space.
    #[error("type is too large")]
    TooLarge,
    /// A malformed type.
    #[error("{0}")]
    Invalid(String),
    /// A constant does not fit its type.
    #[error("{0}")]
    Value(String),
}
