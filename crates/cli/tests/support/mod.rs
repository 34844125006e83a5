//! What the binary's end-to-end tests share.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Makes `cmd` start with SIGINT at its default action. A shell without job control starts
/// background commands with SIGINT ignored and children inherit that, so a kill test run from
/// such a shell would see its Ctrl-C stand-in do nothing.
pub fn with_default_sigint(cmd: &mut Command) -> &mut Command {
    // SAFETY: signal() is async-signal-safe, as pre_exec requires.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        })
    }
}
