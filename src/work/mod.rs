//! Background work: the publisher (and the extraction engine).

pub mod changes;
pub mod publisher;
