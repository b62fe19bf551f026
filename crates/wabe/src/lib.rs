//! wabe driver: to be written.
