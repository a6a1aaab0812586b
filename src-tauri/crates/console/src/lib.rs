//! The console: what Sluice does, independent of how it is shown. The desktop shell and the
//! command line both call these use cases.

pub mod cli;
pub mod console;
pub mod contexts;
pub mod credentials;
pub mod demo;
pub mod desk;
pub mod journal;
pub mod live;
pub mod logging;
pub mod promote;
pub mod sim;
pub mod status;

pub use console::Console;
