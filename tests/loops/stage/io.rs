// Chapter 8's part of a stage as a `Loop`: readers and writers. Included after the parts of
// chapters 3 to 7.

impl Io for Stage {
    fn add_reader(&self, fd: std::os::fd::RawFd, callback: Box<dyn Fn()>) {
        let added = self.0.add_reader(fd, move |_: &stage::EventLoop| callback());
        added.expect("add_reader");
    }
    fn remove_reader(&self, fd: std::os::fd::RawFd) -> bool {
        self.0.remove_reader(fd).expect("remove_reader")
    }
    fn add_writer(&self, fd: std::os::fd::RawFd, callback: Box<dyn Fn()>) {
        let added = self.0.add_writer(fd, move |_: &stage::EventLoop| callback());
        added.expect("add_writer");
    }
    fn remove_writer(&self, fd: std::os::fd::RawFd) -> bool {
        self.0.remove_writer(fd).expect("remove_writer")
    }
}
