//! A thread per worker that waits for the worker process to end, and tells the pool's loop.
//!
//! Python's pool waits on each process's *sentinel* (a descriptor that becomes readable when
//! the process ends) along with the result pipes. The channel itself is no such sentinel: a
//! process that a job started may hold it (a child that forks without exec inherits every
//! descriptor), and then the channel of a worker that died stays open for as long as that
//! process lives. So the pool watches the process, not its descriptors.
//!
//! Linux has a sentinel for that (a pidfd), but std's is not stable; `waitid` is everywhere.
//! The watcher blocks in `waitid(P_PID, pid, WEXITED | WNOWAIT)`, which returns once the
//! process has ended and, with `WNOWAIT`, leaves it a zombie: its pid stays the pool's until
//! the manager reaps it with `Child::try_wait`. That is what makes killing by pid safe — the
//! pid cannot be reused by another process while the pool may still send it a signal — and
//! why a watcher never reaps: reaping belongs to the thread that kills.

use std::io;
use std::sync::mpsc;
use std::thread;

use rustix::io::Errno;
use rustix::process::{waitid, Pid, WaitId, WaitIdOptions};

/// A watcher started before its process, waiting to be told which pid to watch.
pub(super) struct Watcher {
    pid: mpsc::Sender<Pid>,
    thread: thread::JoinHandle<()>,
}

impl Watcher {
    /// Starts the thread, which waits for [`watch`](Watcher::watch) and then for the process
    /// to end, and calls `ended` once it has. Started before the process, so that a pool that
    /// cannot start a thread fails before it has a child it could not watch.
    pub(super) fn start(number: usize, ended: impl FnOnce() + Send + 'static) -> io::Result<Self> {
        let (pid, watch) = mpsc::channel::<Pid>();
        let thread = thread::Builder::new()
            .name(format!("steploop-process-watcher-{number}"))
            .spawn(move || {
                // No pid: the process could not be started, and there is nothing to watch.
                if let Ok(pid) = watch.recv() {
                    wait_for_end(pid);
                    ended();
                }
            })?;
        Ok(Watcher { pid, thread })
    }

    /// The process could not be started: ends the thread, and waits for it to end, so that
    /// what `ended` holds (the pool's loop handle, say) is let go of before this returns.
    pub(super) fn abandon(self) {
        drop(self.pid); // its `recv` fails, and the thread returns at once
        if self.thread.join().is_err() {
            log::error!("a process pool's watcher panicked");
        }
    }

    /// Watches `child`, a child of this process that has not been reaped. The thread ends
    /// right after it has called `ended`: join it then.
    pub(super) fn watch(self, child: &std::process::Child) -> thread::JoinHandle<()> {
        // The thread lives until it is told: the send cannot fail.
        let _ = self.pid.send(Pid::from_child(child));
        self.thread
    }
}

/// Returns once process `pid` has ended, leaving it unreaped.
fn wait_for_end(pid: Pid) {
    loop {
        match waitid(
            WaitId::Pid(pid),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        ) {
            Ok(_) => return,
            Err(Errno::INTR) => {}
            // ECHILD: it was reaped by somebody else (a program that ignores SIGCHLD has its
            // children reaped by the kernel); the manager's try_wait says so.
            Err(error) => {
                log::debug!("waiting for worker process {pid:?} to end: {error}");
                return;
            }
        }
    }
}

/// True if `child` has ended (it may not be reaped yet): asks without waiting or reaping.
pub(super) fn has_ended(child: &std::process::Child) -> bool {
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
    !matches!(
        waitid(WaitId::Pid(Pid::from_child(child)), options),
        Ok(None)
    )
}
