mod parse_errors;
mod roundtrip;
mod verify;
