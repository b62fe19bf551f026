//! wabe-declgen: to be written.
