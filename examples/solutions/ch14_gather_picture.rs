//! Chapter 14, exercise 2: a timeline of your own. `main` starts three tasks that sleep 3, 1
//! and 2 seconds and gathers them; the program runs it on the virtual clock with the trace on
//! and draws the trace. Run it with `cargo run --example ch14_gather_picture -- gather.svg`
//! and open `gather.svg` in a browser.

use std::time::Duration;

use steploop::timeline::Timeline;
use steploop::{gather, get_running_loop, sleep, Error, EventLoop};

// ANCHOR: solution
/// A task that sleeps `seconds` and returns them.
async fn nap(seconds: u64) -> Result<u64, Error> {
    sleep(Duration::from_secs(seconds)).await?;
    Ok(seconds)
}

/// `main`: three tasks, gathered.
async fn main_task() -> Result<Vec<u64>, Error> {
    let lp = get_running_loop().expect("runs on the loop");
    let tasks: Vec<_> = [3, 1, 2].map(|s| lp.create_task(nap(s))).into();
    gather(tasks)?.await
}

/// Runs `main_task` on a virtual clock with the trace on, and draws the trace.
pub fn picture() -> (Vec<u64>, String) {
    let lp = EventLoop::with_virtual_clock();
    lp.set_trace(true);
    let results = lp.run_until_complete(main_task()).expect("the naps finish");
    let trace = lp.take_trace();
    let svg = Timeline::new()
        .px_per_second(200.0)
        .panel("gather: three tasks that sleep 3, 1 and 2 s", &trace)
        .to_svg();
    (results, svg)
}
// ANCHOR_END: solution

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("name the file to write: cargo run --example ch14_gather_picture -- gather.svg");
        std::process::exit(2);
    };
    let (results, svg) = picture();
    if let Err(error) = std::fs::write(&path, svg) {
        eprintln!("cannot write {path}: {error}");
        std::process::exit(1);
    }
    println!("gather gave {results:?}; the timeline is in {path}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picture_has_a_lane_per_task_and_is_the_same_every_time() {
        let (results, svg) = picture();
        assert_eq!(results, [3, 1, 2]); // argument order, as gather promises
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for task in ["Task-1", "Task-2", "Task-3", "Task-4"] {
            assert!(svg.contains(task), "no lane for {task}");
        }
        assert_eq!(
            svg,
            picture().1,
            "a virtual-clock picture is the same on every run"
        );
    }
}
