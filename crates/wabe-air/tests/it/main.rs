mod parse_errors;
mod parse_fuzz;
mod roundtrip;
mod verify;
