//! The console: what Sluice does, independent of how it is shown. The desktop shell and the
//! command line both call these use cases.

pub mod cli;
pub mod console;
pub mod logging;
pub mod sim;

pub use console::Console;
