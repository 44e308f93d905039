// Chapter 7's part of a stage as a `Loop`: `gather` and `wait_for`. Included after `tasks.rs`.

fn task_of(task: &Rc<dyn TaskObject>) -> stage::Task<i64> {
    let task = task.as_any().downcast_ref::<StageTask>();
    task.expect("a task of this stage").0.clone()
}

impl Combinators for Stage {
    fn gather(&self, tasks: &[Rc<dyn TaskObject>]) -> Coroutine<Result<Vec<i64>, Failure>> {
        let gathering = stage::gather(tasks.iter().map(task_of).collect());
        Box::pin(async move { gathering.await.map_err(failure) })
    }
    fn wait_for(&self, task: &Rc<dyn TaskObject>, timeout: Duration) -> Coroutine {
        let task = task_of(task);
        Box::pin(async move { stage::wait_for(task, timeout).await.map_err(failure) })
    }
}
