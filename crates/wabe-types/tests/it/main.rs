//! Integration tests of wabe-types: the layout snapshot, properties over random types, value
//! checks, and the cross-check against a real C compiler.

mod c_abi;
mod layout;
mod parse;
mod props;
mod types;
mod values;
