//! The console: what Sluice does, independent of how it is shown. The desktop shell and the
//! command line both call these use cases.

pub mod cli;
pub mod console;
pub mod demo;
pub mod live;
pub mod logging;
pub mod sim;
pub mod status;

pub use console::Console;
