// Chapter 5's part of a stage as a `Loop`: futures. Included after `timers.rs`, where
// `failure()` turns the stage's `Error` into a `Failure`.

/// A future of the stage, and the ids of the done-callbacks added to it, by position.
pub struct StageFuture {
    future: stage::Future<i64>,
    ids: RefCell<Vec<stage::CallbackId>>,
}

fn state_of(future: &stage::Future<i64>) -> State {
    if !future.done() {
        return State::Pending;
    }
    match future.result() {
        Ok(value) => State::Result(value),
        Err(stage::Error::Cancelled) => State::Cancelled,
        Err(error) => State::Exception(error.to_string()),
    }
}

impl Futures for Stage {
    fn create_future(&self) -> Rc<dyn Fut> {
        Rc::new(StageFuture {
            future: self.0.create_future(),
            ids: RefCell::new(Vec::new()),
        })
    }
}

impl Fut for StageFuture {
    fn set_result(&self, value: i64) -> bool {
        self.future.set_result(value).is_ok()
    }
    fn set_exception(&self, message: String) -> bool {
        self.future
            .set_exception(stage::Error::Exception(message))
            .is_ok()
    }
    fn cancel(&self) -> bool {
        self.future.cancel()
    }
    fn state(&self) -> State {
        state_of(&self.future)
    }
    fn add_done_callback(&self, callback: Box<dyn FnOnce(State)>) -> usize {
        let id = self
            .future
            .add_done_callback(move |future| callback(state_of(future)));
        let mut ids = self.ids.borrow_mut();
        ids.push(id);
        ids.len() - 1
    }
    fn remove_done_callback(&self, id: usize) -> bool {
        let id = self.ids.borrow()[id];
        self.future.remove_done_callback(id)
    }
    fn wait(&self) -> Coroutine {
        let future = self.future.clone();
        Box::pin(async move { future.await.map_err(failure) })
    }
}
