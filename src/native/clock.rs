//! Wall-clock time and an entropy seed from the operating system.
//!
//! Span times are read often (start, end, each event), so they come from the CPU's
//! time-stamp counter through `quanta` (≈ 24 ns a read here against ≈ 55 for the OS's
//! wall clock), anchored to the wall clock per thread and re-anchored every
//! [`REANCHOR_NS`], so a wall-clock step or slew is followed within that time and durations
//! keep the counter's precision. Calibrating the counter takes up to 200 ms, once: it
//! happens when a collector is built ([`calibrate`]), never on a span's path — until then
//! times come from the OS's clock.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// How long a thread's anchor is trusted: a slewing wall clock (≤ 0.5 ms per second) and
/// the counter part by at most that much before the next anchor.
const REANCHOR_NS: u64 = 1_000_000_000;

/// The calibrated counter, once a collector has been built.
static COUNTER: OnceLock<quanta::Clock> = OnceLock::new();

thread_local! {
    /// The counter's reading and the wall-clock time at this thread's last anchor.
    static ANCHOR: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

/// Calibrates the counter (up to 200 ms the first time in a process, nothing after).
pub(crate) fn calibrate() {
    COUNTER.get_or_init(quanta::Clock::new);
}

/// Nanoseconds since the Unix epoch (0 if the clock is set before 1970).
pub(crate) fn now_unix_nanos() -> u64 {
    let Some(counter) = COUNTER.get() else {
        return system_now();
    };
    let reading = counter.raw();
    ANCHOR.with(|anchor| match anchor.get() {
        Some((anchored_at, wall)) if reading >= anchored_at => {
            let elapsed = counter.delta_as_nanos(anchored_at, reading);
            if elapsed < REANCHOR_NS {
                return wall + elapsed;
            }
            reanchor(anchor, reading)
        }
        // The first read on this thread, or a counter that went back (another core's).
        _ => reanchor(anchor, reading),
    })
}

fn reanchor(anchor: &Cell<Option<(u64, u64)>>, reading: u64) -> u64 {
    let wall = system_now();
    anchor.set(Some((reading, wall)));
    wall
}

/// The OS's wall clock.
fn system_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}

/// 64 unpredictable bits for seeding a thread's id generator: std's `RandomState` keys
/// come from the OS random source, mixed with the time and the thread.
pub(crate) fn random_seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(system_now());
    std::thread::current().id().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_follows_the_wall_clock() {
        calibrate();
        for _ in 0..3 {
            let before = system_now();
            let counted = now_unix_nanos();
            std::thread::sleep(std::time::Duration::from_millis(20));
            let later = now_unix_nanos();
            let after = system_now();
            // Within a millisecond of the OS's clock, and moving forward with it.
            assert!(counted + 1_000_000 >= before && counted <= after + 1_000_000);
            assert!(later >= counted + 19_000_000, "{later} vs {counted}");
            assert!(later <= after + 1_000_000);
        }
    }

    #[test]
    fn threads_agree() {
        calibrate();
        let here = now_unix_nanos();
        let there = std::thread::spawn(now_unix_nanos).join().unwrap();
        let back = now_unix_nanos();
        assert!(here <= there + 1_000_000 && there <= back + 1_000_000);
    }
}
