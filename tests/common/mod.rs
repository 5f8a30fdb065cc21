//! The oracle side of the agreement tests: Go's own tools read a trace, their output is
//! reduced to the fields `gotrace inspect --json` reports, and the two are compared.

pub mod counts;
pub mod gotrace;
pub mod oracles;
pub mod reduce;
pub mod toolchains;
