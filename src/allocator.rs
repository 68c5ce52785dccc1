//! The process's allocator settings, made first thing by the binary and by the benches, so
//! that the benches measure the allocator the app runs with.

/// One glibc heap arena. glibc gives every thread that allocates its own (up to 8 per core)
/// and keeps what each frees: a review listing rebuilt on another tokio or SQLite thread
/// every refresh grew peak RSS from 37 to 61 MiB at 100k cards (`scripts/bench-rss`). The
/// app does little in parallel, so one arena costs nothing measurable.
///
/// Call before any other thread exists.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in `main`, before any other thread exists; `mallopt` only
    // sets an allocator parameter.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
