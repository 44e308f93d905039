// Chapter 5's part of a stage as a `Loop`: futures. Included after `timers.rs`, where
// `failure()` turns the stage's `Error` into a `Failure`.

/// A future of the stage, and the ids of the done-callbacks added to it, by position.
pub struct StageFuture {
    future: stage::Future<i64>,
    ids: RefCell<Vec<stage::CallbackId>>,
}

/// The state of a stage's future (a task's too).
fn state_of(future: &stage::Future<i64>) -> State {
    if !future.done() {
        State::Pending
    } else if future.cancelled() {
        State::Cancelled
    } else {
        State::Done(future.result().map(Value::Int).map_err(failure))
    }
}

/// The stages' `cancel()` takes no message.
fn no_message(message: Option<String>) {
    assert!(
        message.is_none(),
        "the stages cancel without a message: generate their programs without CancelMessage"
    );
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
    fn awaitable(self: Rc<Self>) -> Rc<dyn Awaitable> {
        self
    }
}

impl Awaitable for StageFuture {
    fn cancel(&self, message: Option<String>) -> bool {
        no_message(message);
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
        Box::pin(async move { future.await.map(Value::Int).map_err(failure) })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
