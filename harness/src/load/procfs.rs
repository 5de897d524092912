//! What a child process uses, read from Linux's `/proc`: CPU time, resident memory (now and
//! its peak), open file descriptors. Elsewhere every figure is `None`.

use std::time::Duration;

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Usage {
    /// User plus system CPU time.
    pub cpu: Option<Duration>,
    /// Resident set size, bytes.
    pub rss: Option<u64>,
    /// The peak resident set size so far (VmHWM), bytes.
    pub peak_rss: Option<u64>,
    /// Open file descriptors.
    pub fds: Option<usize>,
}

/// Reads `pid`'s usage.
pub(crate) fn usage(pid: u32) -> Usage {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|k| k * 1024)
    };
    Usage {
        cpu: cpu(pid),
        rss: kib("VmRSS:"),
        peak_rss: kib("VmHWM:"),
        fds: std::fs::read_dir(format!("/proc/{pid}/fd"))
            .ok()
            .map(|d| d.count()),
    }
}

/// utime + stime of `/proc/PID/stat` (fields 14 and 15, in USER_HZ = 100 ticks a second).
fn cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state), so field N is at index N - 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` has them.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "n/a".to_owned())
}

/// Bytes as MiB with one decimal, or `n/a`.
pub(crate) fn mib(b: Option<u64>) -> String {
    b.map_or_else(
        || "n/a".to_owned(),
        |b| format!("{:.1}", b as f64 / 1048576.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let u = usage(std::process::id());
        if cfg!(target_os = "linux") {
            assert!(u.rss.unwrap() > 0);
            assert!(u.peak_rss.unwrap() >= u.rss.unwrap() / 2);
            assert!(u.fds.unwrap() >= 3);
            assert!(u.cpu.is_some());
        }
    }
}
