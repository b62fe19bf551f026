mod verify;
mod roundtrip;
mod parse_errors;
mod parse_fuzz;
