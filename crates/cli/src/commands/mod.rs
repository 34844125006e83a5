//! One module per subcommand.
pub mod diagram;
pub mod ncap;
pub mod richlazy;
pub mod swimmer;
pub mod report;
