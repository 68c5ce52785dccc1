//! Pure domain logic: no I/O, no clocks read, no database. Everything here is unit-tested.

pub mod card;
pub mod extract;
pub mod guard;
pub mod normalize;
pub mod schedule;
pub mod text;
