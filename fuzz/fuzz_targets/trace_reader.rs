//! Arbitrary bytes through the whole trace engine: header detection, the old- or new-format
//! reader, and every event to the end. Any input must end in `Ok(None)` or an error, never
//! in a panic, a hang or an allocation the input does not justify (scripts/fuzz.sh runs it
//! with a per-input time limit and a malloc limit).
#![no_main]

use gotrace::trace::Reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = Reader::new(data) else { return };
    let mut last_ts = 0;
    while let Ok(Some(ev)) = reader.next_event() {
        // The reader promises one global order with non-decreasing timestamps, whatever
        // the input claims.
        assert!(ev.ts >= last_ts, "timestamp went back from {last_ts} to {}", ev.ts);
        last_ts = ev.ts;
        // Later stages resolve every stack an event names; the ids must be valid.
        std::hint::black_box(reader.tables().stack(ev.stack));
    }
    std::hint::black_box(reader.warnings());
});
