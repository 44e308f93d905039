// Chapter 6's part of a stage as a `Loop`: tasks. Included after `futures.rs`, where
// `error()` turns a `Failure` into the stage's `Error`.

/// A task of the stage, and the ids of the done-callbacks added to it, by position.
pub struct StageTask {
    task: stage::Task<i64>,
    ids: RefCell<Vec<stage::CallbackId>>,
}

impl Tasks for Stage {
    fn create_task(&self, coroutine: Coroutine) -> Rc<dyn Awaitable> {
        let coroutine = async move { coroutine.await.map(|value| value.int()).map_err(error) };
        Rc::new(StageTask {
            task: self.0.create_task("task", coroutine),
            ids: RefCell::new(Vec::new()),
        })
    }
    fn sleep(&self, delay: Duration) -> Coroutine<Result<(), Failure>> {
        Box::pin(async move { stage::sleep(delay).await.map_err(failure) })
    }
}

impl Awaitable for StageTask {
    fn cancel(&self, message: Option<String>) -> bool {
        no_message(message);
        self.task.cancel()
    }
    fn state(&self) -> State {
        if !self.task.done() {
            State::Pending
        } else if self.task.cancelled() {
            State::Cancelled
        } else {
            State::Done(self.task.result().map(Value::Int).map_err(failure))
        }
    }
    fn add_done_callback(&self, callback: Box<dyn FnOnce(State)>) -> usize {
        let id = self
            .task
            .add_done_callback(move |future| callback(state_of(future)));
        let mut ids = self.ids.borrow_mut();
        ids.push(id);
        ids.len() - 1
    }
    fn remove_done_callback(&self, id: usize) -> bool {
        let id = self.ids.borrow()[id];
        self.task.remove_done_callback(id)
    }
    fn wait(&self) -> Coroutine {
        let task = self.task.clone();
        Box::pin(async move { task.await.map(Value::Int).map_err(failure) })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
