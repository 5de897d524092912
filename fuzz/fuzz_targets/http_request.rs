//! The harness's HTTP request parser (the mock server's and the proxy's), fed in the pieces
//! the input describes: a refusal is a 4xx, a parsed request has exactly its declared body,
//! the head is never held past its cap.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (cuts, request) = rest.split_at(n);
    streamguard_harness::fuzzing::request(request, cuts);
});
