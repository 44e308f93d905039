// Chapter 6's part of a stage as a `Loop`: tasks. Included after `futures.rs`, where
// `error()` turns a `Failure` into the stage's `Error`.

/// A task of the stage.
pub struct StageTask(stage::Task<i64>);

impl Tasks for Stage {
    fn create_task(&self, coroutine: Coroutine) -> Rc<dyn TaskObject> {
        let task = self
            .0
            .create_task("task", async move { coroutine.await.map_err(error) });
        Rc::new(StageTask(task))
    }
    fn sleep(&self, delay: Duration) -> Coroutine {
        Box::pin(async move {
            stage::sleep(delay).await.map_err(failure)?;
            Ok(0)
        })
    }
}

impl TaskObject for StageTask {
    fn cancel(&self) -> bool {
        self.0.cancel()
    }
    fn state(&self) -> State {
        if !self.0.done() {
            return State::Pending;
        }
        match self.0.result() {
            Ok(value) => State::Result(value),
            Err(stage::Error::Cancelled) => State::Cancelled,
            Err(error) => State::Exception(error.to_string()),
        }
    }
    fn wait(&self) -> Coroutine {
        let task = self.0.clone();
        Box::pin(async move { task.await.map_err(failure) })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
