//! What this process has used, for load runs: CPU seconds (in all, or per group of named
//! threads) and peak resident memory.

/// User + system CPU seconds of this process.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// CPU seconds the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`): what a workload
/// cost its own thread, excluding the time it waited for a core.
pub fn current_thread_cpu_seconds() -> f64 {
    // SAFETY: clock_gettime only writes into the struct we pass.
    let time = unsafe {
        let mut time: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time);
        time
    };
    time.tv_sec as f64 + time.tv_nsec as f64 / 1e9
}

/// Peak resident memory in MiB, from `VmHWM` (unlike `ru_maxrss`, it is not inherited
/// from the process that exec'd us, e.g. `cargo run`); 0 where /proc is missing.
pub fn peak_rss_mb() -> f64 {
    status_mib("VmHWM:")
}

/// Resident memory now in MiB (`VmRSS`); 0 where /proc is missing.
pub fn rss_mb() -> f64 {
    status_mib("VmRSS:")
}

/// A `kB` field of `/proc/self/status`, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// User + system CPU seconds of this process's live threads whose name starts with
/// `prefix` (e.g. a tokio runtime's `thread_name`), from `/proc/self/task/*/stat`; 0 where
/// /proc is missing. Threads that already exited are not counted.
pub fn thread_cpu_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // "tid (comm) state ppid …": comm may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with(prefix) {
            continue;
        }
        // After comm: state is field 3; utime and stime are fields 14 and 15.
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let field = |number: usize| {
            fields
                .get(number - 3)
                .and_then(|value| value.parse::<u64>().ok())
        };
        ticks += field(14).unwrap_or(0) + field(15).unwrap_or(0);
    }
    ticks as f64 / ticks_per_second
}

/// Keeps sampling the CPU time of threads named `prefix…` until stopped: a thread that
/// exits before the end of a run (the collector's export thread at shutdown) takes its
/// time out of `/proc` with it, so the last sample is what it used (to within 25 ms).
pub struct ThreadCpuSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sampler: std::thread::JoinHandle<f64>,
}

impl ThreadCpuSampler {
    /// Starts sampling on a thread of its own.
    pub fn start(prefix: &'static str) -> ThreadCpuSampler {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        let sampler = std::thread::spawn(move || {
            let mut last = 0.0f64;
            while !stopped.load(Ordering::Relaxed) {
                last = last.max(thread_cpu_seconds(prefix));
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            last.max(thread_cpu_seconds(prefix))
        });
        ThreadCpuSampler { stop, sampler }
    }

    /// Stops sampling; the largest CPU time seen, in seconds.
    pub fn stop(self) -> f64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.sampler.join().unwrap_or(0.0)
    }
}
