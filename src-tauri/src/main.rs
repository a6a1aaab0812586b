// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;
use sluice_console::Console;
use sluice_console::cli::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let _log_guard = sluice_console::logging::init();
    let console = Console::new(&cli.pipeline)
        .with_context_choices(sluice_console::contexts::ContextChoices::default_location());
    match &cli.command {
        None => match sluice_app::run(console, &cli) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "the window could not be opened");
                eprintln!("sluice: the window could not be opened: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Some(command) => sluice_console::cli::run(&console, &cli, command),
    }
}
