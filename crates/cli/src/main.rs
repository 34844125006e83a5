//! `neurocircuits`: the command-line front end. Parses arguments and calls one library
//! function per subcommand; the science lives in the library crates.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod args;
mod commands;
mod progress;

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
    /// Neural circuit diagrams: check, cost, run, draw, import, export, bench and list typed circuits.
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
                eprintln!("error: {}", error_message(&err));
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

/// The error and its causes on one line, each said once. Many error types print their cause
/// in their own message and also return it from `source()`; printing the whole chain as is
/// would repeat it ("… (os error 30): … (os error 30)"), so a cause whose text the message
/// already holds is left out.
fn error_message(err: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::error_message;
    use std::fmt;

    /// An error that prints its cause in its message and returns it from `source()` too.
    #[derive(Debug)]
    struct Writing(std::io::Error);

    impl fmt::Display for Writing {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "writing out/x.svg: {}", self.0)
        }
    }

    impl std::error::Error for Writing {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn each_cause_is_said_once() {
        let io = std::io::Error::from_raw_os_error(30);
        let os = io.to_string();
        let err = anyhow::Error::new(Writing(io)).context("drawing the report");
        let msg = error_message(&err);
        assert_eq!(msg.matches(&os).count(), 1, "{msg}");
        assert_eq!(msg, format!("drawing the report: writing out/x.svg: {os}"));
    }

    #[test]
    fn causes_not_in_the_message_are_kept() {
        let err = anyhow::anyhow!("disk full").context("saving policy.json");
        assert_eq!(error_message(&err), "saving policy.json: disk full");
    }
}
