//! `neurocircuits`: the command-line front end. Parses arguments and calls one library
//! function per subcommand; the science lives in the library crates.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod commands;

/// A toolkit for studying and building neural circuits.
#[derive(Parser, Debug)]
#[command(name = "neurocircuits", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The main job: run every part on built-in defaults and write an HTML report.
    Report(commands::report::ReportArgs),
    /// Neural circuit diagrams: check, cost, run, draw, bench and list typed circuits.
    Diagram(commands::diagram::DiagramArgs),
    /// NCAP: the C. elegans swimmer controller, its baselines, training and experiments.
    Ncap(commands::ncap::NcapArgs),
    /// The native dm_control swimmer: simulate JSON cases, benchmark against MuJoCo.
    Swimmer(commands::swimmer::SwimmerArgs),
    /// Rich and lazy learning: rank-controlled RNN training, kernel/representation measures, theory, sweeps.
    Richlazy(commands::richlazy::RichlazyArgs),
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::Report(args) => commands::report::run(args),
        Command::Diagram(args) => commands::diagram::run(args),
        Command::Ncap(args) => commands::ncap::run(args),
        Command::Swimmer(args) => commands::swimmer::run(args),
        Command::Richlazy(args) => commands::richlazy::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(2)
        }
    }
}

/// Rust ignores SIGPIPE, which turns `println!` into a panic when the reader goes away
/// (`neurocircuits ... | head`). Restoring the default makes the process end quietly instead.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    #[allow(unsafe_code)]
    // SAFETY: called once at start-up, before any other thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
