//! One module per subcommand.
pub mod diagram;
pub mod diagram_io;
pub mod ncap;
pub mod report;
pub mod richlazy;
pub mod swimmer;
