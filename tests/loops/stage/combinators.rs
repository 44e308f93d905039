// Chapter 7's part of a stage as a `Loop`: `gather` and `wait_for`, of tasks, and task
// groups. Included after `tasks.rs`.

/// The stage's task behind an awaitable: the stage's combinators take tasks only.
fn task_of(item: &Rc<dyn Awaitable>) -> stage::Task<i64> {
    let task = item.as_any().downcast_ref::<StageTask>();
    let task = task.expect("the stages' gather and wait_for take tasks: generate their programs without CombineFutures");
    task.task.clone()
}

/// A gather of the stage.
pub struct StageGather(stage::Gathering<i64>);

impl Combinators for Stage {
    fn gather(&self, items: &[Rc<dyn Awaitable>]) -> Rc<dyn Awaitable> {
        Rc::new(StageGather(stage::gather(
            items.iter().map(task_of).collect(),
        )))
    }
    fn wait_for(&self, item: &Rc<dyn Awaitable>, timeout: Duration) -> Coroutine {
        let task = task_of(item);
        Box::pin(async move {
            stage::wait_for(task, timeout)
                .await
                .map(Value::Int)
                .map_err(failure)
        })
    }
    fn task_group(&self, block: GroupBlock) -> Block {
        Box::pin(async move {
            let ended = stage::task_group(move |group| {
                let block = block(Rc::new(group));
                async move { block.await.map_err(error) }
            })
            .await;
            ended.map_err(failure)
        })
    }
}

impl Group for stage::TaskGroup {
    fn create_task(&self, coroutine: Coroutine) -> Result<Rc<dyn Awaitable>, Failure> {
        let coroutine = async move { coroutine.await.map(|value| value.int()).map_err(error) };
        let task = stage::TaskGroup::create_task(self, "task", coroutine).map_err(failure)?;
        Ok(Rc::new(StageTask {
            task,
            ids: RefCell::new(Vec::new()),
        }))
    }
}

fn list(values: Vec<i64>) -> Value {
    Value::List(values.into_iter().map(Ok).collect())
}

impl Awaitable for StageGather {
    fn cancel(&self, message: Option<String>) -> bool {
        no_message(message);
        self.0.cancel()
    }
    /// A stage's gather shows its outcome only to who awaits it: polled once, from outside
    /// any task, with a waker that does nothing, it says whether it is done and how.
    fn state(&self) -> State {
        use std::future::Future as _;
        let mut gathering = self.0.clone();
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::Pin::new(&mut gathering).poll(&mut context) {
            std::task::Poll::Pending => State::Pending,
            std::task::Poll::Ready(outcome) => State::Done(outcome.map(list).map_err(failure)),
        }
    }
    fn add_done_callback(&self, _: Box<dyn FnOnce(State)>) -> usize {
        panic!("a stage's gather takes no done-callback: generate without CombinedDoneCallback")
    }
    fn remove_done_callback(&self, _: usize) -> bool {
        panic!("a stage's gather takes no done-callback: generate without CombinedDoneCallback")
    }
    fn wait(&self) -> Coroutine {
        let gathering = self.0.clone();
        Box::pin(async move { gathering.await.map(list).map_err(failure) })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
