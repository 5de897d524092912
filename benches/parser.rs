//! Parser throughput (issue 2). Stub.
fn main() {}
