//! wabe-link: to be written.
