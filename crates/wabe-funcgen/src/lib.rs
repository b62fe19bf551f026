//! wabe-funcgen: to be written.
