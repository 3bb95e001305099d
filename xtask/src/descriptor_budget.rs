//! How many jobs fit in the process's file-descriptor limit: `ulimit -n 64`
//! with `-j 1024` must run fewer jobs at once, not fail most of them with
//! "Too many open files".

/// Descriptors kept free for what is not a job: the standard streams,
/// the async runtime, locks, the progress display, files opened on the way.
const HEADROOM: usize = 24;

/// `requested` jobs, or fewer when each takes `per_job` descriptors and the
/// soft `RLIMIT_NOFILE`, less those already open and some headroom, holds
/// fewer; never below 1. The second value says why it was lowered, for `-v`.
pub fn jobs_within_limit(requested: usize, per_job: usize) -> (usize, Option<String>) {
    let requested = requested.max(1);
    let Some(limit) = soft_limit() else {
        return (requested, None);
    };
    let open = open_now().unwrap_or(HEADROOM);
    let free = limit.saturating_sub(open + HEADROOM);
    let fit = (free / per_job.max(1)).max(1);
    if fit >= requested {
        return (requested, None);
    }
    (
        fit,
        Some(format!(
            "{fit} jobs at once instead of {requested}: the open-files limit is {limit} (`ulimit -n`), {open} are open, and each job needs about {per_job}"
        )),
    )
}

/// The soft limit on open files, if the system says (and it is finite).
fn soft_limit() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and nothing else.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    if rc != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    usize::try_from(limit.rlim_cur).ok()
}

/// How many descriptors this process has open (Linux's /proc, else macOS's /dev/fd).
fn open_now() -> Option<usize> {
    ["/proc/self/fd", "/dev/fd"]
        .iter()
        .find_map(|dir| std::fs::read_dir(dir).ok())
        .map(|entries| entries.count().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_never_drop_below_one_nor_rise_above_the_request() {
        let (jobs, why) = jobs_within_limit(1, 10_000);
        assert_eq!(jobs, 1);
        assert!(why.is_none());
        let (jobs, _) = jobs_within_limit(usize::MAX / 2, 8);
        assert!((1..usize::MAX / 2).contains(&jobs));
    }
}
