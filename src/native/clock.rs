//! Wall-clock time and an entropy seed from the operating system.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch (0 if the clock is set before 1970).
pub(crate) fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64)
}

/// 64 unpredictable bits for seeding a thread's id generator: std's `RandomState` keys
/// come from the OS random source, mixed with the time and the thread.
pub(crate) fn random_seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(now_unix_nanos());
    std::thread::current().id().hash(&mut hasher);
    hasher.finish()
}
