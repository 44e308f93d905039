// Chapter 11's part of a stage as a `Loop`: `call_soon_threadsafe`, called on the loop's own
// thread. Included after the parts of chapters 3 to 8.

impl Threadsafe for Stage {
    fn call_soon_threadsafe(&self, callback: Box<dyn FnOnce()>) {
        let callback = parked(callback);
        // The handle goes at once: a loop with a handle out waits for it instead of stalling.
        self.0
            .handle()
            .call_soon_threadsafe(move |_: &stage::EventLoop| callback());
    }
}
