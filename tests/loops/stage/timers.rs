// Chapter 4's part of a stage as a `Loop`: timers. Included after `callbacks.rs`.

impl Timers for Stage {
    fn call_later(&self, delay: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Handle> {
        Box::new(self.0.call_later(delay, move |_: &stage::EventLoop| callback()))
    }
    fn call_at(&self, when: Duration, callback: Box<dyn FnOnce()>) -> Box<dyn Handle> {
        Box::new(self.0.call_at(when, move |_: &stage::EventLoop| callback()))
    }
}
