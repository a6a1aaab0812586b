// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;
use sluice_console::Console;
use sluice_console::cli::{Cli, Command};

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
        Some(Command::Sim(args)) => match sluice_console::sim::run(&console, args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sluice sim: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Some(Command::Status(args)) => match sluice_console::status::run(&console, &cli, args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sluice status: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Some(Command::Audit(args)) => match sluice_console::journal::run(args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sluice audit: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Some(Command::Login(args)) => {
            sluice_console::credentials::command::login(&console, &cli, args)
        }
        Some(Command::Promote(args)) => {
            match sluice_console::promote::command::promote(&console, &cli, args) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sluice promote: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Some(Command::Rollback(args)) => {
            match sluice_console::promote::command::rollback(&console, &cli, args) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sluice rollback: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Some(Command::Logout) => sluice_console::credentials::command::logout(&console, &cli),
        Some(Command::Whoami) => sluice_console::credentials::command::whoami(&console, &cli),
        Some(Command::Validate) => {
            let (report, ok) = sluice_console::cli::validate(&console);
            if ok {
                println!("{report}");
                std::process::ExitCode::SUCCESS
            } else {
                eprintln!("{report}");
                std::process::ExitCode::FAILURE
            }
        }
    }
}
