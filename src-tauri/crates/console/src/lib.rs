//! The console: what Sluice does, independent of how it is shown. One [`session::Session`]
//! composes the sources, the identity, the journal and the demo world; the desktop window and
//! the command line ([`cli`]) are two thin front ends over its use cases.

pub mod cli;
pub mod console;
pub mod contexts;
pub mod credentials;
pub mod demo;
pub mod evidence;
pub mod journal;
pub mod last_known;
pub mod live;
pub mod logging;
pub mod memory;
pub mod metrics;
mod private;
pub mod promotion;
pub mod replay;
pub mod session;

pub use console::Console;
