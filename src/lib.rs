//! steploop
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod error;
pub mod executor;

pub use error::Error;
