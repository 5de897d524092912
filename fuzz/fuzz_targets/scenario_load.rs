//! The harness's scenario-file loader (TOML and JSON): any bytes give a scenario or an error
//! naming the file, never a panic; a scenario that loads lists and compiles.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, file)) = data.split_first() else {
        return;
    };
    streamguard_harness::fuzzing::scenario_file(control & 1 == 1, file);
});
