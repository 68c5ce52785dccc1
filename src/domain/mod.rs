//! Pure domain logic: no I/O, no clocks read, no database. Everything here is unit-tested.

pub mod card;
pub mod due_plan;
pub mod extract;
pub mod guard;
pub mod korean;
pub mod matching;
pub mod normalize;
pub mod numbers;
pub mod quiz;
pub mod schedule;
pub mod search;
pub mod study_day;
pub mod text;
