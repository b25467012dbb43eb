// Compiled with rustc to produce rust-error.txt: a compiler error, a warning and the summary.
fn main() {
    let unused = 1;
    let count: i32 = "three";
}
