//! Integration tests of nc-ncap against the research note's MuJoCo reference numbers.

mod golden;
mod reference;
mod training;
