// A stage as a `Loop`, chapter 3's part: callbacks. Included by `stages.rs` into a module per
// stage, where `stage` names the stage's crate, `new_loop()` makes one of its loops and
// `time()` reads its clock.

/// A fresh loop of this stage.
pub fn make() -> Rc<dyn Loop> {
    Rc::new(Stage(new_loop()))
}

/// The stage's loop, seen through the runner's traits.
pub struct Stage(stage::EventLoop);

impl Handle for Rc<stage::Handle> {
    fn cancel(&self) {
        stage::Handle::cancel(self);
    }
    fn cancelled(&self) -> bool {
        stage::Handle::cancelled(self)
    }
}

impl Callbacks for Stage {
    fn call_soon(&self, callback: Box<dyn FnOnce()>) -> Box<dyn Handle> {
        Box::new(self.0.call_soon(move |_: &stage::EventLoop| callback()))
    }
    fn stop(&self) {
        self.0.stop();
    }
    fn run_once(&self) -> Result<(), Stalled> {
        self.0.run_once().map_err(|stage::Stalled| Stalled)
    }
    fn time(&self) -> Duration {
        time(&self.0)
    }
}
