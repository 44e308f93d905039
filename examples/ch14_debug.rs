//! Chapter 14: debug mode and the exception handler at work. A slow callback is logged as a
//! warning (on standard error), and the handler prints each report it gets, with the line
//! that created the object concerned. Run it with `cargo run --example ch14_debug`.

use std::time::Duration;

use steploop::{Error, EventLoop};

pub fn main() {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .try_init();

    // ANCHOR: main
    let lp = EventLoop::with_virtual_clock();
    lp.set_debug(true); // or STEPLOOP_DEBUG=1 for every loop
    lp.set_exception_handler(|lp, context| {
        println!("the exception handler got:\n{context}\n");
        lp.default_exception_handler(context); // and log it as usual
    });

    // 150 ms of real time: logged as slow, although the virtual clock stands still.
    lp.with_label("crunch")
        .call_soon(|_| std::thread::sleep(Duration::from_millis(150)));

    // An exception that nobody reads, and a task that can never finish.
    let failed = lp.create_future::<u32>();
    failed
        .set_exception(Error::msg("nobody reads this"))
        .unwrap();
    drop(failed);
    let never = lp.create_future::<()>();
    lp.create_task(async move { never.await });

    lp.run_once().unwrap();
    lp.close().unwrap();
    // ANCHOR_END: main
}
